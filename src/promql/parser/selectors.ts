// The vector selectors an expression reads, as matcher sets: what /api/v1/query_exemplars looks
// up (Prometheus's parser.ExtractSelectors).
import type { Expr } from './ast.js';
import type { LabelMatcher } from '../../storage/matchers.js';

export function selectorsOf(e: Expr): LabelMatcher[][] {
  const out: LabelMatcher[][] = [];
  const visit = (x: Expr): void => {
    switch (x.type) {
      case 'VectorSelector':
        out.push(x.matchers);
        return;
      case 'MatrixSelector':
        return visit(x.vector);
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        return visit(x.expr);
      case 'AggregateExpr':
        if (x.param) visit(x.param);
        return visit(x.expr);
      case 'Call':
        return x.args.forEach(visit);
      case 'BinaryExpr':
        visit(x.lhs);
        return visit(x.rhs);
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
    }
  };
  visit(e);
  return out;
}
