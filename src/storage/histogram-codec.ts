// Native histograms across the addon boundary: one buffer per call, in the layout specified in
// crates/tsdb/docs/histogram-transport.md (mirrored by crates/tsdb-node/src/histograms.rs).
// Little-endian; every record is a multiple of 8 bytes, so all floats are 8-aligned.
import { CounterResetHint } from '../model/histogram.js';
import type { BucketSpan, FloatHistogram } from '../model/histogram.js';

const VERSION = 1;
const BUFFER_HEADER = 8;
const RECORD_FIXED = 56;
const FLAG_INTEGER = 1;
const FLAG_STALE = 2;
/** Prometheus's stale marker NaN, as the two 32-bit halves of its bits (little-endian). */
const STALE_LOW = 0x0000_0002;
const STALE_HIGH = 0x7ff0_0000;

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Whether a sum is the stale marker (bits compared: every NaN is unequal to itself). */
function isStaleNaN(v: number): boolean {
  scratch[0] = v;
  return scratchBits[0] === STALE_LOW && scratchBits[1] === STALE_HIGH;
}

function recordBytes(h: FloatHistogram): number {
  return RECORD_FIXED + 8 * (h.positiveSpans.length + h.negativeSpans.length + h.positiveBuckets.length + h.negativeBuckets.length + h.customValues.length);
}

/** Encodes histograms as one buffer for `NativeDb.appendHistograms`. */
export function encodeHistograms(hs: readonly FloatHistogram[]): Uint8Array {
  let size = BUFFER_HEADER;
  for (const h of hs) size += recordBytes(h);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hs.length, true);
  dv.setUint32(4, VERSION, true);
  let at = BUFFER_HEADER;
  for (const h of hs) {
    dv.setUint8(at, h.counterResetHint);
    dv.setUint8(at + 1, (h.isInteger ? FLAG_INTEGER : 0) | (isStaleNaN(h.sum) ? FLAG_STALE : 0));
    if (!Number.isInteger(h.schema) || h.schema < -32768 || h.schema > 32767) throw new RangeError(`histogram schema ${h.schema} is not an integer in -32768..32767`);
    dv.setInt16(at + 2, h.schema, true);
    const lens = [h.positiveSpans.length, h.negativeSpans.length, h.positiveBuckets.length, h.negativeBuckets.length, h.customValues.length];
    lens.forEach((n, k) => dv.setUint32(at + 4 + 4 * k, n, true));
    dv.setFloat64(at + 24, h.zeroThreshold, true);
    dv.setFloat64(at + 32, h.zeroCount, true);
    dv.setFloat64(at + 40, h.count, true);
    dv.setFloat64(at + 48, h.sum, true);
    at += RECORD_FIXED;
    for (const s of [...h.positiveSpans, ...h.negativeSpans]) {
      dv.setInt32(at, s.offset, true);
      dv.setUint32(at + 4, s.length, true);
      at += 8;
    }
    for (const list of [h.positiveBuckets, h.negativeBuckets, h.customValues]) {
      for (const v of list) {
        dv.setFloat64(at, v, true);
        at += 8;
      }
    }
  }
  return out;
}

function hintOf(b: number, i: number): CounterResetHint {
  switch (b) {
    case CounterResetHint.Unknown:
    case CounterResetHint.CounterReset:
    case CounterResetHint.NotCounterReset:
    case CounterResetHint.Gauge:
      return b;
    default:
      throw new Error(`histogram ${i}: counter-reset hint ${b} is not 0..3`);
  }
}

/** Decodes a buffer the addon returned (stale markers come back with the stale NaN as sum). */
export function decodeHistograms(buf: Uint8Array): FloatHistogram[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < BUFFER_HEADER) throw new Error(`histogram buffer of ${buf.byteLength} bytes has no header`);
  const n = dv.getUint32(0, true);
  const version = dv.getUint32(4, true);
  if (version !== VERSION) throw new Error(`histogram buffer version ${version} is not ${VERSION}`);
  const out: FloatHistogram[] = new Array<FloatHistogram>(n);
  let at = BUFFER_HEADER;
  const need = (bytes: number, i: number): void => {
    if (at + bytes > buf.byteLength) throw new Error(`histogram ${i} is past the end of the buffer (${buf.byteLength} bytes)`);
  };
  for (let i = 0; i < n; i++) {
    need(RECORD_FIXED, i);
    const flags = dv.getUint8(at + 1);
    const [nps, nns, npb, nnb, ncv] = [0, 1, 2, 3, 4].map((k) => dv.getUint32(at + 4 + 4 * k, true)) as [number, number, number, number, number];
    const h: FloatHistogram = {
      counterResetHint: hintOf(dv.getUint8(at), i),
      schema: dv.getInt16(at + 2, true),
      zeroThreshold: dv.getFloat64(at + 24, true),
      zeroCount: dv.getFloat64(at + 32, true),
      count: dv.getFloat64(at + 40, true),
      sum: dv.getFloat64(at + 48, true),
      positiveSpans: [],
      positiveBuckets: [],
      negativeSpans: [],
      negativeBuckets: [],
      customValues: [],
    };
    if (flags & FLAG_INTEGER) h.isInteger = true;
    at += RECORD_FIXED;
    need(8 * (nps + nns + npb + nnb + ncv), i);
    const spans = (k: number): BucketSpan[] => {
      const list: BucketSpan[] = new Array<BucketSpan>(k);
      for (let j = 0; j < k; j++, at += 8) list[j] = { offset: dv.getInt32(at, true), length: dv.getUint32(at + 4, true) };
      return list;
    };
    const floats = (k: number): number[] => {
      const list: number[] = new Array<number>(k);
      for (let j = 0; j < k; j++, at += 8) list[j] = dv.getFloat64(at, true);
      return list;
    };
    h.positiveSpans = spans(nps);
    h.negativeSpans = spans(nns);
    h.positiveBuckets = floats(npb);
    h.negativeBuckets = floats(nnb);
    h.customValues = floats(ncv);
    out[i] = h;
  }
  if (at !== buf.byteLength) throw new Error(`histogram buffer has ${buf.byteLength - at} bytes after its ${n} histograms`);
  return out;
}
