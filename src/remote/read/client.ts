// One `remote_read` endpoint: which selections it is asked for (required_matchers, read_recent)
// and the request itself — a snappy-compressed `ReadRequest` for SAMPLES, answered by a
// `ReadResponse` decoded natively into typed arrays. With filter_external_labels (the default)
// the external labels become equality matchers of the remote query and are taken off the series
// that come back, so they merge with the local series of the same labels.
import { snappyCompress } from '../../storage/wal-watcher.js';
import { copyLabels, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../storage/matchers.js';
import type { NativeSamples } from '../../storage/native.js';
import { decodeReadResponse, encodeReadRequest } from '../../storage/remote-codec.js';
import type { RemoteReadConfig } from '../../config/config.js';
import { httpFetch, httpHeaders, type HttpClientOptions } from '../../common/http-config/fetch.js';
import type { HttpClientConfig } from '../../common/http-config/index.js';
import { userAgent } from '../../common/http-config/client-options.js';

/** The largest decompressed ReadResponse taken from a remote. */
export const MAX_READ_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface SelectRequest {
  matchers: readonly LabelMatcher[];
  mint: number;
  maxt: number;
}

export interface SeriesData {
  labels: Labels[];
  samples: NativeSamples;
}

/** The settings of `http_config` a POST applies (OAuth2 is not applied here). */
function clientOptions(h: HttpClientConfig): HttpClientOptions {
  const tlsGiven = Object.entries(h.tls).some(([k, v]) => v !== undefined && !(k === 'insecureSkipVerify' && v === false));
  return {
    followRedirects: h.followRedirects,
    ...(tlsGiven ? { tls: h.tls } : {}),
    ...(h.proxyUrl !== undefined ? { proxyUrl: h.proxyUrl } : {}),
    ...(h.noProxy !== undefined ? { noProxy: h.noProxy } : {}),
    proxyFromEnvironment: h.proxyFromEnvironment,
    proxyConnectHeader: h.proxyConnectHeader,
    ...(h.authorization !== undefined ? { authorization: h.authorization } : {}),
    ...(h.basicAuth !== undefined ? { basicAuth: { username: h.basicAuth.username, password: h.basicAuth.password, passwordFile: h.basicAuth.passwordFile } } : {}),
  };
}

export class RemoteReadClient {
  private readonly http: HttpClientOptions;

  constructor(
    readonly config: RemoteReadConfig,
    private readonly externalLabels: Labels,
  ) {
    this.http = clientOptions(config.http);
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
  async read(requests: readonly SelectRequest[]): Promise<SeriesData[]> {
    const ext = this.external();
    const queries = requests.map((r) => ({ matchers: [...r.matchers, ...ext.map(([name, value]): LabelMatcher => ({ type: '=', name, value }))], startMs: r.mint, endMs: r.maxt }));
    const body = snappyCompress(encodeReadRequest(queries));
    const headers = {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'Accept-Encoding': 'snappy',
      'X-Prometheus-Remote-Read-Version': '0.1.0',
      'User-Agent': userAgent(),
      ...this.config.headers,
      ...(await httpHeaders(this.http)),
    };
    const res = await httpFetch(this.config.url, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(this.config.remoteTimeoutMs) }, this.http);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status < 200 || res.status >= 300) throw new Error(`remote_read ${this.name}: server returned HTTP status ${res.status}: ${new TextDecoder().decode(bytes.subarray(0, 512)).trim()}`);
    const results = decodeReadResponse(bytes, MAX_READ_RESPONSE_BYTES);
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
