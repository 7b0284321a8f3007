// The validators the server uses for rule files, shared by the rule tests.
export { ruleValidators } from '../../src/rules/validators.js';
