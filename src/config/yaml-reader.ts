// Strict reading of YAML configuration files with positions: every value knows its line and
// column, unknown keys are errors (as Prometheus's strict unmarshalling has them), and errors
// read `file:line:col: what is wrong`.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { setLabel } from '../model/labels.js';
import type { Node as YamlNode } from 'yaml';
import { parsePromDuration } from '../model/duration.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A YAML value with where it was written. */
export interface Node {
  kind: 'map' | 'seq' | 'scalar' | 'null';
  /** Map entries in order (key nodes carry the key's position). */
  entries?: { key: string; keyNode: Node; value: Node }[];
  items?: Node[];
  value?: string | number | boolean | Uint8Array;
  line: number;
  col: number;
  /** Explicit tag (e.g. `!!binary`). */
  tag?: string;
}

/** Bytes from !!binary as a string; bytes that are not UTF-8 become lone surrogates so label
 * validation can tell (Go keeps the raw bytes). */
function bytesToString(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return [...b].map((x) => (x < 0x80 ? String.fromCharCode(x) : String.fromCharCode(0xdc00 + x))).join('');
  }
}

export class YamlFile {
  readonly root: Node;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, schema: 'yaml-1.1', uniqueKeys: false, prettyErrors: false });
    const err = doc.errors[0];
    if (err) {
      const p = lc.linePos(err.pos[0]);
      const dupKey = /Map keys must be unique/.test(err.message);
      throw new ConfigError(`${file}:${p.line}:${p.col}: ${dupKey ? 'field already set (duplicate key)' : err.message.split('\n')[0]}`);
    }
    const conv = (n: YamlNode | null | undefined, fallback: number): Node => {
      const pos = n && n.range ? lc.linePos(n.range[0]) : lc.linePos(fallback);
      const at = { line: pos.line, col: pos.col };
      if (n === null || n === undefined) return { kind: 'null', ...at };
      const tag = (n as { tag?: string }).tag;
      if (isMap(n)) {
        const entries = n.items.map((pair) => {
          const keyNode = conv(pair.key as YamlNode, n.range?.[0] ?? 0);
          const key = keyNode.kind === 'scalar' ? String(keyNode.value instanceof Uint8Array ? bytesToString(keyNode.value) : keyNode.value) : '';
          return { key, keyNode, value: conv(pair.value as YamlNode, (pair.key as YamlNode | null)?.range?.[1] ?? 0) };
        });
        return { kind: 'map', entries, tag, ...at };
      }
      if (isSeq(n)) return { kind: 'seq', items: n.items.map((x) => conv(x as YamlNode, n.range?.[0] ?? 0)), tag, ...at };
      if (isScalar(n)) {
        const v = n.value;
        if (v === null || v === undefined) return { kind: 'null', tag, ...at };
        if (v instanceof Uint8Array) {
          const src = (n as { source?: string }).source ?? '';
          if (!/^[A-Za-z0-9+/=\s]*$/.test(src)) throw new ConfigError(`${file}:${at.line}:${at.col}: !!binary value contains invalid base64 data`);
          return { kind: 'scalar', value: bytesToString(v), tag, ...at };
        }
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', value: v, tag, ...at };
        return { kind: 'scalar', value: String(v), tag, ...at };
      }
      return { kind: 'null', ...at };
    };
    this.root = conv(doc.contents as YamlNode, 0);
  }

  fail(n: Node | undefined, message: string): never {
    throw new ConfigError(n ? `${this.file}:${n.line}:${n.col}: ${message}` : `${this.file}: ${message}`);
  }

  /** The entries of a map, refusing keys that are not in `allowed` (Go type name for messages). */
  map(n: Node, typeName: string, allowed: readonly string[]): Map<string, Node> {
    if (n.kind === 'null') return new Map();
    if (n.kind !== 'map') this.fail(n, `expected a mapping for ${typeName}`);
    const out = new Map<string, Node>();
    for (const e of n.entries!) {
      if (!allowed.includes(e.key)) this.fail(e.keyNode, `field ${e.key} not found in type ${typeName}`);
      if (out.has(e.key)) this.fail(e.keyNode, `field ${e.key} already set in type ${typeName}`);
      out.set(e.key, e.value);
    }
    return out;
  }

  seq(n: Node | undefined, what: string): Node[] {
    if (!n || n.kind === 'null') return [];
    if (n.kind !== 'seq') this.fail(n, `${what} must be a list`);
    return n.items!;
  }

  str(n: Node | undefined, what: string, dflt = ''): string {
    if (!n || n.kind === 'null') return dflt;
    if (n.kind !== 'scalar') this.fail(n, `${what} must be a string`);
    return String(n.value);
  }

  bool(n: Node | undefined, what: string, dflt: boolean): boolean {
    if (!n || n.kind === 'null') return dflt;
    if (n.kind !== 'scalar' || typeof n.value !== 'boolean') this.fail(n, `${what} must be true or false`);
    return n.value as boolean;
  }

  int(n: Node | undefined, what: string, dflt: number): number {
    if (!n || n.kind === 'null') return dflt;
    const v = n.kind === 'scalar' ? Number(n.value) : NaN;
    if (!Number.isInteger(v)) this.fail(n, `${what} must be an integer`);
    return v;
  }

  float(n: Node | undefined, what: string, dflt: number): number {
    if (!n || n.kind === 'null') return dflt;
    const v = n.kind === 'scalar' ? Number(n.value) : NaN;
    if (Number.isNaN(v)) this.fail(n, `${what} must be a number`);
    return v;
  }

  /** A Prometheus duration (`1m30s`), in milliseconds. */
  duration(n: Node | undefined, what: string, dflt: number): number {
    if (!n || n.kind === 'null') return dflt;
    const s = this.str(n, what);
    try {
      return parsePromDuration(s);
    } catch {
      this.fail(n, `not a valid duration string: ${JSON.stringify(s)}`);
    }
  }

  strings(n: Node | undefined, what: string): string[] {
    return this.seq(n, what).map((x) => this.str(x, what));
  }

  stringMap(n: Node | undefined, what: string): Record<string, string> {
    if (!n || n.kind === 'null') return {};
    if (n.kind !== 'map') this.fail(n, `${what} must be a mapping`);
    const out: Record<string, string> = {};
    // Keys are user-chosen (label names, header names): `__proto__` stays an ordinary key.
    for (const e of n.entries!) setLabel(out, e.key, this.str(e.value, `${what}.${e.key}`));
    return out;
  }
}
