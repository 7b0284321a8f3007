// Remote read's wire formats, natively: decoding a snappy-compressed `ReadRequest`, and encoding
// one query's series as a `QueryResult` message or as `ChunkedReadResponse` frames of XOR chunks.
// Samples cross as the CSR typed arrays a selection returns, label sets as one buffer.
import type { Labels } from '../model/labels.js';
import { encodeLabelSets } from './label-codec.js';
import { loadNative } from './native.js';
import type { NativeReadRequest, NativeSamples } from './native.js';

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
