// http_sd_configs: target groups fetched as JSON from a URL every refresh_interval, as Prometheus's
// HTTP service discovery: a 200 answer with a JSON list of { targets, labels }, the URL in the
// `__meta_url` label. A failed fetch keeps the last good groups and the error is logged
// (the refresh loop all such mechanisms share).
import type { HttpSdConfig } from '../config/index.js';
import { scrapeHttp } from '../common/http-config/http-get.js';
import { httpOptions } from '../common/http-config/client-options.js';
import type { TargetGroup } from './target-group.js';
import type { Logger } from '../util/logger.js';
import { RefreshDiscovery } from './refresh.js';
import type { Refresh } from './refresh.js';
import { LEGACY_LABEL_NAME } from '../model/labels.js';

/** Parses an HTTP SD answer; throws with the reason. */
export function parseHttpSdBody(url: string, contentType: string, body: string): TargetGroup[] {
  if (!/^application\/json\b/i.test(contentType.trim())) throw new Error(`unsupported content type "${contentType}"`);
  const doc: unknown = JSON.parse(body);
  if (!Array.isArray(doc)) throw new Error('expected a JSON list of target groups');
  return doc.map((g: unknown, i) => {
    if (g === null || typeof g !== 'object') throw new Error(`group ${i}: expected an object`);
    const { targets = [], labels = {} } = g as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) throw new Error(`group ${i}: "targets" must be a list of strings`);
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) throw new Error(`group ${i}: "labels" must be a map`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
      if (!LEGACY_LABEL_NAME.test(k)) throw new Error(`group ${i}: "${k}" is not a valid label name`);
      if (typeof v !== 'string') throw new Error(`group ${i}: the value of "${k}" must be a string`);
      out[k] = v;
    }
    out.__meta_url = url;
    return { targets: targets as string[], labels: out, source: `${url}:${i}` };
  });
}

/** Fetches the URL and parses its target groups; throws with the reason. */
function httpRefresh(c: HttpSdConfig): Refresh {
  let client: ReturnType<typeof httpOptions> | undefined;
  return async (signal) => {
    // The client settings (secrets read, the oauth2 token source) are made once, like a scrape pool's.
    const base = (client ??= httpOptions(c.http, 0));
    const res = await scrapeHttp({ ...base, url: new URL(c.url), timeoutMs: c.refreshIntervalMs, headers: { ...base.headers, Accept: 'application/json', 'X-Prometheus-Refresh-Interval-Seconds': String(c.refreshIntervalMs / 1000) } }, signal);
    try {
      return parseHttpSdBody(c.url, res.contentType, res.body.toString('utf8'));
    } catch (e) {
      throw new Error(`${c.url}: ${(e as Error).message}`);
    }
  };
}

export class HttpDiscovery extends RefreshDiscovery {
  constructor(config: HttpSdConfig, logger: Logger, onUpdate: (groups: TargetGroup[]) => void, observe?: ConstructorParameters<typeof RefreshDiscovery>[5]) {
    super('http', config.refreshIntervalMs, httpRefresh(config), logger, onUpdate, observe);
  }
}
