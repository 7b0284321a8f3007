// One `remote_read` endpoint: which selections it is asked for (required_matchers, read_recent)
// and the request itself — a snappy-compressed `ReadRequest` accepting STREAMED_XOR_CHUNKS first
// and SAMPLES second, as Prometheus 3.x asks. A server that streams answers with CRC-checked
// `ChunkedReadResponse` frames of XOR chunks; one that does not (Prometheus before 2.13, other
// implementations) with a snappy-compressed `ReadResponse`; the Content-Type says which. Either is
// decoded natively, off the main thread, into typed arrays. The HTTP settings (basic auth,
// authorization, oauth2, TLS, proxy, headers) are applied as the remote-write client applies them.
// With filter_external_labels (the default) the external labels become equality matchers of the
// remote query and are taken off the series that come back, so they merge with the local series
// of the same labels.
import { snappyCompress } from '../../storage/wal-watcher.js';
import type { Dispatcher } from 'undici';
import { copyLabels, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../storage/matchers.js';
import type { NativeSamples } from '../../storage/native.js';
import { decodeChunkedResponse, decodeReadResponse, encodeReadRequest, READ_RESPONSE_SAMPLES, READ_RESPONSE_STREAMED_XOR_CHUNKS } from '../../storage/remote-codec.js';
import type { RemoteReadConfig } from '../../config/config.js';
import { httpDispatcher, httpOptions, requestHeaders, userAgent, type ClientRequestOptions } from '../../common/http-config/index.js';
import { undici } from '../../util/undici.js';
import { readBounded } from './bounded-body.js';

/** The largest response body taken from a remote (compressed SAMPLES, or all the streamed frames). */
export const MAX_READ_RESPONSE_BYTES = 256 * 1024 * 1024;
/** The most samples taken from one streamed response unless the caller says otherwise (the default --query.max-samples). */
export const MAX_READ_RESPONSE_SAMPLES = 50_000_000;

export interface SelectRequest {
  matchers: readonly LabelMatcher[];
  mint: number;
  maxt: number;
}

export interface SeriesData {
  labels: Labels[];
  samples: NativeSamples;
}

export interface ReadOptions {
  /** The query's own abort (its timeout or its caller going away); the remote's remote_timeout applies too. */
  signal?: AbortSignal;
  /** The most samples one response may hold. */
  maxSamples?: number;
}

/** Which of the two response types a Content-Type is (Prometheus's own test of it: a prefix). */
export function isStreamedResponse(contentType: string | null): boolean {
  return contentType !== null && contentType.toLowerCase().startsWith('application/x-streamed-protobuf');
}

export class RemoteReadClient {
  private readonly http: ClientRequestOptions;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(
    readonly config: RemoteReadConfig,
    private readonly externalLabels: Labels,
  ) {
    this.http = httpOptions(config.http, 0);
    this.dispatcher = httpDispatcher(config.http);
  }

  get name(): string {
    return this.config.name !== '' ? this.config.name : this.config.url;
  }

  /**
   * Whether a selection goes to this remote: every required matcher must be among its equality
   * matchers; without read_recent, only ranges starting before the local data (`localMinTime`).
   */
  wants(r: SelectRequest, localMinTime: number | null): boolean {
    for (const [name, value] of Object.entries(this.config.requiredMatchers)) {
      if (!r.matchers.some((m) => m.type === '=' && m.name === name && m.value === value)) return false;
    }
    if (!this.config.readRecent && localMinTime !== null && r.mint >= localMinTime) return false;
    return true;
  }

  private external(): [string, string][] {
    return this.config.filterExternalLabels ? Object.entries(this.externalLabels) : [];
  }

  /** One round trip for all the selections; the answers in the same order. */
  async read(requests: readonly SelectRequest[], opts: ReadOptions = {}): Promise<SeriesData[]> {
    const ext = this.external();
    const queries = requests.map((r) => ({ matchers: [...r.matchers, ...ext.map(([name, value]): LabelMatcher => ({ type: '=', name, value }))], startMs: r.mint, endMs: r.maxt }));
    const body = snappyCompress(encodeReadRequest(queries, [READ_RESPONSE_STREAMED_XOR_CHUNKS, READ_RESPONSE_SAMPLES]));
    const headers = {
      ...(await requestHeaders(this.http)),
      ...this.config.headers,
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'Accept-Encoding': 'snappy',
      'X-Prometheus-Remote-Read-Version': '0.1.0',
      'User-Agent': userAgent(),
    };
    const timeout = AbortSignal.timeout(this.config.remoteTimeoutMs);
    const signal = opts.signal !== undefined ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const init = { method: 'POST', headers, body: new Uint8Array(body), redirect: this.config.http.followRedirects ? 'follow' : 'manual', signal } as const;
    let res;
    let bytes;
    try {
      res = await undici().fetch(this.config.url, this.dispatcher === undefined ? init : { ...init, dispatcher: this.dispatcher });
      bytes = await readBounded(res.body, MAX_READ_RESPONSE_BYTES);
    } catch (e) {
      const why = timeout.aborted ? `no answer within remote_timeout (${this.config.remoteTimeoutMs / 1000}s)` : opts.signal?.aborted ? 'the query was cancelled or timed out' : (e as Error).message;
      throw new Error(`remote_read ${this.name}: ${why}`, { cause: e });
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`remote_read ${this.name}: server returned HTTP status ${res.status}: ${new TextDecoder().decode(bytes.subarray(0, 512)).trim()}`);
    const streamed = isStreamedResponse(res.headers.get('content-type'));
    let results;
    try {
      results = streamed ? await decodeChunkedResponse(bytes, queries, opts.maxSamples ?? MAX_READ_RESPONSE_SAMPLES) : await decodeReadResponse(bytes, MAX_READ_RESPONSE_BYTES);
    } catch (e) {
      throw new Error(`remote_read ${this.name}: ${streamed ? 'streamed' : 'samples'} response: ${(e as Error).message}`);
    }
    signal.throwIfAborted();
    if (results.length !== requests.length) throw new Error(`remote_read ${this.name}: ${results.length} results for ${requests.length} queries`);
    if (ext.length === 0) return results;
    return results.map((r) => ({
      samples: r.samples,
      labels: r.labels.map((l) => {
        const c = copyLabels(l);
        for (const [k, v] of ext) if (c[k] === v) delete c[k];
        return c;
      }),
    }));
  }
}
