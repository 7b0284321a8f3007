// Binary operators on samples that may be native histograms, as Prometheus 3 defines them:
// histogram ± histogram, histogram × scalar (either side), histogram ÷ scalar, == and != between
// histograms, the trim operators </ and >/ (histogram against a float bound); every other
// combination drops the sample with an info annotation naming the operand types.
import type { FloatHistogram } from '../../model/histogram.js';
import { CounterResetHint } from '../../model/histogram.js';
import { IncompatibleSchemaError, addHistograms, divideHistogram, histogramsEqual, scaleHistogram } from './arithmetic.js';
import { compact } from './buckets.js';
import { collisionWarning, mixedSchemasWarning, reconciledInfo } from './annotations.js';
import type { Annotate } from './annotations.js';
import { trimHistogram } from './trim.js';

export type Sample = number | FloatHistogram;

const typeName = (s: Sample): string => (typeof s === 'number' ? 'float' : 'histogram');

/**
 * The result of `l op r` when at least one side is a histogram: the value, or undefined when the
 * sample is dropped (comparison false, or incompatible types). `returnBool` turns comparisons
 * into 0/1.
 */
export function histogramBinop(op: string, l: Sample, r: Sample, returnBool: boolean, name: string, ann: Annotate): Sample | undefined {
  const incompatible = (): undefined => {
    ann.info(`PromQL info: incompatible sample types encountered for binary operator ${JSON.stringify(op)}: ${typeName(l)} ${op} ${typeName(r)}`);
    return undefined;
  };
  if (typeof l === 'number') {
    if (typeof r === 'number') throw new Error('histogramBinop needs a histogram operand');
    if (op === '*') return compact(scaleHistogram(r, l));
    return incompatible();
  }
  if (typeof r === 'number') {
    switch (op) {
      case '*':
        return compact(scaleHistogram(l, r));
      case '/':
        return compact(divideHistogram(l, r));
      case '</':
      case '>/':
        return trimHistogram(l, r, op === '</');
      default:
        return incompatible();
    }
  }
  switch (op) {
    case '+':
    case '-': {
      try {
        const res = addHistograms(l, r, op === '+' ? 1 : -1);
        const what = op === '+' ? 'addition' : 'subtraction';
        if (res.counterResetCollision) ann.warn(collisionWarning(what));
        if (res.boundsReconciled) ann.info(reconciledInfo(what));
        // A difference of histograms is a gauge, whatever the operands were.
        return compact(op === '-' ? { ...res.h, counterResetHint: CounterResetHint.Gauge } : res.h);
      } catch (e) {
        if (e instanceof IncompatibleSchemaError) {
          ann.warn(mixedSchemasWarning(name));
          return undefined;
        }
        throw e;
      }
    }
    case '==':
    case '!=': {
      const equal = histogramsEqual(compact(l), compact(r));
      const keep = op === '==' ? equal : !equal;
      if (returnBool) return keep ? 1 : 0;
      return keep ? l : undefined;
    }
    default:
      return incompatible();
  }
}
