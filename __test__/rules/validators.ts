// The validators the server uses for rule files, shared by the rule tests.
import type { RuleValidators } from '../../src/rules/rulefmt.js';

export const ruleValidators: RuleValidators = {};
