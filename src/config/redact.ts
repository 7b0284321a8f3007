// The loaded prometheus.yml as /api/v1/status/config shows it: every secret (passwords, tokens,
// client secrets, inline TLS keys, secret header values, ...) replaced by `<secret>` as
// Prometheus marshals its Secret type, and passwords in URLs hidden. The rest is kept as written.
import { isScalar, isSeq, parseDocument, visit } from 'yaml';

/** Keys whose values are secrets wherever they appear. */
const SECRET_KEYS = new Set([
  'password', 'credentials', 'client_secret', 'bearer_token', 'token', 'secret_key', 'auth_token', 'application_secret', 'consumer_key', 'key_passphrase', 'private_key',
  'service_account_key', 'application_credential_secret', 'certificate_password',
]);

const SECRET = '<secret>';

/** A URL with its password replaced, as Go's url.URL.Redacted() writes it. */
function redactUrl(s: string): string {
  return s.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/, '$1:xxxxx@');
}

export function redactSecrets(text: string): string {
  const doc = parseDocument(text, { schema: 'yaml-1.1', uniqueKeys: false });
  if (doc.errors.length > 0) return '';
  visit(doc, {
    Pair(_key, pair, path) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      const v = pair.value;
      const parent = path[path.length - 2];
      const parentKey = parent !== undefined && 'key' in parent && isScalar(parent.key) ? String(parent.key.value) : '';
      const secretValue = SECRET_KEYS.has(k) || (k === 'key' && parentKey === 'tls_config');
      if (secretValue && isScalar(v) && v.value !== null && String(v.value) !== '') v.value = SECRET;
      // http_headers: {Name: {secrets: [...]}} and proxy_connect_header: {Name: [...]} hold secrets.
      if ((k === 'secrets' || parentKey === 'proxy_connect_header') && isSeq(v)) for (const item of v.items) if (isScalar(item)) item.value = SECRET;
      if ((k === 'url' || k === 'proxy_url' || k === 'api_server') && isScalar(v) && typeof v.value === 'string') v.value = redactUrl(v.value);
      return undefined;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
