// Aggregation of one group at one step when native histograms are among its samples, as
// Prometheus 3 does it: sum and avg add histograms (a mix with floats gives nothing and a
// warning), count and group count them, and the operators that read floats ignore them with an
// info annotation.
import type { FloatHistogram } from '../../model/histogram.js';
import type { Ctx } from '../context.js';
import { IncompatibleSchemaError } from './arithmetic.js';
import type { SumResult } from './arithmetic.js';
import { combineHistograms } from './compensated.js';
import { collisionWarning, mixedSchemasWarning, reconciledInfo } from './annotations.js';
import type { Annotate } from './annotations.js';

/** Adds (or averages) histograms with the annotations that raises; undefined when their schemas do not mix. */
export function sumHistograms(hists: readonly FloatHistogram[], name: string, ann: Annotate, mode: 'sum' | 'avg' = 'sum'): FloatHistogram | undefined {
  let r: SumResult;
  try {
    r = combineHistograms(hists, mode);
  } catch (e) {
    if (e instanceof IncompatibleSchemaError) {
      ann.warn(mixedSchemasWarning(name));
      return undefined;
    }
    throw e;
  }
  if (r.counterResetCollision) ann.warn(collisionWarning('aggregation'));
  if (r.boundsReconciled) ann.info(reconciledInfo('aggregation'));
  return r.h;
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
      return sumHistograms(hists, name, { warn: (t) => env.warnings.add(t), info: (t) => env.infos.add(t) }, op);
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
