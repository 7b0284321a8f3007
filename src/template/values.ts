// The value model of the template engine, and the one place where templates reach into values.
// Go's text/template can only read fields of the data it was given, index maps and slices, and call
// the functions and methods the program put there. JavaScript values carry much more (prototypes,
// `constructor`, accessors, every method of String.prototype): a template that reaches any of it can
// build a Function and run code in the server. So every field access, `index`, `len`, `slice`,
// `range` and method lookup of the engine goes through this module, which sees only:
// - own, enumerable data properties of plain objects (prototype Object.prototype or null) and the
//   entries of Maps, never accessors, never anything inherited;
// - array elements by integer index;
// - methods registered for a value with withMethods() (Alertmanager's .Alerts.Firing, ...);
// - functions registered with registerFuncs() (for `call`).

import { TemplateError } from './errors.js';

export type TemplateFunc = (...args: unknown[]) => unknown;
/** A method of a data value: gets its receiver first, then the template's arguments. */
export type TemplateMethod = (recv: never, ...args: unknown[]) => unknown;

const registeredFuncs = new WeakSet<TemplateFunc>();
const methodTables = new WeakMap<object, ReadonlyMap<string, TemplateMethod>>();
const structs = new WeakSet<object>();
const stringMaps = new WeakSet<object>();

/** Marks the template functions the engine hands out, the only ones `call` will invoke. */
export function registerFuncs(funcs: Iterable<TemplateFunc>): void {
  for (const f of funcs) registeredFuncs.add(f);
}

export function isRegisteredFunc(v: unknown): v is TemplateFunc {
  return typeof v === 'function' && registeredFuncs.has(v as TemplateFunc);
}

/** Gives `value` Go methods callable from templates (`.Alerts.Firing`, `.Labels.SortedPairs`). */
export function withMethods<T extends object>(value: T, methods: Record<string, TemplateMethod>): T {
  methodTables.set(value, new Map(Object.entries(methods)));
  return value;
}

/** Marks a plain object as a Go struct: a field it does not have is an error, not `<no value>`. */
export function goStruct<T extends object>(value: T): T {
  structs.add(value);
  return value;
}

/**
 * A Go map[string]string built from label-like data: a null-prototype object, so a key such as
 * `__proto__` or `constructor` is an ordinary entry, and `index` of a missing key gives "" as Go does.
 */
export function stringMap(entries: Iterable<[string, string]> | Record<string, string> | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  const list = entries === undefined ? [] : Symbol.iterator in entries ? entries : ownEntries(entries);
  for (const [k, v] of list as Iterable<[string, unknown]>) {
    if (typeof v === 'string') Object.defineProperty(out, k, { value: v, enumerable: true, writable: false, configurable: false });
  }
  stringMaps.add(out);
  return out;
}

/** A Go map[string]interface{} (the result of `args`, for instance). */
export function anyMap(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: false, configurable: false });
  return out;
}

export type Kind = 'nil' | 'string' | 'number' | 'bool' | 'slice' | 'map' | 'struct' | 'time' | 'func' | 'opaque';

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'function':
      return registeredFuncs.has(v as TemplateFunc) ? 'func' : 'opaque';
    case 'object':
      break;
    default:
      return 'opaque';
  }
  const o = v as object;
  if (Array.isArray(o) && Object.getPrototypeOf(o) === Array.prototype) return 'slice';
  if (o instanceof Map && Object.getPrototypeOf(o) === Map.prototype) return 'map';
  if (o instanceof Date && Object.getPrototypeOf(o) === Date.prototype) return 'time';
  if (isPlainObject(o)) return structs.has(o) ? 'struct' : 'map';
  return 'opaque';
}

/** Go-ish type names for error messages. */
export function typeName(v: unknown): string {
  const k = kindOf(v);
  return { nil: 'nil', string: 'string', number: 'float64', bool: 'bool', slice: '[]interface {}', map: 'map[string]interface {}', struct: 'struct', time: 'time.Time', func: 'func', opaque: 'opaque value' }[k];
}

/** An own, enumerable data property of a plain object (never an accessor, never inherited). */
function ownData(o: object, key: string): { found: boolean; value?: unknown } {
  const d = Object.getOwnPropertyDescriptor(o, key);
  if (d === undefined || !d.enumerable || !('value' in d)) return { found: false };
  return { found: true, value: d.value as unknown };
}

function ownEntries(o: object): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const k of Object.keys(o)) {
    const d = ownData(o, k);
    if (d.found) out.push([k, d.value]);
  }
  return out;
}

/** The entries of a map-like value sorted by key, as Go's range and fmt print maps. */
export function mapEntries(v: unknown): [string, unknown][] {
  const entries: [string, unknown][] = v instanceof Map ? [...(v as Map<unknown, unknown>)].filter((e): e is [string, unknown] => typeof e[0] === 'string') : ownEntries(v as object);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function mapLookup(m: object, key: string): { found: boolean; value?: unknown } {
  if (m instanceof Map) return (m as Map<unknown, unknown>).has(key) ? { found: true, value: (m as Map<unknown, unknown>).get(key) } : { found: false };
  return ownData(m, key);
}

export type Field = { method: TemplateMethod; recv: unknown } | { value: unknown };

/** `.Name` on a value: a registered method, a struct field or a map entry; else an error. */
export function field(v: unknown, name: string): Field {
  if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
    const m = methodTables.get(v)?.get(name);
    if (m) return { method: m, recv: v };
  }
  const k = kindOf(v);
  // Go: a field of a missing value (a missing map key) is itself missing.
  if (k === 'nil') return { value: undefined };
  if (k === 'map') {
    const r = mapLookup(v as object, name);
    return { value: r.found ? r.value : undefined };
  }
  if (k === 'struct') {
    const r = ownData(v as object, name);
    if (r.found) return { value: r.value };
  }
  throw new TemplateError(`can't evaluate field ${name} in type ${typeName(v)}`);
}

function toIndex(i: unknown, len: number, what: string): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TemplateError(`cannot index ${what} with ${typeName(i)}`);
  if (i < 0 || i >= len) throw new TemplateError(`error calling index: index out of range: ${i}`);
  return i;
}

/** Go's `index`: map entries (zero value when missing), slice and string elements by integer. */
export function indexValue(v: unknown, key: unknown): unknown {
  const k = kindOf(v);
  if (k === 'map') {
    if (typeof key !== 'string') throw new TemplateError(`error calling index: value has type ${typeName(key)}; should be string`);
    const r = mapLookup(v as object, key);
    if (r.found) return r.value;
    return stringMaps.has(v as object) ? '' : undefined;
  }
  if (k === 'slice') return (v as unknown[])[toIndex(key, (v as unknown[]).length, 'slice')];
  if (k === 'string') {
    const bytes = Buffer.from(v as string);
    return bytes[toIndex(key, bytes.length, 'string')];
  }
  if (k === 'nil') throw new TemplateError('error calling index: index of untyped nil');
  throw new TemplateError(`error calling index: can't index item of type ${typeName(v)}`);
}

/** Go's `len`. */
export function lengthOf(v: unknown): number {
  switch (kindOf(v)) {
    case 'string':
      return Buffer.byteLength(v as string);
    case 'slice':
      return (v as unknown[]).length;
    case 'map':
      return mapEntries(v).length;
    default:
      throw new TemplateError(`error calling len: len of type ${typeName(v)}`);
  }
}

/** Go's `slice x 1 2`: substrings and subslices with Go's bounds checks. */
export function sliceOf(v: unknown, ...idx: unknown[]): unknown {
  const k = kindOf(v);
  if (k !== 'string' && k !== 'slice') throw new TemplateError(`error calling slice: can't slice item of type ${typeName(v)}`);
  if (idx.length > 2) throw new TemplateError('error calling slice: too many slice indexes');
  const len = (v as string | unknown[]).length;
  const bounds = idx.map((i) => {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new TemplateError(`error calling slice: cannot index slice/array with type ${typeName(i)}`);
    if (i < 0 || i > len) throw new TemplateError(`error calling slice: index out of range: ${i}`);
    return i;
  });
  const [i = 0, j = len] = bounds;
  if (i > j) throw new TemplateError(`error calling slice: invalid slice index: ${i} > ${j}`);
  return (v as string | unknown[]).slice(i, j);
}

/** What `range` iterates: [key, element] pairs of a slice or map (maps in key order). */
export function rangeItems(v: unknown): [unknown, unknown][] {
  switch (kindOf(v)) {
    case 'nil':
      return [];
    case 'slice':
      return (v as unknown[]).map((x, i) => [i, x]);
    case 'map':
      return mapEntries(v);
    default:
      throw new TemplateError(`range can't iterate over ${goString(v)}`);
  }
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'number':
      return v !== 0;
    case 'string':
      return v !== '';
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return mapEntries(v).length > 0;
    default:
      return true;
  }
}

/** Go's default formatting of a value (fmt.Sprint), reading only what templates may read. */
export function goString(v: unknown): string {
  switch (kindOf(v)) {
    case 'nil':
      return '<no value>';
    case 'number': {
      const n = v as number;
      if (Number.isNaN(n)) return 'NaN';
      if (n === Infinity) return '+Inf';
      if (n === -Infinity) return '-Inf';
      if (Number.isInteger(n)) return String(n);
      const s = String(n);
      if (/e/.test(s)) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
      return s;
    }
    case 'string':
      return v as string;
    case 'bool':
      return v ? 'true' : 'false';
    case 'slice':
      return `[${(v as unknown[]).map(goString).join(' ')}]`;
    case 'time':
      return Number.isNaN((v as Date).getTime()) ? '<invalid time>' : (v as Date).toISOString();
    case 'map':
      return `map[${mapEntries(v)
        .map(([k, x]) => `${k}:${goString(x)}`)
        .join(' ')}]`;
    case 'struct':
      return `{${ownEntries(v as object)
        .map(([, x]) => goString(x))
        .join(' ')}}`;
    case 'func':
      return '<func>';
    default:
      return '<opaque value>';
  }
}

/** A string argument of a template function. Numbers and booleans are formatted (a leniency Go
 * does not have); anything else is an error, never a JS conversion that could run a method. */
export function stringArg(v: unknown): string {
  const k = kindOf(v);
  if (k === 'string') return v as string;
  if (k === 'number' || k === 'bool') return goString(v);
  throw new TemplateError(`wrong type for value; expected string; got ${typeName(v)}`);
}
