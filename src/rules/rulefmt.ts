// Rule files (`rule_files:`), parsed and validated as Prometheus's rulefmt does: unknown keys are
// errors, group names unique per file, each rule exactly one of record/alert with an expression
// that parses, valid names, templates that parse — every error with the file, line and column.
import YAML, { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import { parsePromDuration } from '../model/duration.js';
import { setLabel, type Labels, LEGACY_LABEL_NAME } from '../model/labels.js';

export interface RuleNodeSpec {
  record?: string;
  alert?: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Labels;
  annotations: Labels;
  /** 1-based line of the rule in its file. */
  line: number;
}

export interface RuleGroupSpec {
  name: string;
  /** 0 = the global evaluation_interval. */
  intervalMs: number;
  /** Absent when the group does not set it (the global rule_query_offset applies). */
  queryOffsetMs: number | undefined;
  limit: number;
  /** Labels added to every rule's output (a rule's own labels win). */
  labels: Labels;
  rules: RuleNodeSpec[];
}

export interface RuleFile {
  path: string;
  groups: RuleGroupSpec[];
}

export interface RuleValidators {
  /** Throws with the parser's message when the expression does not parse. */
  parseExpr?: (expr: string) => void;
  /** Throws when a label/annotation template does not parse (e.g. an undefined variable). */
  checkTemplate?: (name: string, text: string) => void;
  /** `--ignore-unknown-fields` for promtool compatibility. */
  ignoreUnknownFields?: boolean;
  /** Prometheus 3's default; false for the legacy scheme ([a-zA-Z_][a-zA-Z0-9_]*). */
  utf8Names?: boolean;
}

export class RuleFileError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
    this.name = 'RuleFileError';
  }
}

const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Prometheus 3 accepts any non-empty UTF-8 name; the legacy scheme only [a-zA-Z_][a-zA-Z0-9_]*. */
function validLabelName(n: string, utf8: boolean): boolean {
  return n !== '' && (utf8 || LEGACY_LABEL_NAME.test(n));
}

export function parseRuleFile(path: string, content: string, v: RuleValidators = {}): RuleFile {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(content, { lineCounter: lc, uniqueKeys: true, merge: true });
  const errors: string[] = [];
  const at = (node: Node | null | undefined): string => {
    const off = node?.range?.[0];
    if (off === undefined) return `${path}`;
    const p = lc.linePos(off);
    return `${path}:${p.line}:${p.col}`;
  };
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    errors.push(`${path}:${p.line}:${p.col}: ${e.message.split('\n')[0]}`);
  }
  if (errors.length > 0) throw new RuleFileError(errors);
  const utf8 = v.utf8Names ?? true;

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { path, groups: [] };
  if (!isMap(root)) throw new RuleFileError([`${at(root)}: rule file must be a map with a "groups" list`]);
  const unknown = (m: YAMLMap, allowed: string[], what: string): void => {
    if (v.ignoreUnknownFields === true) return;
    for (const [k, , keyNode] of pairs(m)) {
      if (!allowed.includes(k)) errors.push(`${at(keyNode)}: field ${k} not found in type ${what}`);
    }
  };
  unknown(root, ['groups'], 'rulefmt.RuleGroups');
  const groupsNode = field(root, 'groups');
  const groups: RuleGroupSpec[] = [];
  if (groupsNode !== undefined && !(isScalar(groupsNode) && groupsNode.value === null)) {
    if (!isSeq(groupsNode)) throw new RuleFileError([`${at(groupsNode)}: "groups" must be a list`]);
    const seenGroups = new Set<string>();
    for (const gNode of groupsNode.items as Node[]) {
      if (!isMap(gNode)) {
        errors.push(`${at(gNode)}: a group must be a map`);
        continue;
      }
      unknown(gNode, ['name', 'interval', 'query_offset', 'limit', 'rules', 'labels'], 'rulefmt.RuleGroup');
      const name = scalarString(field(gNode, 'name'));
      if (name === undefined || name === '') {
        errors.push(`${at(gNode)}: groupname must not be empty`);
        continue;
      }
      if (seenGroups.has(name)) errors.push(`${at(gNode)}: groupname: "${name}" is repeated in the same file`);
      seenGroups.add(name);
      const durationField = (key: string): number => {
        const n = field(gNode, key);
        const s = scalarString(n);
        if (s === undefined || s === '') return 0;
        try {
          return parsePromDuration(s);
        } catch (e) {
          errors.push(`${at(n)}: group "${name}": invalid ${key}: ${(e as Error).message}`);
          return 0;
        }
      };
      const intervalMs = durationField('interval');
      const queryOffsetMs = scalarString(field(gNode, 'query_offset')) ? durationField('query_offset') : undefined;
      const limitText = scalarString(field(gNode, 'limit'));
      const limit = limitText === undefined ? 0 : Number(limitText);
      const rulesNode = field(gNode, 'rules');
      const rules: RuleNodeSpec[] = [];
      if (rulesNode !== undefined && isSeq(rulesNode)) {
        (rulesNode.items as Node[]).forEach((rNode, idx) => {
          const r = parseRule(rNode, idx + 1, name);
          if (r !== undefined) rules.push(r);
        });
      } else if (rulesNode !== undefined && !(isScalar(rulesNode) && rulesNode.value === null)) {
        errors.push(`${at(rulesNode)}: group "${name}": "rules" must be a list`);
      }
      const groupLabels = stringMap(field(gNode, 'labels'), 'labels', (m) => errors.push(`${at(gNode)}: group "${name}": ${m}`));
      for (const k of Object.keys(groupLabels)) if (k === '__name__' || !validLabelName(k, utf8)) errors.push(`${at(gNode)}: group "${name}": invalid label name: ${k}`);
      groups.push({ name, intervalMs, queryOffsetMs, limit: Number.isFinite(limit) ? limit : 0, labels: groupLabels, rules });
    }
  }
  if (errors.length > 0) throw new RuleFileError(errors);
  return { path, groups };

  function parseRule(rNode: Node, index: number, group: string): RuleNodeSpec | undefined {
    if (!isMap(rNode)) {
      errors.push(`${at(rNode)}: group "${group}", rule ${index}: a rule must be a map`);
      return undefined;
    }
    unknown(rNode, ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'], 'rulefmt.Rule');
    const record = scalarString(field(rNode, 'record'));
    const alert = scalarString(field(rNode, 'alert'));
    const exprNode = field(rNode, 'expr');
    const expr = scalarString(exprNode) ?? '';
    const ruleName = record ?? alert ?? '';
    const prefix = `${at(rNode)}: group "${group}", rule ${index}, "${ruleName}"`;
    const fail = (msg: string): void => {
      errors.push(`${prefix}: ${msg}`);
    };
    if (record !== undefined && alert !== undefined) fail("only one of 'record' and 'alert' must be set");
    if (record === undefined && alert === undefined) fail("one of 'record' or 'alert' must be set");
    if (expr === '') fail("field 'expr' must be set in rule");
    else if (v.parseExpr !== undefined) {
      try {
        v.parseExpr(expr);
      } catch (e) {
        errors.push(`${at(exprNode)}: group "${group}", rule ${index}, "${ruleName}": could not parse expression: ${(e as Error).message}`);
      }
    }
    const forText = scalarString(field(rNode, 'for'));
    const keepText = scalarString(field(rNode, 'keep_firing_for'));
    if (record !== undefined) {
      if (field(rNode, 'annotations') !== undefined) fail("invalid field 'annotations' in recording rule");
      if (forText !== undefined) fail("invalid field 'for' in recording rule");
      if (keepText !== undefined) fail("invalid field 'keep_firing_for' in recording rule");
      if (/[{}]/.test(record)) fail(`braces present in the recording rule name; should it be in expr?: ${record}`);
      else if (!(utf8 ? record !== '' : LEGACY_METRIC.test(record))) fail(`invalid recording rule name: ${record}`);
    }
    const labels = stringMap(field(rNode, 'labels'), 'labels', fail);
    const annotations = stringMap(field(rNode, 'annotations'), 'annotations', fail);
    for (const k of Object.keys(labels)) {
      if (k === '__name__' || !validLabelName(k, utf8)) fail(`invalid label name: ${k}`);
    }
    for (const k of Object.keys(annotations)) {
      if (!validLabelName(k, utf8)) fail(`invalid annotation name: ${k}`);
    }
    if (alert !== undefined && v.checkTemplate !== undefined) {
      for (const [k, t] of [...Object.entries(labels), ...Object.entries(annotations)]) {
        try {
          v.checkTemplate(`__alert_${alert}`, t);
        } catch (e) {
          fail(`msg=${JSON.stringify(`template: __alert_${alert}:${(e as Error).message}`)} (in ${k})`);
        }
      }
    }
    const duration = (text: string | undefined, field: string): number => {
      if (text === undefined || text === '') return 0;
      try {
        return parsePromDuration(text);
      } catch (e) {
        fail(`invalid ${field}: ${(e as Error).message}`);
        return 0;
      }
    };
    const line = lc.linePos(rNode.range?.[0] ?? 0).line;
    return { record, alert, expr, forMs: duration(forText, 'for'), keepFiringForMs: duration(keepText, 'keep_firing_for'), labels, annotations, line };
  }

  /** Resolves an alias (`*name`) to the node it points at. */
  function deref(n: Node | undefined | null): Node | undefined {
    if (n === undefined || n === null) return undefined;
    return isAlias(n) ? (n.resolve(doc) as Node | undefined) : n;
  }

  /** A map's pairs with YAML merge keys (`<<: *anchor`) expanded; explicit keys win. */
  function pairs(m: YAMLMap): [string, Node | undefined, Node][] {
    const out = new Map<string, [string, Node | undefined, Node]>();
    const merged: [string, Node | undefined, Node][] = [];
    for (const item of m.items as Pair<Node, Node>[]) {
      const rawKey = isScalar(item.key) ? item.key.value : undefined;
      const key = typeof rawKey === 'symbol' ? '<<' : String(rawKey);
      if (key === '<<') {
        const src = deref(item.value);
        if (src !== undefined && isMap(src)) merged.push(...pairs(src));
        continue;
      }
      out.set(key, [key, item.value ?? undefined, item.key]);
    }
    for (const p of merged) if (!out.has(p[0])) out.set(p[0], p);
    return [...out.values()];
  }

  function field(m: YAMLMap, key: string): Node | undefined {
    const p = pairs(m).find(([k]) => k === key);
    return p === undefined ? undefined : deref(p[1]);
  }

  /** A scalar's text; aliases (`*expr`) resolve to the anchored node. */
  function scalarString(n: Node | undefined | null): string | undefined {
    if (n === undefined || n === null) return undefined;
    const node = deref(n);
    if (node !== undefined && isScalar(node)) return node.value === null ? undefined : String(node.value);
    return undefined;
  }

  function stringMap(n: Node | undefined, what: string, fail: (m: string) => void): Labels {
    const out: Labels = {};
    if (n === undefined || (isScalar(n) && n.value === null)) return out;
    if (!isMap(n)) {
      fail(`${what} must be a map`);
      return out;
    }
    for (const [k, value] of pairs(n)) setLabel(out, k, scalarString(value) ?? '');
    return out;
  }
}
