// The PromQL syntax tree. Every node carries its source span [pos, end) for error messages.
import type { LabelMatcher } from '../../storage/matchers.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** How Prometheus names value types in messages. */
export function typeName(t: ValueType): string {
  return { scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string' }[t];
}

export interface Span {
  pos: number;
  end: number;
}

/** Duration arithmetic (3.x): evaluated to seconds when the query is planned. */
export type DurationExpr =
  | ({ kind: 'number'; seconds: number; /** written as a duration (5m), not a number */ unit?: boolean } & Span)
  | ({ kind: 'binary'; op: '+' | '-' | '*' | '/' | '%' | '^'; lhs: DurationExpr; rhs: DurationExpr } & Span)
  | ({ kind: 'neg'; expr: DurationExpr } & Span)
  | ({ kind: 'fn'; name: 'step' | 'range' } & Span)
  | ({ kind: 'minmax'; name: 'min' | 'max'; args: DurationExpr[] } & Span);

/** `@` modifier: a timestamp (seconds), or start()/end() of the query. */
export type AtModifier = { kind: 'time'; seconds: DurationExpr } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral extends Span {
  type: 'NumberLiteral';
  value: number;
}

export interface StringLiteral extends Span {
  type: 'StringLiteral';
  value: string;
}

export interface VectorSelector extends Span {
  type: 'VectorSelector';
  /** The metric name when given as a bare identifier or a lone quoted name. */
  name: string | undefined;
  matchers: LabelMatcher[];
  offset: DurationExpr | undefined;
  at: AtModifier | undefined;
  /** `anchored` / `smoothed` (extended range selectors) on an instant selector. */
  anchored?: boolean;
  smoothed?: boolean;
}

export interface MatrixSelector extends Span {
  type: 'MatrixSelector';
  vector: VectorSelector;
  range: DurationExpr;
  /** `anchored` / `smoothed` range modifiers (extended range selectors). */
  anchored: boolean;
  smoothed: boolean;
}

export interface SubqueryExpr extends Span {
  type: 'SubqueryExpr';
  expr: Expr;
  range: DurationExpr;
  step: DurationExpr | undefined;
  offset: DurationExpr | undefined;
  at: AtModifier | undefined;
}

export interface Call extends Span {
  type: 'Call';
  name: string;
  args: Expr[];
}

export interface AggregateExpr extends Span {
  type: 'AggregateExpr';
  op: string;
  expr: Expr;
  param: Expr | undefined;
  grouping: string[];
  without: boolean;
  /** `by ()` / `without ()` was written (even if empty). */
  hasGrouping: boolean;
}

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** on(...) when true, ignoring(...) when false (and when nothing was written). */
  on: boolean;
  labels: string[];
  /** Extra labels of group_left(...)/group_right(...). */
  include: string[];
  /** Whether on()/ignoring() was written. */
  explicit: boolean;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '</' | '>/' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | 'unless';

export interface BinaryExpr extends Span {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  matching: VectorMatching | undefined;
  /** fill()/fill_left()/fill_right(): values for series missing on one side. */
  fillLeft: number | undefined;
  fillRight: number | undefined;
}

export interface UnaryExpr extends Span {
  type: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
}

export interface ParenExpr extends Span {
  type: 'ParenExpr';
  expr: Expr;
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | SubqueryExpr | Call | AggregateExpr | BinaryExpr | UnaryExpr | ParenExpr;

export const COMPARISON_OPS = new Set<BinaryOp>(['==', '!=', '<', '<=', '>', '>=']);
export const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);
