// The validators rule files are checked with: PromQL expressions through our parser, label and
// annotation templates through our text/template implementation.
import { parseExpr } from '../promql/parser/parser.js';
import { checkAlertTemplate } from '../template/prometheus.js';
import type { RuleValidators } from './rulefmt.js';

export const ruleValidators: RuleValidators = {
  parseExpr: (expr) => {
    parseExpr(expr);
  },
  checkTemplate: (name, text) => checkAlertTemplate(name, text),
};
