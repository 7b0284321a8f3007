// Instant vector selectors: one native selection per selector, sampled at every step (or once
// for an `@` time and replicated).
import { CELL_BYTES, reserveCells } from './limits.js';
import type { NativeMatrix } from '../storage/native.js';
import type { VectorSelector } from './parser/ast.js';
import type { Ctx } from './context.js';
import { atTime, countSamples, durationMs, selectorSteps } from './context.js';
import type { Series } from './values.js';
import type { FloatHistogram } from '../model/histogram.js';
import { histogramSamplesOf, pickInstantHistograms, withQueryHints } from './histogram/samples.js';
import type { HistogramSamples } from './histogram/samples.js';
import type { NativeSamples } from '../storage/native.js';
import { smoothedHistogramAt } from './histogram/extended.js';

function replicate<T extends Float64Array | Uint8Array>(src: T, at: number, n: number, make: (n: number) => T): T {
  const out = make(n);
  out.fill(src[at] as never);
  return out;
}

/** A vector selector's series; `withStarts` also reads the samples' start timestamps (not for `smoothed`). */
export function evalVectorSelector(vs: VectorSelector, ctx: Ctx, withStarts = false): Series[] {
  const env = ctx.engine;
  const offset = vs.offset ? durationMs(vs.offset, ctx) : 0;
  const { steps, fixed } = selectorSteps(ctx, offset, atTime(vs.at, ctx));
  const sel = env.storage.select(vs.matchers, steps.start - env.lookback + (vs.smoothed ? 0 : 1), steps.end + (vs.smoothed ? env.lookback : 0));
  const m: Required<NativeMatrix> & { starts?: Float64Array } = vs.smoothed ? sel.instant(steps, env.lookback, 'smoothed') : withStarts ? sel.instantWithStartTimestamps(steps, env.lookback) : sel.instant(steps, env.lookback);
  const labels = sel.labels;
  const hs = withQueryHints(histogramSamplesOf(sel, labels.length), env.statsSelectors.has(vs));
  // Raw histogram samples leave stale markers out: the storage's own instant lookup says at which
  // steps a histogram is still current (-1 where a stale marker, or nothing, ends it).
  const current = hs.t.length > 0 && !vs.smoothed ? sel.currentHistogramSteps(steps, env.lookback) : undefined;
  const floats = hs.t.length > 0 && vs.smoothed ? sel.samples() : undefined;
  const k = fixed ? 1 : ctx.n;
  if (fixed) reserveCells(labels.length, ctx.n, env.maxSamples, CELL_BYTES + 8);
  const out: Series[] = [];
  let loaded = 0;
  for (let i = 0; i < labels.length; i++) {
    let values = m.values.subarray(i * k, (i + 1) * k);
    let present = m.present.subarray(i * k, (i + 1) * k);
    let timestamps = m.timestamps.subarray(i * k, (i + 1) * k);
    let starts = m.starts?.subarray(i * k, (i + 1) * k);
    if (fixed) {
      values = replicate(values, 0, ctx.n, (n) => new Float64Array(n));
      present = replicate(present, 0, ctx.n, (n) => new Uint8Array(n));
      timestamps = replicate(timestamps, 0, ctx.n, (n) => new Float64Array(n));
      if (starts) starts = replicate(starts, 0, ctx.n, (n) => new Float64Array(n));
    }
    const name = labels[i]!['__name__'] ?? '';
    // No histogram samples at all (also: a selection without a native part, e.g. remote-read data).
    const histograms = hs.t.length === 0 || hs.offsets[i] === hs.offsets[i + 1] ? undefined : floats ? smoothedHistograms(hs, floats, i, steps, k, env.lookback, present, timestamps, fixed ? ctx.n : k, name, ctx) : instantHistograms(hs, i, steps, k, env.lookback, present, timestamps, fixed ? ctx.n : k, current!.subarray(i * k, (i + 1) * k), starts);
    for (let j = 0; j < present.length; j++) loaded += present[j]!;
    if (histograms) for (const h of histograms) if (h) loaded++;
    const s: Series = { labels: labels[i]!, values, present, dropName: false, timestamps };
    if (starts) s.starts = starts;
    if (histograms) s.histograms = histograms;
    out.push(s);
  }
  countSamples(env, loaded);
  return out;
}

/**
 * The histogram each step picks, where it is newer than the float the step picked (the float is
 * then cleared): a selector takes the latest sample of either kind. `k` steps were read (1 for
 * an `@` time), `n` are returned.
 */
function instantHistograms(hs: ReturnType<typeof histogramSamplesOf>, i: number, steps: { start: number; end: number; step: number }, k: number, lookback: number, present: Uint8Array, timestamps: Float64Array, n: number, current: Int32Array, starts: Float64Array | undefined): (FloatHistogram | undefined)[] | undefined {
  const picked = pickInstantHistograms(hs, i, steps, k, lookback);
  for (let j = 0; j < k; j++) if (current[j]! < 0) picked[j] = -1;
  const out: (FloatHistogram | undefined)[] = new Array<FloatHistogram | undefined>(n);
  let any = false;
  for (let j = 0; j < n; j++) {
    const at = picked[k === 1 ? 0 : j]!;
    if (at < 0) continue;
    const t = hs.t[at]!;
    if (present[j] && timestamps[j]! >= t) continue;
    present[j] = 0;
    timestamps[j] = t;
    // start_timestamp() reads the start of whichever sample the step took.
    if (starts) starts[j] = hs.starts ? hs.starts[at]! : 0;
    out[j] = hs.h[at]!;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * A `smoothed` selector's histograms: at each step the histogram at that time, interpolated
 * between the samples around it (floats stay with the float kernel's answer; a step between a
 * float and a histogram has none, with a warning).
 */
function smoothedHistograms(hs: HistogramSamples, fs: NativeSamples, i: number, steps: { start: number; end: number; step: number }, k: number, lookback: number, present: Uint8Array, timestamps: Float64Array, n: number, name: string, ctx: Ctx): (FloatHistogram | undefined)[] | undefined {
  const env = ctx.engine;
  const ann = { warn: (t: string) => env.warnings.add(t), info: (t: string) => env.infos.add(t) };
  const w = { ft: fs.t.subarray(fs.offsets[i], fs.offsets[i + 1]), fv: fs.v.subarray(fs.offsets[i], fs.offsets[i + 1]), ht: hs.t.subarray(hs.offsets[i], hs.offsets[i + 1]), hh: hs.h.slice(hs.offsets[i], hs.offsets[i + 1]) };
  const out: (FloatHistogram | undefined)[] = new Array<FloatHistogram | undefined>(n);
  let any = false;
  for (let j = 0; j < k; j++) {
    const at = steps.start + j * steps.step;
    const r = smoothedHistogramAt(w, at, lookback, name, ann);
    if (r.kind === 'keep') continue;
    // With an @ time (k = 1) the one answer holds at every step.
    for (let x = k === 1 ? 0 : j; x < (k === 1 ? n : j + 1); x++) {
      present[x] = 0;
      if (r.kind === 'histogram') {
        out[x] = r.h;
        timestamps[x] = at;
        any = true;
      }
    }
  }
  return any ? out : undefined;
}
