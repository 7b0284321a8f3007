// The series notation of Prometheus's test scripts and of `promtool test rules`: a series
// description (`name{a="b"}`, PromQL quoting) and the expanding value sequence (`1+2x3`, `_x2`,
// `stale`, ...). Shared by the PromQL conformance runner and `promethium test rules`.
import { tokenize } from './parser/lexer.js';
import { parseNumber } from './parser/parser.js';
import type { Labels } from '../model/labels.js';
import { setLabel } from '../model/labels.js';
import type { FloatHistogram } from '../model/histogram.js';
import { parseHistogramNotation } from './histogram/notation.js';
import { addHistograms } from './histogram/arithmetic.js';

/** A stale marker in a value sequence. */
export const STALE = 'stale';

/** `name{a="b"}` or `{a="b"}` (label values with PromQL quoting) to labels. */
export function parseSeriesDesc(desc: string): Labels {
  const toks = tokenize(desc);
  const out: Labels = {};
  let i = 0;
  if (toks[i]!.kind === 'IDENT') out['__name__'] = toks[i++]!.text;
  if (toks[i]!.kind === 'LBRACE') {
    i++;
    while (toks[i]!.kind !== 'RBRACE') {
      const name = toks[i++]!;
      if (toks[i]!.kind !== 'ASSIGN') {
        out['__name__'] = name.text;
      } else {
        i++;
        setLabel(out, name.text, toks[i++]!.text);
      }
      if (toks[i]!.kind === 'COMMA') i++;
    }
    i++;
  }
  if (toks[i]!.kind !== 'EOF') throw new Error(`bad series description ${JSON.stringify(desc)}`);
  for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  return out;
}

/** A native histogram of a value sequence, and whether its text spelled out the counter-reset hint. */
export interface SequenceHistogram {
  h: FloatHistogram;
  hintSpelled: boolean;
}

/** Expands `{{A}}`, `{{A}}xN`, `{{A}}+{{B}}xN` and `{{A}}-{{B}}xN` (A, A±B, A±2B, ...). */
export function expandHistogramItem(item: string): SequenceHistogram[] {
  const m = /^\{\{([^}]*)\}\}(?:([+-])\{\{([^}]*)\}\})?(?:x(\d+))?$/.exec(item);
  if (!m) throw new Error(`bad histogram item ${JSON.stringify(item)}`);
  const first = parseHistogramNotation(m[1]!);
  const repeat = m[4] !== undefined ? Number(m[4]) : 0;
  const out: SequenceHistogram[] = [];
  if (m[2] === undefined) {
    for (let i = 0; i <= repeat; i++) out.push({ h: first.h, hintSpelled: first.hintSpelled });
    return out;
  }
  const delta = parseHistogramNotation(m[3]!);
  let cur = first.h;
  for (let i = 0; i <= repeat; i++) {
    out.push({ h: cur, hintSpelled: delta.hintSpelled });
    cur = addHistograms(cur, delta.h, m[2] === '-' ? -1 : 1).h;
  }
  return out;
}

/**
 * The value-sequence notation. Histogram positions (`{{...}}`) are undefined in `values` and set
 * in `histograms` (same positions); `histogram` says whether there were any.
 */
export function expandValues(text: string): { values: (number | typeof STALE | undefined)[]; histogram: boolean; histograms: (SequenceHistogram | undefined)[] } {
  const out: (number | typeof STALE | undefined)[] = [];
  const histograms: (SequenceHistogram | undefined)[] = [];
  let histogram = false;
  // Histogram items contain spaces: cut them out first.
  const items: string[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    if (rest.startsWith('{{')) {
      let depth = 0;
      let i = 0;
      for (; i < rest.length; i++) {
        if (rest.startsWith('{{', i)) depth++;
        if (rest.startsWith('}}', i)) {
          depth--;
          if (depth === 0) {
            i += 2;
            // a following +{{..}}xN or xN belongs to the item
            const m = /^(?:[+-]\{\{[^}]*\}\})?(?:x\d+)?/.exec(rest.slice(i));
            i += m ? m[0].length : 0;
            break;
          }
        }
      }
      items.push(rest.slice(0, i));
      rest = rest.slice(i).trim();
      continue;
    }
    const m = /^\S+/.exec(rest)!;
    items.push(m[0]);
    rest = rest.slice(m[0].length).trim();
  }
  for (const item of items) {
    if (item.startsWith('{{')) {
      histogram = true;
      for (const h of expandHistogramItem(item)) {
        histograms[out.length] = h;
        out.push(undefined);
      }
      continue;
    }
    if (item === '_') {
      out.push(undefined);
      continue;
    }
    if (item === STALE) {
      out.push(STALE);
      continue;
    }
    let m = /^_x(\d+)$/.exec(item);
    if (m) {
      for (let i = 0; i < Number(m[1]); i++) out.push(undefined);
      continue;
    }
    m = /^([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|[iI]nf|[nN]a[nN]))([+-])([0-9.]+(?:[eE][-+]?[0-9]+)?|[iI]nf|[nN]a[nN])x(\d+)$/.exec(item);
    if (m) {
      let v = parseNumber(m[1]!);
      const d = parseNumber(m[3]!) * (m[2] === '-' ? -1 : 1);
      for (let i = 0; i <= Number(m[4]); i++) {
        out.push(v);
        v += d;
      }
      continue;
    }
    m = /^([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|[iI]nf|[nN]a[nN]))x(\d+)$/.exec(item);
    if (m) {
      const v = parseNumber(m[1]!);
      for (let i = 0; i <= Number(m[2]); i++) out.push(v);
      continue;
    }
    const v = parseNumber(item);
    if (Number.isNaN(v) && !/nan/i.test(item)) throw new Error(`bad value ${item}`);
    out.push(v);
  }
  histograms.length = out.length;
  return { values: out, histogram, histograms };
}

