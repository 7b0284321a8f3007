// Prometheus's semantic checks on a parsed tree (parser.go's checkAST): types of operands,
// arguments and aggregation parameters. Failures are syntax errors at the offending node.
import { matchesEmpty } from '../../storage/matchers.js';
import { PromQLSyntaxError } from './lexer.js';
import { COMPARISON_OPS, SET_OPS, typeName } from './ast.js';
import type { Expr, ValueType } from './ast.js';
import { AGGREGATIONS, FUNCTIONS } from './functions.js';

/** The type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'Call':
      return FUNCTIONS.get(e.name)?.returns ?? 'vector';
    case 'ParenExpr':
    case 'UnaryExpr':
      return typeOf(e.expr);
    case 'BinaryExpr':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}

class TypeCheckError extends PromQLSyntaxError {}

/** Prometheus's semantic checks on a parsed tree. */
export function check(query: string, e: Expr): void {
  const fail = (at: { pos: number }, msg: string): never => {
    throw new TypeCheckError(query, at.pos, msg);
  };
  switch (e.type) {
    case 'ParenExpr':
      check(query, e.expr);
      return;
    case 'UnaryExpr': {
      check(query, e.expr);
      const t = typeOf(e.expr);
      if (t !== 'scalar' && t !== 'vector') fail(e, `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(typeName(t))}`);
      return;
    }
    case 'SubqueryExpr': {
      check(query, e.expr);
      const t = typeOf(e.expr);
      if (t !== 'vector' && t !== 'scalar') fail(e, `subquery is only allowed on instant vector, got ${typeName(t)} instead`);
      return;
    }
    case 'VectorSelector':
      if (!e.matchers.some((m) => !matchesEmpty(m))) fail(e, 'vector selector must contain at least one non-empty matcher');
      return;
    case 'MatrixSelector':
      check(query, e.vector);
      return;
    case 'NumberLiteral':
    case 'StringLiteral':
      return;
    case 'AggregateExpr': {
      check(query, e.expr);
      if (e.param) check(query, e.param);
      const t = typeOf(e.expr);
      if (t !== 'vector') fail(e, `expected type instant vector in aggregation expression, got ${typeName(t)}`);
      const spec = AGGREGATIONS.get(e.op)!;
      if (spec.param && e.param && typeOf(e.param) !== spec.param) fail(e.param, `expected type ${typeName(spec.param)} in aggregation parameter, got ${typeName(typeOf(e.param))}`);
      return;
    }
    case 'Call': {
      const f = FUNCTIONS.get(e.name)!;
      // info()'s second argument selects info metrics' data labels and may match everything.
      e.args.forEach((a, i) => {
        if (!(f.name === 'info' && i === 1 && a.type === 'VectorSelector')) check(query, a);
      });
      const n = e.args.length;
      if (f.variadic === 0 && n !== f.args.length) fail(e, `expected ${f.args.length} argument(s) in call to ${JSON.stringify(f.name)}, got ${n}`);
      if (f.variadic > 0) {
        const min = f.args.length - f.variadic;
        if (n < min || n > f.args.length) fail(e, `expected at least ${min} argument(s) in call to ${JSON.stringify(f.name)}, got ${n}`);
      }
      if (f.variadic < 0 && n < f.args.length - 1) fail(e, `expected at least ${f.args.length - 1} argument(s) in call to ${JSON.stringify(f.name)}, got ${n}`);
      e.args.forEach((a, i) => {
        const want = f.args[Math.min(i, f.args.length - 1)]!;
        const got = typeOf(a);
        if (got !== want) fail(a, `expected type ${typeName(want)} in call to function ${JSON.stringify(f.name)}, got ${typeName(got)}`);
      });
      return;
    }
    case 'BinaryExpr': {
      check(query, e.lhs);
      check(query, e.rhs);
      const lt = typeOf(e.lhs);
      const rt = typeOf(e.rhs);
      if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) fail(e, 'binary expression must contain only scalar and instant vector types');
      if (e.returnBool && !COMPARISON_OPS.has(e.op)) fail(e, 'bool modifier can only be used on comparison operators');
      if (COMPARISON_OPS.has(e.op) && lt === 'scalar' && rt === 'scalar' && !e.returnBool) fail(e, 'comparisons between scalars must use BOOL modifier');
      if (SET_OPS.has(e.op) && (lt === 'scalar' || rt === 'scalar')) fail(e, `set operator ${JSON.stringify(e.op)} not allowed in binary scalar expression`);
      if (e.matching && (lt !== 'vector' || rt !== 'vector')) {
        if (e.matching.explicit || e.matching.card !== 'one-to-one') fail(e, 'vector matching only allowed between instant vectors');
      }
      if (e.matching && SET_OPS.has(e.op) && (e.matching.card === 'many-to-one' || e.matching.card === 'one-to-many')) fail(e, `no grouping allowed for ${JSON.stringify(e.op)} operation`);
      if (e.matching && e.matching.on) {
        for (const l of e.matching.include) if (e.matching.labels.includes(l)) fail(e, `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
      }
      return;
    }
  }
}
