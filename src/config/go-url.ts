// URLs in config files checked as Prometheus (Go's url.Parse) checks them.

/** Go's url.Parse failing on a missing scheme (`://x`) and what it calls scheme and host. */
export function goUrl(s: string): { ok: boolean; scheme: string; host: string } {
  if (s.startsWith(':')) return { ok: false, scheme: '', host: '' };
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(s);
  if (!m) return { ok: true, scheme: '', host: '' };
  const host = m[2]!.startsWith('//') ? m[2]!.slice(2).split(/[/?#]/)[0]!.replace(/^.*@/, '') : '';
  return { ok: true, scheme: m[1]!.toLowerCase(), host };
}

/** What is wrong with an HTTP(S) URL setting (HTTP and PuppetDB discovery), in Prometheus's words. */
export function httpUrlProblem(url: string): string | undefined {
  if (url === '') return 'URL is missing';
  const u = goUrl(url);
  if (u.scheme !== 'http' && u.scheme !== 'https') return "URL scheme must be 'http' or 'https'";
  return u.host === '' ? 'host is missing in URL' : undefined;
}
