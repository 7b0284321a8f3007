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
  if (buf.byteLength < BUFFER_HEADER) throw new Error(`histogram buffer of ${buf.byteLength} bytes has no header`);
  if (buf.byteLength % 8 !== 0) throw new Error(`histogram buffer of ${buf.byteLength} bytes is not a whole number of 8-byte words`);
  // Typed views read the 8-aligned records fastest; copy only if the bytes are not aligned.
  const aligned = buf.byteOffset % 8 === 0 ? buf : buf.slice();
  const f64 = new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
  const u32 = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  const i32 = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian) throw new Error('histogram buffers are little-endian; this platform is not');
  const n = u32[0]!;
  const version = u32[1]!;
  if (version !== VERSION) throw new Error(`histogram buffer version ${version} is not ${VERSION}`);
  const words = f64.length;
  const out: FloatHistogram[] = [];
  let w = BUFFER_HEADER / 8; // position in 8-byte words
  for (let i = 0; i < n; i++) {
    if (w + RECORD_FIXED / 8 > words) throw new Error(`histogram ${i} is past the end of the buffer (${buf.byteLength} bytes)`);
    const head = u32[2 * w]!;
    const hint = head & 0xff;
    const flags = (head >>> 8) & 0xff;
    const schema = (head >> 16) | 0; // the high half as a signed 16-bit number
    const nps = u32[2 * w + 1]!;
    const nns = u32[2 * w + 2]!;
    const npb = u32[2 * w + 3]!;
    const nnb = u32[2 * w + 4]!;
    const ncv = u32[2 * w + 5]!;
    const zeroThreshold = f64[w + 3]!;
    const zeroCount = f64[w + 4]!;
    const count = f64[w + 5]!;
    const sum = f64[w + 6]!;
    w += RECORD_FIXED / 8;
    if (w + nps + nns + npb + nnb + ncv > words) throw new Error(`histogram ${i} is past the end of the buffer (${buf.byteLength} bytes)`);
    const positiveSpans: BucketSpan[] = [];
    for (let j = 0; j < nps; j++, w++) positiveSpans.push({ offset: i32[2 * w]!, length: u32[2 * w + 1]! });
    const negativeSpans: BucketSpan[] = [];
    for (let j = 0; j < nns; j++, w++) negativeSpans.push({ offset: i32[2 * w]!, length: u32[2 * w + 1]! });
    const positiveBuckets: number[] = [];
    for (let j = 0; j < npb; j++) positiveBuckets.push(f64[w++]!);
    const negativeBuckets: number[] = [];
    for (let j = 0; j < nnb; j++) negativeBuckets.push(f64[w++]!);
    const customValues: number[] = [];
    for (let j = 0; j < ncv; j++) customValues.push(f64[w++]!);
    const h: FloatHistogram = { counterResetHint: hintOf(hint, i), schema, zeroThreshold, zeroCount, count, sum, positiveSpans, positiveBuckets, negativeSpans, negativeBuckets, customValues };
    if (flags & FLAG_INTEGER) h.isInteger = true;
    out.push(h);
  }
  if (w !== words) throw new Error(`histogram buffer has ${buf.byteLength - w * 8} bytes after its ${n} histograms`);
  return out;
}
