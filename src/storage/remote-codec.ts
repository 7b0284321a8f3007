// Remote read's wire formats, natively: decoding a snappy-compressed `ReadRequest`, and encoding
// one query's series as a `QueryResult` message or as `ChunkedReadResponse` frames of XOR chunks.
// Samples cross as the CSR typed arrays a selection returns, label sets as one buffer.
import type { Labels } from '../model/labels.js';
import { decodeLabelSets, encodeLabelSets } from './label-codec.js';
import { loadNative } from './native.js';
import type { NativeReadRequest, NativeReadResult, NativeSamples } from './native.js';
import type { LabelMatcher } from './matchers.js';

export type ReadRequest = NativeReadRequest;
export type ReadQuery = NativeReadRequest['queries'][number];

/** `ReadRequest.ResponseType` numbers. */
export const READ_RESPONSE_SAMPLES = 0;
export const READ_RESPONSE_STREAMED_XOR_CHUNKS = 1;

/** Throws with code ERR_REMOTE_BAD_DATA or ERR_REMOTE_TOO_LARGE. */
export function decodeReadRequest(body: Uint8Array, maxDecompressedBytes: number): ReadRequest {
  return loadNative().remoteReadDecode(body, maxDecompressedBytes);
}

/** A `QueryResult` message (uncompressed, not length-prefixed). */
export function encodeQueryResult(labels: readonly Labels[], samples: NativeSamples): Uint8Array {
  return loadNative().remoteReadEncodeSamples(encodeLabelSets(labels), samples.offsets, samples.t, samples.v);
}

/** The query's `ChunkedReadResponse` frames, concatenated. */
export function encodeChunkedFrames(labels: readonly Labels[], samples: NativeSamples, queryIndex: number, maxFrameBytes: number): Uint8Array {
  return loadNative().remoteReadEncodeChunks(encodeLabelSets(labels), samples.offsets, samples.t, samples.v, queryIndex, maxFrameBytes);
}

export interface DecodedQueryResult {
  labels: Labels[];
  samples: NativeSamples;
}

function decodedResults(rs: NativeReadResult[]): DecodedQueryResult[] {
  return rs.map((r) => ({ labels: decodeLabelSets(r.labelSets), samples: { offsets: r.offsets, t: r.t, v: r.v } }));
}

/** A snappy-compressed ReadResponse from a remote-read server (decoded off the main thread): per query, the series and their samples (CSR). */
export async function decodeReadResponse(body: Uint8Array, maxDecompressedBytes: number): Promise<DecodedQueryResult[]> {
  return decodedResults(await loadNative().remoteReadDecodeResponse(body, maxDecompressedBytes));
}

/**
 * A STREAMED_XOR_CHUNKS body (its frames, concatenated), decoded off the main thread; `ranges` are
 * the queries' [start, end] in ms, whose samples alone are kept. Throws with code
 * ERR_REMOTE_BAD_DATA for a bad frame (checksum, size, query index, chunk) or too many samples.
 */
export async function decodeChunkedResponse(body: Uint8Array, ranges: readonly { startMs: number; endMs: number }[], maxSamples: number): Promise<DecodedQueryResult[]> {
  const flat = new Float64Array(ranges.length * 2);
  ranges.forEach((r, i) => {
    flat[2 * i] = r.startMs;
    flat[2 * i + 1] = r.endMs;
  });
  return decodedResults(await loadNative().remoteReadDecodeChunked(body, flat, maxSamples));
}

class ProtoWriter {
  readonly bytes: number[] = [];
  varint(x: number): void {
    // Two's complement for negative int64 values (timestamps before 1970).
    let n = BigInt.asUintN(64, BigInt(x));
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
  }
  key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  int(field: number, x: number): void {
    if (x === 0) return;
    this.key(field, 0);
    this.varint(x);
  }
  bytesField(field: number, b: Uint8Array | number[]): void {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
  }
  string(field: number, s: string): void {
    this.bytesField(field, new TextEncoder().encode(s));
  }
}

const MATCH_TYPES: Record<LabelMatcher['type'], number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/**
 * An uncompressed `ReadRequest` accepting these response types in order of preference (SAMPLES
 * alone by default: what every remote-read server answers).
 */
export function encodeReadRequest(queries: readonly { matchers: readonly LabelMatcher[]; startMs: number; endMs: number }[], accepted: readonly number[] = [READ_RESPONSE_SAMPLES]): Uint8Array {
  const w = new ProtoWriter();
  for (const q of queries) {
    const qw = new ProtoWriter();
    qw.int(1, q.startMs);
    qw.int(2, q.endMs);
    for (const m of q.matchers) {
      const mw = new ProtoWriter();
      mw.int(1, MATCH_TYPES[m.type]);
      mw.string(2, m.name);
      mw.string(3, m.value);
      qw.bytesField(3, mw.bytes);
    }
    w.bytesField(1, qw.bytes);
  }
  // Packed repeated enum, as Go's protobuf writes it.
  w.key(2, 2);
  w.varint(accepted.length);
  for (const t of accepted) w.varint(t);
  return Uint8Array.from(w.bytes);
}
