export { Engine, QueryError } from './engine.js';
export type { EngineOptions, QueryResult, InstantSample, RangeSeries, Queryable, HistogramPoint } from './engine.js';
export { parseExpr, PromQLSyntaxError } from './parser/parser.js';
export type { ParseOptions } from './parser/parser.js';
export type { Expr } from './parser/ast.js';
