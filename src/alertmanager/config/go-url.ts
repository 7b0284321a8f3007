// URL settings of alertmanager.yml checked as Alertmanager 0.25 checks them: Go's url.Parse (its
// errors, `parse "<url>": <why>`), then an http or https scheme and a host. Only what url.Parse
// rejects and what Alertmanager's URL type adds is modelled: enough to give the same verdict and
// message on the same file.

export interface GoUrl {
  scheme: string;
  host: string;
}

const isHex = (c: string): boolean => /^[0-9a-fA-F]$/.test(c);

/** Characters Go lets through unescaped in a host name (url.shouldEscape in encodeHost mode). */
const HOST_OK = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;

/** Go's %-unescaping checks; `host` adds the host-name character rules. Returns an error text. */
function unescapeProblem(s: string, host: boolean): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      if (i + 2 >= s.length || !isHex(s[i + 1]!) || !isHex(s[i + 2]!)) {
        return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      }
      // Go refuses %-escapes of ASCII in a host, except %25 (an IPv6 zone's `%`).
      if (host && parseInt(s.slice(i + 1, i + 3), 16) < 0x80 && s.slice(i, i + 3) !== '%25') return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      i += 2;
    } else if (host && c.charCodeAt(0) < 0x80 && !HOST_OK.test(c)) {
      return `invalid character ${JSON.stringify(c)} in host name`;
    }
  }
  return undefined;
}

const validOptionalPort = (p: string): boolean => p === '' || /^:[0-9]*$/.test(p);

function hostProblem(host: string): string | undefined {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) return "missing ']' in host";
    const port = host.slice(i + 1);
    if (!validOptionalPort(port)) return `invalid port ${JSON.stringify(port)} after host`;
    return undefined;
  }
  const i = host.lastIndexOf(':');
  if (i >= 0 && !validOptionalPort(host.slice(i))) return `invalid port ${JSON.stringify(host.slice(i))} after host`;
  return unescapeProblem(host, true);
}

/** Go's url.Parse: the scheme and host, or the error text it gives. */
export function goParseUrl(raw: string): GoUrl | { error: string } {
  const fail = (why: string) => ({ error: `parse ${JSON.stringify(raw)}: ${why}` });
  const hash = raw.indexOf('#');
  const main = hash < 0 ? raw : raw.slice(0, hash);
  if (hash >= 0) {
    const p = unescapeProblem(raw.slice(hash + 1), false);
    if (p !== undefined) return fail(p);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(main)) return fail('net/url: invalid control character in URL');
  let scheme = '';
  let rest = main;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(main);
  if (main.startsWith(':')) return fail('missing protocol scheme');
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = main.slice(m[0].length);
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, host: '' };
    const seg = rest.split('/')[0]!;
    if (seg.includes(':')) return fail('first path segment in URL cannot contain colon');
  }
  let host = '';
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    const auth = rest.slice(2).split('/')[0]!;
    rest = rest.slice(2 + auth.length);
    const at = auth.lastIndexOf('@');
    host = at < 0 ? auth : auth.slice(at + 1);
    if (at >= 0 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(auth.slice(0, at))) return fail('net/url: invalid userinfo');
    const hp = hostProblem(host);
    if (hp !== undefined) return fail(hp);
  }
  const pp = unescapeProblem(rest, false);
  if (pp !== undefined) return fail(pp);
  return { scheme, host };
}

/**
 * What Alertmanager 0.25 says about a URL setting, or undefined when it accepts it. `secret`
 * settings (webhook url, slack api_url) also take the `<secret>` placeholder of a shown config.
 */
export function alertmanagerUrlProblem(raw: string, secret: boolean): string | undefined {
  if (secret && raw === '<secret>') return undefined;
  const u = goParseUrl(raw);
  if ('error' in u) return u.error;
  if (u.scheme !== 'http' && u.scheme !== 'https') return `unsupported scheme ${JSON.stringify(u.scheme)} for URL`;
  if (u.host === '') return 'missing host for URL';
  return undefined;
}
