// Aggregation of one group at one step when native histograms are among its samples, as
// Prometheus 3 does it: sum and avg add histograms (a mix with floats gives nothing and a
// warning), count and group count them, and the operators that read floats ignore them with an
// info annotation.
import type { FloatHistogram } from '../../model/histogram.js';
import type { Ctx } from '../context.js';
import { IncompatibleSchemaError, addHistograms, divideHistogram } from './arithmetic.js';
import { copyHistogram } from './buckets.js';
import { collisionWarning, mixedSchemasWarning, reconciledInfo } from './range-functions.js';

/** Adds histograms with the annotations their sum raises; undefined when their schemas do not mix. */
export function sumHistograms(hists: readonly FloatHistogram[], name: string, ctx: Ctx, op = 'aggregation'): FloatHistogram | undefined {
  const env = ctx.engine;
  let sum = copyHistogram(hists[0]!);
  let collision = false;
  let reconciled = false;
  try {
    for (const h of hists.slice(1)) {
      const r = addHistograms(sum, h);
      sum = r.h;
      collision ||= r.counterResetCollision;
      reconciled ||= r.boundsReconciled;
    }
  } catch (e) {
    if (e instanceof IncompatibleSchemaError) {
      env.warnings.add(mixedSchemasWarning(name));
      return undefined;
    }
    throw e;
  }
  if (collision) env.warnings.add(collisionWarning(op));
  if (reconciled) env.infos.add(reconciledInfo(op));
  return sum;
}

/**
 * The result of aggregation `op` over the group's floats and histograms at one step: a number,
 * a histogram, undefined (no sample), or 'floats' when the floats alone decide as usual.
 */
export function aggregateWithHistograms(op: string, floats: readonly number[], hists: readonly FloatHistogram[], name: string, ctx: Ctx): number | FloatHistogram | undefined | 'floats' {
  const env = ctx.engine;
  switch (op) {
    case 'sum':
    case 'avg': {
      if (floats.length > 0) {
        env.warnings.add('PromQL warning: encountered a mix of histograms and floats for aggregation');
        return undefined;
      }
      const sum = sumHistograms(hists, name, ctx);
      if (!sum) return undefined;
      return op === 'sum' ? sum : divideHistogram(sum, hists.length);
    }
    case 'count':
      return floats.length + hists.length;
    case 'group':
      return 1;
    default:
      env.infos.add(`PromQL info: ignored histogram in ${op} aggregation`);
      return 'floats';
  }
}
