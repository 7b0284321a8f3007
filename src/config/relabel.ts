// relabel_configs: Prometheus's actions with its defaults, validation messages and semantics.
import { createHash } from 'node:crypto';
import type { Labels } from '../model/labels.js';
import { copyLabels, isValidLabelName } from '../model/labels.js';
import { compileAnchored, Re2SyntaxError } from '../regex/re2.js';
import { expandTemplate } from '../regex/expand.js';
import type { Node, YamlFile } from './yaml-reader.js';

export const RELABEL_ACTIONS = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export interface RelabelConfig {
  sourceLabels: string[];
  separator: string;
  regex: string;
  modulus: number;
  targetLabel: string;
  replacement: string;
  action: RelabelAction;
}

const DEFAULTS = { separator: ';', regex: '(.*)', replacement: '$1', modulus: 0 };
const FIELDS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'] as const;

/** A target_label that may contain $1 / ${name} references. */
const LABEL_NAME_TEMPLATE = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+(?:[a-zA-Z0-9_]|\$(?:\{\w+\}|\w+))*)$/;

/** Reads and validates one relabel rule; `what` names the list for empty-entry errors. */
export function readRelabelConfig(y: YamlFile, n: Node, what: string): RelabelConfig {
  if (n.kind === 'null' || (n.kind === 'map' && n.entries!.length === 0)) y.fail(n, `empty or null ${what}`);
  const m = y.map(n, 'relabel.plain', FIELDS);
  const actionNode = m.get('action');
  if (actionNode && actionNode.kind === 'null') y.fail(actionNode, 'relabel action cannot be empty');
  const action = y.str(actionNode, 'action', 'replace').toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) y.fail(actionNode, `unknown relabel action ${JSON.stringify(action)}`);
  const c: RelabelConfig = {
    sourceLabels: y.strings(m.get('source_labels'), 'source_labels'),
    separator: y.str(m.get('separator'), 'separator', DEFAULTS.separator),
    regex: m.has('regex') && m.get('regex')!.kind !== 'null' ? y.str(m.get('regex'), 'regex') : DEFAULTS.regex,
    modulus: y.int(m.get('modulus'), 'modulus', 0),
    targetLabel: y.str(m.get('target_label'), 'target_label'),
    replacement: y.str(m.get('replacement'), 'replacement', DEFAULTS.replacement),
    action: action as RelabelAction,
  };
  const fail = (msg: string): never => y.fail(n, msg);
  try {
    compileAnchored(c.regex, { dotAll: true });
  } catch (e) {
    if (e instanceof Re2SyntaxError) fail(`error parsing regexp: ${e.message}`);
    throw e;
  }
  if (c.modulus === 0 && c.action === 'hashmod') fail('relabel configuration for hashmod requires non-zero modulus');
  if (['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(c.action) && c.targetLabel === '') {
    fail(`relabel configuration for ${c.action} action requires 'target_label' value`);
  }
  if (c.action === 'replace' && !LABEL_NAME_TEMPLATE.test(c.targetLabel) && !isValidLabelName(c.targetLabel)) fail(`${JSON.stringify(c.targetLabel)} is invalid 'target_label' for ${c.action} action`);
  if ((c.action === 'lowercase' || c.action === 'uppercase' || c.action === 'keepequal' || c.action === 'dropequal' || c.action === 'hashmod') && !isValidLabelName(c.targetLabel)) {
    fail(`${JSON.stringify(c.targetLabel)} is invalid 'target_label' for ${c.action} action`);
  }
  if ((c.action === 'lowercase' || c.action === 'uppercase') && c.replacement !== DEFAULTS.replacement) fail(`'replacement' can not be set for ${c.action} action`);
  if (c.action === 'labelmap' && !LABEL_NAME_TEMPLATE.test(c.replacement) && !isValidLabelName(c.replacement)) fail(`${JSON.stringify(c.replacement)} is invalid 'replacement' for ${c.action} action`);
  if ((c.action === 'labeldrop' || c.action === 'labelkeep') && (c.sourceLabels.length > 0 || c.targetLabel !== '' || c.modulus !== DEFAULTS.modulus || c.separator !== DEFAULTS.separator || c.replacement !== DEFAULTS.replacement)) {
    fail(`${c.action} action requires only 'regex', and no other fields`);
  }
  if ((c.action === 'keepequal' || c.action === 'dropequal') && (c.regex !== DEFAULTS.regex || c.modulus !== DEFAULTS.modulus || c.separator !== DEFAULTS.separator || c.replacement !== DEFAULTS.replacement)) {
    fail(`${c.action} action requires only 'source_labels' and \`target_label\`, and no other fields`);
  }
  return c;
}

/** The first 8 bytes of the MD5 of `s` as an unsigned integer, modulo m (Prometheus's hashmod). */
function hashmod(s: string, m: number): string {
  const d = createHash('md5').update(s).digest();
  return String(d.readBigUInt64BE(8) % BigInt(m));
}

const compiled = new WeakMap<RelabelConfig, RegExp>();

function regexOf(r: RelabelConfig): RegExp {
  let re = compiled.get(r);
  if (!re) compiled.set(r, (re = compileAnchored(r.regex, { dotAll: true })));
  return re;
}

/** Applies rules in order; null when a rule drops the label set. */
export function relabel(labels: Labels, rules: readonly RelabelConfig[]): Labels | null {
  // Label names come from targets and scraped series: a set without a prototype, so `__proto__`
  // or `constructor` are plain keys (read as '' when absent, written as labels).
  let out = copyLabels(labels);
  for (const r of rules) {
    const re = regexOf(r);
    const val = r.sourceLabels.map((n) => out[n] ?? '').join(r.separator);
    switch (r.action) {
      case 'drop':
        if (re.test(val)) return null;
        break;
      case 'keep':
        if (!re.test(val)) return null;
        break;
      case 'dropequal':
        if ((out[r.targetLabel] ?? '') === val) return null;
        break;
      case 'keepequal':
        if ((out[r.targetLabel] ?? '') !== val) return null;
        break;
      case 'replace': {
        const m = re.exec(val);
        if (!m) break;
        const target = expandTemplate(r.targetLabel, m);
        if (!isValidLabelName(target)) break;
        const value = expandTemplate(r.replacement, m);
        if (value === '') delete out[target];
        else out[target] = value;
        break;
      }
      case 'lowercase':
        out[r.targetLabel] = val.toLowerCase();
        break;
      case 'uppercase':
        out[r.targetLabel] = val.toUpperCase();
        break;
      case 'hashmod':
        out[r.targetLabel] = hashmod(val, r.modulus);
        break;
      case 'labelmap': {
        const next = copyLabels(out);
        for (const [k, v] of Object.entries(out)) {
          const m = re.exec(k);
          if (m) next[expandTemplate(r.replacement, m)] = v;
        }
        out = next;
        break;
      }
      case 'labeldrop':
        for (const k of Object.keys(out)) if (re.test(k)) delete out[k];
        break;
      case 'labelkeep':
        for (const k of Object.keys(out)) if (!re.test(k)) delete out[k];
        break;
    }
    for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  }
  return out;
}
