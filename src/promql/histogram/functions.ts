// The functions that read native histograms from an instant vector: histogram_count,
// histogram_sum, histogram_avg, histogram_stddev, histogram_stdvar, and the native half of
// histogram_quantile(s) and histogram_fraction (the classic half groups `le` buckets elsewhere).
// Float samples are ignored by these functions; the results drop the metric name.
import type { FloatHistogram } from '../../model/histogram.js';
import type { Labels } from '../../model/labels.js';
import type { Ctx } from '../context.js';
import { markDropName } from '../context.js';
import { newSeries } from '../values.js';
import type { Series } from '../values.js';
import { histogramFraction, histogramQuantile, histogramVariance } from './statistics.js';

const PROPERTIES: Record<string, (h: FloatHistogram) => number> = {
  histogram_count: (h) => h.count,
  histogram_sum: (h) => h.sum,
  histogram_avg: (h) => h.sum / h.count,
  histogram_stddev: (h) => Math.sqrt(histogramVariance(h)),
  histogram_stdvar: (h) => histogramVariance(h),
};

/** Maps every histogram sample of the input to a float; series without histograms drop out. */
export function mapHistograms(input: Series[], ctx: Ctx, f: (h: FloatHistogram, j: number, s: Series) => number | undefined, extraLabels?: Labels): Series[] {
  const out: Series[] = [];
  for (const s of input) {
    if (!s.histograms) continue;
    const o = newSeries(extraLabels ? { ...s.labels, ...extraLabels } : s.labels, ctx.n, s.dropName);
    for (let j = 0; j < ctx.n; j++) {
      const h = s.histograms[j];
      if (!h) continue;
      const v = f(h, j, s);
      if (v === undefined) continue;
      o.values[j] = v;
      o.present[j] = 1;
    }
    if (o.present.some((p) => p === 1)) out.push(markDropName(o, ctx));
  }
  return out;
}

export function histogramProperty(name: string, input: Series[], ctx: Ctx): Series[] {
  const f = PROPERTIES[name]!;
  return mapHistograms(input, ctx, (h) => f(h));
}

const nameOf = (s: Series): string => JSON.stringify(s.labels['__name__'] ?? '');

/** histogram_quantile over the native histograms of the input. */
export function nativeQuantiles(q: Float64Array, input: Series[], ctx: Ctx, extraLabels?: Labels): Series[] {
  const env = ctx.engine;
  return mapHistograms(
    input,
    ctx,
    (h, j, s) => {
      const r = histogramQuantile(q[j]!, h);
      if (r.nanObservations === 'nan') env.infos.add(`PromQL info: input to histogram_quantile has NaN observations, result is NaN for metric name ${nameOf(s)}`);
      if (r.nanObservations === 'skewed') env.infos.add(`PromQL info: input to histogram_quantile has NaN observations, result is skewed higher for metric name ${nameOf(s)}`);
      return r.value;
    },
    extraLabels,
  );
}

/** histogram_fraction over the native histograms of the input. */
export function nativeFractions(lower: Float64Array, upper: Float64Array, input: Series[], ctx: Ctx): Series[] {
  const env = ctx.engine;
  return mapHistograms(input, ctx, (h, j, s) => {
    const r = histogramFraction(lower[j]!, upper[j]!, h);
    if (r.nanObservations) env.infos.add(`PromQL info: input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name ${nameOf(s)}`);
    return r.value;
  });
}
