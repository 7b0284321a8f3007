// The remote-read endpoint (`POST /api/v1/read`), as Prometheus 2.x serves it: a snappy-compressed
// `ReadRequest`; the answer in the first response type the client accepts that we offer —
// `STREAMED_XOR_CHUNKS` (frames of XOR chunks, `application/x-streamed-protobuf;
// proto=prometheus.ChunkedReadResponse`) or `SAMPLES` (a snappy-compressed `ReadResponse`, also
// the answer when the client lists none). Limits: `--storage.remote.read-sample-limit` (SAMPLES
// only, as in Prometheus), `--storage.remote.read-concurrent-limit` (requests beyond it wait),
// `--storage.remote.read-max-bytes-in-frame`. External labels: a matcher on an external label
// that its value satisfies is dropped (the local series do not carry the label), and every
// returned series gets the external labels it does not have itself.
import { Readable } from 'node:stream';
import { snappyCompress } from '../../storage/wal-watcher.js';
import { copyLabels, sortedPairs, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../storage/matchers.js';
import { matcherFunction } from '../../storage/matchers.js';
import type { NativeSamples } from '../../storage/native.js';
import { decodeReadRequest, encodeChunkedFrames, encodeQueryResult, READ_RESPONSE_SAMPLES, READ_RESPONSE_STREAMED_XOR_CHUNKS } from '../../storage/remote-codec.js';
import type { ReadQuery } from '../../storage/remote-codec.js';
import { textResponse } from '../http-exchange.js';
import type { RemoteRequest, RemoteResponse } from '../http-exchange.js';
import { Semaphore } from './semaphore.js';

/** Prometheus's bound on a decompressed ReadRequest (its decodeReadLimit). */
export const MAX_READ_REQUEST_BYTES = 32 * 1024 * 1024;

export const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse';

/** What the read endpoint needs of the storage: a selection's series and raw samples. */
export interface ReadableStorage {
  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): { labels: Labels[]; samples(keepStaleMarkers: boolean): NativeSamples };
}

export interface ReadServerOptions {
  /** 0 = no limit. */
  sampleLimit: number;
  /** 0 = no limit. */
  concurrentLimit: number;
  maxBytesInFrame: number;
  externalLabels: () => Record<string, string>;
  /** The number of read requests running or waiting (prometheus_api_remote_read_queries). */
  inFlight?: { inc(): void; dec(): void };
}

class BadRead extends Error {}

/** A read answer: a streamed one's body is a stream, written frame by frame as the socket drains. */
export interface ReadServerResponse extends Omit<RemoteResponse, 'body'> {
  body: RemoteResponse['body'] | Readable;
}

/** An answer before the slot handling: frames still to be made. */
interface ServedResponse extends Omit<RemoteResponse, 'body'> {
  body: RemoteResponse['body'] | Iterable<Uint8Array>;
}

/** Drops matchers on external labels that the label's value satisfies. */
export function withoutExternalLabelMatchers(matchers: readonly LabelMatcher[], external: Record<string, string>): LabelMatcher[] {
  return matchers.filter((m) => {
    const value = Object.prototype.hasOwnProperty.call(external, m.name) ? external[m.name] : undefined;
    return value === undefined || !matcherFunction(m)(value);
  });
}

/** Prometheus's order of label sets: pair by pair, name then value. */
export function compareLabelPairs(a: [string, string][], b: [string, string][]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [an, av] = a[i]!;
    const [bn, bv] = b[i]!;
    if (an !== bn) return an < bn ? -1 : 1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return a.length - b.length;
}

/** A query's matchers without those its external labels satisfy; at least one must be left. */
function checkMatchers(q: ReadQuery, external: Record<string, string>): LabelMatcher[] {
  const matchers = withoutExternalLabelMatchers(q.matchers, external);
  if (matchers.length === 0) throw new BadRead('a remote-read query needs at least one matcher that is not satisfied by the external labels alone');
  return matchers;
}

/** One query's series with the external labels added, re-sorted by label set, samples in CSR form. */
function querySeries(storage: ReadableStorage, q: ReadQuery, external: Record<string, string>): { labels: Labels[]; samples: NativeSamples } {
  const matchers = checkMatchers(q, external);
  const sel = storage.select(matchers, q.startMs, q.endMs);
  // Stale markers are sent, as Prometheus sends them: they end a series for the reader's lookback.
  const samples = sel.samples(true);
  const ext = Object.entries(external);
  if (ext.length === 0) return { labels: sel.labels, samples };
  const withExt = sel.labels.map((l, i) => {
    const c = copyLabels(l);
    for (const [k, v] of ext) if (c[k] === undefined) c[k] = v;
    return { labels: c, pairs: sortedPairs(c), i };
  });
  withExt.sort((a, b) => compareLabelPairs(a.pairs, b.pairs));
  if (withExt.every((s, k) => s.i === k)) return { labels: withExt.map((s) => s.labels), samples };
  // Reorder the CSR arrays series by series (copies of whole runs, not per sample).
  const offsets = new Uint32Array(withExt.length + 1);
  const t = new Float64Array(samples.t.length);
  const v = new Float64Array(samples.v.length);
  let at = 0;
  withExt.forEach((s, k) => {
    const from = samples.offsets[s.i]!;
    const to = samples.offsets[s.i + 1]!;
    t.set(samples.t.subarray(from, to), at);
    v.set(samples.v.subarray(from, to), at);
    at += to - from;
    offsets[k + 1] = at;
  });
  return { labels: withExt.map((s) => s.labels), samples: { offsets, t, v } };
}

/** A protobuf length-delimited field 1 (`results`), prefixing an encoded QueryResult. */
function resultField(msg: Uint8Array): Uint8Array {
  const head: number[] = [0x0a];
  let n = msg.length;
  while (n >= 0x80) {
    head.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  head.push(n);
  const out = new Uint8Array(head.length + msg.length);
  out.set(head);
  out.set(msg, head.length);
  return out;
}

export class RemoteReadServer {
  private readonly gate: Semaphore;

  constructor(
    private readonly storage: ReadableStorage,
    private readonly options: ReadServerOptions,
  ) {
    this.gate = new Semaphore(options.concurrentLimit);
  }

  async read(req: RemoteRequest): Promise<ReadServerResponse> {
    this.options.inFlight?.inc();
    let handedOver = false;
    try {
      await this.gate.acquire();
      try {
        const res = this.serve(req);
        const body = res.body;
        if (typeof body === 'string' || body instanceof Uint8Array) return { ...res, body };
        // A streamed answer holds its slot (and counts as in flight) until its last frame is written or the client goes away.
        handedOver = true;
        // One batch of frames ahead of the socket at most.
        const stream = Readable.from(body, { highWaterMark: 1 });
        // 'close' comes after the last frame and also when the stream is destroyed unread (the client went away).
        stream.once('close', () => {
          this.gate.release();
          this.options.inFlight?.dec();
        });
        return { ...res, body: stream };
      } finally {
        if (!handedOver) this.gate.release();
      }
    } finally {
      if (!handedOver) this.options.inFlight?.dec();
    }
  }

  private serve(req: RemoteRequest): ServedResponse {
    let request;
    try {
      request = decodeReadRequest(req.body, MAX_READ_REQUEST_BYTES);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_REMOTE_BAD_DATA') return textResponse(400, (e as Error).message);
      if (code === 'ERR_REMOTE_TOO_LARGE') return textResponse(413, (e as Error).message);
      throw e;
    }
    const external = this.options.externalLabels();
    const accepted = [...request.acceptedResponseTypes];
    const type = accepted.length === 0 ? READ_RESPONSE_SAMPLES : accepted.find((t) => t === READ_RESPONSE_SAMPLES || t === READ_RESPONSE_STREAMED_XOR_CHUNKS);
    if (type === undefined) return textResponse(400, `none of the accepted response types ${JSON.stringify(accepted)} is supported (0 = SAMPLES, 1 = STREAMED_XOR_CHUNKS)`);
    try {
      return type === READ_RESPONSE_STREAMED_XOR_CHUNKS ? this.streamed(request.queries, external) : this.samples(request.queries, external);
    } catch (e) {
      if (e instanceof BadRead) return textResponse(400, e.message);
      throw e;
    }
  }

  private samples(queries: ReadQuery[], external: Record<string, string>): RemoteResponse {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const q of queries) {
      const { labels, samples } = querySeries(this.storage, q, external);
      total += samples.t.length;
      if (this.options.sampleLimit > 0 && total > this.options.sampleLimit) throw new BadRead(`exceeded sample limit (${this.options.sampleLimit})`);
      parts.push(resultField(encodeQueryResult(labels, samples)));
    }
    const body = snappyCompress(Buffer.concat(parts));
    return { status: 200, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body };
  }

  /**
   * The `ChunkedReadResponse` frames, made as the socket takes them: a query's series are read
   * when the previous query's frames are written, and encoded in batches of about
   * STREAM_BATCH_SAMPLES samples (one native call each), so only one batch of frames is in memory
   * at a time besides the query's samples. Every query is checked before the first byte is sent.
   */
  private streamed(queries: ReadQuery[], external: Record<string, string>): ServedResponse {
    for (const q of queries) checkMatchers(q, external);
    const { storage } = this;
    const maxFrame = this.options.maxBytesInFrame;
    function* frames(): Generator<Uint8Array> {
      for (let i = 0; i < queries.length; i++) {
        const { labels, samples } = querySeries(storage, queries[i]!, external);
        for (const [from, to] of batches(samples.offsets, STREAM_BATCH_SAMPLES)) {
          const base = samples.offsets[from]!;
          const end = samples.offsets[to]!;
          const offsets = samples.offsets.slice(from, to + 1).map((o) => o - base);
          yield encodeChunkedFrames(labels.slice(from, to), { offsets, t: samples.t.subarray(base, end), v: samples.v.subarray(base, end) }, i, maxFrame);
        }
      }
    }
    return { status: 200, headers: { 'Content-Type': STREAMED_CONTENT_TYPE }, body: frames() };
  }
}

/** Samples encoded per native call when streaming. */
export const STREAM_BATCH_SAMPLES = 64 * 1024;

/** Consecutive series ranges [from, to) of about `samples` samples each (at least one series). */
export function batches(offsets: Uint32Array, samples: number): [number, number][] {
  const out: [number, number][] = [];
  const n = offsets.length - 1;
  let from = 0;
  for (let i = 1; i <= n; i++) {
    if (offsets[i]! - offsets[from]! >= samples || i === n) {
      out.push([from, i]);
      from = i;
    }
  }
  return out;
}
