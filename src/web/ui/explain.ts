// The Explain tab (Prometheus 3's tree view, after PromLens): the query as a tree of its nodes,
// parsed with the editor's own PromQL grammar. Every node is a valid expression by itself, so each
// is evaluated through the query API at the panel's evaluation time: the tree shows its result
// count and labels, and a sentence saying what the node does; clicking a node shows its result.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { api } from './api.js';
import { clear, h } from './dom.js';

export interface ExplainNode {
  kind: string;
  /** The node's own text in the query (a valid expression). */
  text: string;
  /** A short head for the tree: `sum by (job)`, `rate(…)`, `… / on(job) …`. */
  head: string;
  explanation: string;
  children: ExplainNode[];
}

/** Grammar nodes that are expressions of their own. */
const EXPR_NODES = new Set(['AggregateExpr', 'BinaryExpr', 'FunctionCall', 'MatrixSelector', 'VectorSelector', 'SubqueryExpr', 'OffsetExpr', 'ParenExpr', 'UnaryExpr', 'NumberDurationLiteral', 'StringLiteral', 'StepInvariantExpr', 'AnchoredExpr', 'SmoothedExpr']);
/** Expression nodes shown as leaves: their inner parts are not queries worth a node. */
const LEAF_NODES = new Set(['MatrixSelector', 'VectorSelector', 'NumberDurationLiteral', 'StringLiteral']);

const AGGREGATION_WORDS: Record<string, string> = {
  sum: 'Sums',
  avg: 'Averages',
  min: 'Takes the minimum of',
  max: 'Takes the maximum of',
  count: 'Counts',
  group: 'Groups (value 1)',
  stddev: 'Takes the standard deviation of',
  stdvar: 'Takes the standard variance of',
  topk: 'Keeps the k largest of',
  bottomk: 'Keeps the k smallest of',
  quantile: 'Takes a quantile of',
  count_values: 'Counts the series per distinct value of',
  limitk: 'Keeps at most k of',
  limit_ratio: 'Keeps a ratio of',
};

const FUNCTION_WORDS: Record<string, string> = {
  rate: 'the per-second average rate of increase of each counter over the range, adjusted for counter resets',
  irate: 'the per-second rate of increase from the last two samples in the range',
  increase: 'the increase of each counter over the range, adjusted for counter resets',
  delta: 'the difference between the first and last value of each gauge over the range',
  deriv: 'the per-second derivative of each gauge over the range (linear regression)',
  histogram_quantile: 'the quantile of each histogram (from its buckets)',
  abs: 'the absolute value of each sample',
  absent: 'a 1-valued series if the input is empty, nothing otherwise',
  label_replace: 'each series with a label rewritten by a regular expression',
  label_join: 'each series with a label joined from other labels',
  time: 'the evaluation time in seconds since the epoch',
  vector: 'the scalar as a series without labels',
  scalar: 'the value of a single-series input as a scalar (NaN otherwise)',
  clamp_min: 'each sample raised to at least the minimum',
  clamp_max: 'each sample lowered to at most the maximum',
  round: 'each sample rounded',
  sort: 'the series sorted by value, ascending',
  sort_desc: 'the series sorted by value, descending',
  predict_linear: 'the value each gauge is predicted to have in t seconds (linear regression)',
  changes: 'how many times each series changed value over the range',
  resets: 'how many counter resets each series had over the range',
};

const BINARY_WORDS: Record<string, string> = { '+': 'adds', '-': 'subtracts', '*': 'multiplies', '/': 'divides', '%': 'takes the remainder of', '^': 'raises to the power', atan2: 'takes atan2 of' };
const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);

function childExprs(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (EXPR_NODES.has(c.name)) out.push(c);
    else if (c.name === 'FunctionCallBody') out.push(...childExprs(c));
  }
  return out;
}

function child(node: SyntaxNode, name: string): SyntaxNode | null {
  return node.getChild(name);
}

function describe(node: SyntaxNode, q: string): { head: string; explanation: string } {
  const text = (n: SyntaxNode | null): string => (n === null ? '' : q.slice(n.from, n.to));
  const all = text(node);
  switch (node.name) {
    case 'VectorSelector': {
      const name = text(child(node, 'Identifier'));
      const matchers = text(child(node, 'LabelMatchers'));
      return { head: all, explanation: `Selects the latest sample (within the lookback delta) of every series${name ? ` named ${name}` : ''}${matchers && matchers !== '{}' ? ` whose labels match ${matchers}` : ''}.` };
    }
    case 'MatrixSelector': {
      const range = text(child(node, 'DurationExpr'));
      return { head: all, explanation: `Selects every sample of the last ${range} of the series that ${text(child(node, 'VectorSelector'))} selects: a range vector, the input of a range function.` };
    }
    case 'AggregateExpr': {
      const op = text(child(node, 'AggregateOp'));
      const modifier = child(node, 'AggregateModifier');
      const labels = text(modifier?.getChild('GroupingLabels') ?? null).replace(/^\(|\)$/g, '').trim();
      const grouping = modifier === null ? 'into one series without labels' : modifier.getChild('Without') ? `per group of equal labels except ${labels || 'none'} (those are dropped)` : `per distinct value of ${labels || 'nothing (one series)'}, keeping only ${labels ? 'those labels' : 'no labels'}`;
      return { head: `${op}${modifier ? ` ${text(modifier)}` : ''}`, explanation: `${AGGREGATION_WORDS[op] ?? `Aggregates (${op})`} the input series ${grouping}.` };
    }
    case 'FunctionCall': {
      const name = text(child(node, 'FunctionIdentifier'));
      const words = FUNCTION_WORDS[name];
      return { head: `${name}(…)`, explanation: words ? `Calls ${name}: ${words}.` : name.endsWith('_over_time') ? `Calls ${name}: the ${name.replace(/_over_time$/, '')} of each series' samples over the range.` : `Calls the function ${name} on its arguments.` };
    }
    case 'BinaryExpr': {
      let op = '';
      let modifier = '';
      let returnBool = false;
      const exprs = childExprs(node);
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (EXPR_NODES.has(c.name)) continue;
        if (c.name === 'BoolModifier') returnBool = true;
        else if (c.name === 'MatchingModifierClause') modifier = text(c);
        else op = text(c);
      }
      const head = `… ${op}${returnBool ? ' bool' : ''}${modifier ? ` ${modifier}` : ''} …`;
      const matching = modifier ? `, matching series ${modifier.replace(/\s+/g, ' ')}` : ', matching series with identical labels (the metric name aside)';
      const scalarSide = exprs.some((e) => e.name === 'NumberDurationLiteral');
      if (op === 'and') return { head, explanation: `Keeps the left-hand series that have a match on the right${matching}.` };
      if (op === 'or') return { head, explanation: `All left-hand series, plus the right-hand series that have no match on the left${matching}.` };
      if (op === 'unless') return { head, explanation: `Keeps the left-hand series that have no match on the right${matching}.` };
      if (COMPARISONS.has(op)) {
        return returnBool
          ? { head, explanation: `Compares (${op}) ${scalarSide ? 'each series with the number' : `the two sides${matching}`}: 1 where true, 0 where false.` }
          : { head, explanation: `Filters: keeps the left-hand series whose value is ${op} ${scalarSide ? 'the number' : `the matching right-hand value${matching}`}.` };
      }
      return { head, explanation: `${(BINARY_WORDS[op] ?? `applies ${op} to`).replace(/^./, (c) => c.toUpperCase())} the two sides ${scalarSide ? '(each series with the number)' : `pairwise${matching}`}; the metric name is dropped.` };
    }
    case 'NumberDurationLiteral':
      return { head: all, explanation: 'A number: a scalar.' };
    case 'StringLiteral':
      return { head: all, explanation: 'A string.' };
    case 'ParenExpr':
      return { head: '( … )', explanation: 'Parentheses: the inner expression, unchanged.' };
    case 'UnaryExpr':
      return { head: `${text(child(node, 'UnaryOp'))}…`, explanation: 'Changes the sign of every value.' };
    case 'OffsetExpr':
      return { head: `… offset ${text(child(node, 'OffsetDurationExpr'))}`, explanation: `The inner expression evaluated ${text(child(node, 'OffsetDurationExpr'))} earlier.` };
    case 'SubqueryExpr': {
      const [range, step] = node.getChildren('DurationExpr').map(text);
      return { head: `…[${range}:${step ?? ''}]`, explanation: `Evaluates the inner expression every ${step || 'global evaluation interval'} over the last ${range}: a range vector.` };
    }
    case 'StepInvariantExpr':
      return { head: `… @ ${all.split('@').pop()!.trim()}`, explanation: 'The inner expression at a fixed time (the @ modifier), the same at every step.' };
    default:
      return { head: all, explanation: `A ${node.name}.` };
  }
}

function build(node: SyntaxNode, q: string): ExplainNode {
  const { head, explanation } = describe(node, q);
  return { kind: node.name, text: q.slice(node.from, node.to), head, explanation, children: LEAF_NODES.has(node.name) ? [] : childExprs(node).map((c) => build(c, q)) };
}

/** The query's tree, or an error naming where the grammar stopped. */
export function explainTree(query: string): ExplainNode {
  if (query.trim() === '') throw new Error('an empty query has no tree');
  const tree = parser.parse(query);
  let error: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && error === undefined) error = n.from;
    },
  });
  if (error !== undefined) throw new Error(`the query does not parse (at character ${error + 1}); fix it to see its tree`);
  const top = tree.topNode.firstChild;
  if (top === null || !EXPR_NODES.has(top.name)) throw new Error('an empty query has no tree');
  return build(top, query);
}

interface NodeResult {
  resultType: string;
  result: { metric?: Record<string, string> }[] | [number, string];
}

/** `3 series · labels: instance (3), job (1)` for a node's result. */
export function summarizeResult(d: NodeResult): string {
  if (d.resultType === 'scalar' || d.resultType === 'string') return `${d.resultType}: ${(d.result as [number, string])[1]}`;
  const series = d.result as { metric?: Record<string, string> }[];
  const values = new Map<string, Set<string>>();
  for (const s of series) for (const [k, v] of Object.entries(s.metric ?? {})) if (k !== '__name__') (values.get(k) ?? values.set(k, new Set()).get(k)!).add(v);
  const labels = [...values.keys()].sort().map((k) => `${k} (${values.get(k)!.size})`);
  return `${series.length} ${d.resultType === 'matrix' ? 'range ' : ''}series${labels.length > 0 ? ` · labels: ${labels.join(', ')}` : ''}`;
}

/** Draws the tree into `el`; `show` renders a node's full result below it when the node is clicked. */
export function renderExplain(el: HTMLElement, query: string, time: number, show: (target: HTMLElement, data: unknown) => void): void {
  let root: ExplainNode;
  try {
    root = explainTree(query);
  } catch (e) {
    el.append(h('div', { class: 'alert error', role: 'alert' }, (e as Error).message));
    return;
  }
  const detail = h('div', { class: 'explain-detail' });
  let selected: HTMLElement | undefined;
  const renderNode = (n: ExplainNode): HTMLElement => {
    const summary = h('span', { class: 'explain-count muted' }, 'evaluating…');
    const button = h('button', { class: 'explain-node', type: 'button', 'data-kind': n.kind, title: n.text }, h('code', { class: 'explain-head' }, n.head), ' ', summary);
    const item = h('li', {}, button, h('div', { class: 'explain-words' }, n.explanation), n.children.length > 0 ? h('ul', { class: 'explain-children' }, n.children.map(renderNode)) : null);
    const result = api<NodeResult>('api/v1/query', { query: n.text, time: (time / 1000).toString() });
    result.then(
      (r) => summary.replaceChildren(summarizeResult(r.data)),
      (e: Error) => {
        summary.className = 'explain-count error-cell';
        summary.replaceChildren(e.message);
      },
    );
    button.addEventListener('click', () => {
      selected?.classList.remove('selected');
      selected = button;
      button.classList.add('selected');
      clear(detail);
      detail.append(h('h3', {}, h('code', {}, n.text)), h('p', { class: 'muted' }, n.explanation));
      result.then(
        (r) => show(detail, r.data),
        (e: Error) => detail.append(h('div', { class: 'alert error', role: 'alert' }, e.message)),
      );
    });
    return item;
  };
  el.append(h('div', { class: 'explain' }, h('ul', { class: 'explain-tree' }, renderNode(root)), detail));
}
