// Sets of Unicode code points (sorted, merged ranges) and their UTF-16 form for a RegExp compiled
// WITHOUT the `u` flag.
//
// Why: V8's linear-time fallback engine (see linear-engine.ts) refuses `u`-flag regexes in Node 20,
// so the translator emits code-unit regexes whose answers equal the code-point ones: an astral
// character is a surrogate pair that must be matched (and repeated) as one unit, and a class with
// astral members becomes an alternation of pair forms. Lone surrogates are not text (they cannot
// come out of UTF-8 decoding); they match no class and no `.`, so a pair is never split.

export type CodePointRange = readonly [number, number];

export const MAX_CODE_POINT = 0x10ffff;
const SURROGATE_LO = 0xd800;
const SURROGATE_HI = 0xdfff;

/** Sorts and merges ranges (adjacent ones too). */
export function normalize(ranges: readonly CodePointRange[]): CodePointRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Every code point not in the set. */
export function complement(ranges: readonly CodePointRange[]): CodePointRange[] {
  const out: CodePointRange[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

const propertyCache = new Map<string, CodePointRange[]>();
let allCodePoints: string | undefined;

/**
 * The code points of a Unicode property (`L`, `Script=Greek`, ...), read off V8's own Unicode
 * tables once per name: one linear scan of a `u`-mode single-class regex over every scalar value.
 */
export function unicodeProperty(jsName: string): CodePointRange[] {
  const cached = propertyCache.get(jsName);
  if (cached !== undefined) return cached;
  // Surrogates are left out on purpose (see the file comment), so the scan string is well formed.
  allCodePoints ??= String.fromCodePoint(...range(0, SURROGATE_LO - 1)) + scalarsFrom(SURROGATE_HI + 1);
  const re = new RegExp(`\\p{${jsName}}+`, 'gu');
  const out: CodePointRange[] = [];
  for (const m of allCodePoints.matchAll(re)) {
    const first = m[0].codePointAt(0)!;
    const endsInPair = m[0].length > 1 && (m[0].charCodeAt(m[0].length - 1) & 0xfc00) === 0xdc00;
    const last = m[0].codePointAt(m[0].length - (endsInPair ? 2 : 1))!;
    out.push([first, last]);
  }
  propertyCache.set(jsName, out);
  return out;
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let cp = lo; cp <= hi; cp++) out.push(cp);
  return out;
}

function scalarsFrom(lo: number): string {
  // String.fromCodePoint with a million arguments overflows the stack: build it in chunks.
  const parts: string[] = [];
  for (let start = lo; start <= MAX_CODE_POINT; start += 4096) {
    parts.push(String.fromCodePoint(...range(start, Math.min(start + 4095, MAX_CODE_POINT))));
  }
  return parts.join('');
}

function unit(u: number): string {
  return `\\u${u.toString(16).padStart(4, '0')}`;
}

function bmpClassBody(ranges: readonly CodePointRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? unit(lo) : `${unit(lo)}-${unit(hi)}`)).join('');
}

/** Pair forms of the astral code points in [lo, hi], one alternative per run of high surrogates. */
function astralAlternatives(lo: number, hi: number): string[] {
  const high = (cp: number): number => 0xd800 + ((cp - 0x10000) >> 10);
  const low = (cp: number): number => 0xdc00 + ((cp - 0x10000) & 0x3ff);
  const pair = (h: string, l: number, m: number): string => `${h}${l === m ? unit(l) : `[${unit(l)}-${unit(m)}]`}`;
  const [hLo, hHi] = [high(lo), high(hi)];
  if (hLo === hHi) return [pair(unit(hLo), low(lo), low(hi))];
  const out: string[] = [];
  let fullFrom = hLo;
  let fullTo = hHi;
  if (low(lo) !== 0xdc00) {
    out.push(pair(unit(hLo), low(lo), 0xdfff));
    fullFrom++;
  }
  const tail = low(hi) !== 0xdfff ? pair(unit(hHi), 0xdc00, low(hi)) : undefined;
  if (tail !== undefined) fullTo--;
  if (fullFrom <= fullTo) {
    const highs = fullFrom === fullTo ? unit(fullFrom) : `[${unit(fullFrom)}-${unit(fullTo)}]`;
    out.push(pair(highs, 0xdc00, 0xdfff));
  }
  if (tail !== undefined) out.push(tail);
  return out;
}

/**
 * A non-`u` RegExp source matching exactly one code point of the set: a plain `[...]` class when the
 * set has no astral members, else `(?:pairs|[bmp])`. An empty set becomes `[^\s\S]` (never matches).
 */
export function toUtf16Source(set: readonly CodePointRange[]): string {
  const bmp: CodePointRange[] = [];
  const astral: string[] = [];
  for (const [lo, hi] of normalize(set)) {
    // BMP without the surrogate block.
    for (const [a, b] of [
      [lo, Math.min(hi, SURROGATE_LO - 1)],
      [Math.max(lo, SURROGATE_HI + 1), Math.min(hi, 0xffff)],
    ] as const) {
      if (a <= b) bmp.push([a, b]);
    }
    if (hi >= 0x10000) astral.push(...astralAlternatives(Math.max(lo, 0x10000), hi));
  }
  const bmpSource = bmp.length > 0 ? `[${bmpClassBody(bmp)}]` : undefined;
  if (astral.length === 0) return bmpSource ?? '[^\\s\\S]';
  return `(?:${[...astral, ...(bmpSource === undefined ? [] : [bmpSource])].join('|')})`;
}

/** `.`: any code point (but a newline unless dotAll) as a pair-aware alternation. */
export function anyCodePointSource(dotAll: boolean): string {
  return `(?:[\\ud800-\\udbff][\\udc00-\\udfff]|[^${dotAll ? '' : '\\n'}\\ud800-\\udfff])`;
}

/** One astral character as a unit that a following quantifier repeats whole. */
export function literalCodePointSource(ch: string): string {
  if (ch.length === 1) return ch;
  return `(?:${unit(ch.charCodeAt(0))}${unit(ch.charCodeAt(1))})`;
}
