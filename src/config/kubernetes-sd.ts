// kubernetes_sd_configs as Prometheus reads and validates them: a role, where the API server is
// (in-cluster by default, `api_server` with the usual HTTP client settings, or a kubeconfig file),
// the namespaces to watch, label/field selectors per watched resource and the metadata to attach.
// The selectors are checked with the Kubernetes grammar here, so a typo fails at load and not at
// the API server an hour later.
import type { Node, YamlFile } from './yaml-reader.js';
import type { HttpClientConfig } from '../common/http-config/index.js';

export const KUBERNETES_ROLES = ['node', 'pod', 'service', 'endpoints', 'endpointslice', 'ingress'] as const;
export type KubernetesRole = (typeof KUBERNETES_ROLES)[number];

export interface KubernetesSelector {
  role: KubernetesRole;
  label: string;
  field: string;
}

export interface KubernetesSdConfig {
  role: KubernetesRole;
  apiServer?: string;
  kubeconfigFile?: string;
  namespaces: { ownNamespace: boolean; names: string[] };
  selectors: KubernetesSelector[];
  attachMetadata: { node: boolean; namespace: boolean; deployment: boolean; job: boolean; cronjob: boolean };
  http: HttpClientConfig;
}

/** Which selector roles each role may use (the resources it watches). */
const ALLOWED_SELECTORS: Record<KubernetesRole, KubernetesRole[]> = {
  pod: ['pod', 'node'],
  service: ['service'],
  endpointslice: ['pod', 'service', 'endpointslice'],
  endpoints: ['pod', 'service', 'endpoints'],
  node: ['node'],
  ingress: ['ingress'],
};

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1]!;
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Checks a field selector (`key=value`, `key==value`, `key!=value`, comma-separated); throws Kubernetes's message. */
export function checkFieldSelector(s: string): void {
  if (s.length === 0) return;
  for (const term of splitTerms(s)) {
    if (!/!=|==|=/.test(term.replace(/\\./g, ''))) throw new Error(`invalid selector: '${s}'; can't understand '${term}'`);
  }
}

const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkLabelKey(k: string): void {
  const slash = k.indexOf('/');
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (slash >= 0) {
    const prefix = k.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) throw new Error(`unable to parse requirement: invalid label key "${k}": prefix part must be a DNS-1123 subdomain`);
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    throw new Error(`unable to parse requirement: invalid label key "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
}

function checkLabelValue(v: string): void {
  if (v.length > 63 || (v.length > 0 && !QUALIFIED_NAME.test(v))) {
    throw new Error(`unable to parse requirement: invalid label value: "${v}": must be 63 characters or less and consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`);
  }
}

/** The tokens of a label selector: identifiers and the operators and punctuation between them. */
function labelTokens(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push(two);
      i += 2;
    } else if ('=!(),<>'.includes(c)) {
      out.push(c);
      i++;
    } else {
      let j = i;
      while (j < s.length && !/\s/.test(s[j]!) && !'=!(),<>'.includes(s[j]!)) j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

const isIdent = (t: string | undefined): t is string => t !== undefined && !['==', '!=', '=', '!', '(', ')', ',', '<', '>'].includes(t);

/** Checks a label selector (Kubernetes's grammar: `k`, `!k`, `k=v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k>1`); throws the reason. */
export function checkLabelSelector(s: string): void {
  const t = labelTokens(s);
  if (t.length === 0) return;
  let i = 0;
  const expectIdent = (what: string): string => {
    const tok = t[i];
    if (!isIdent(tok)) throw new Error(`unable to parse requirement: found '${tok ?? ''}', expected: ${what}`);
    i++;
    return tok;
  };
  for (;;) {
    if (t[i] === '!') {
      i++;
      checkLabelKey(expectIdent('identifier'));
    } else {
      const key = expectIdent('identifier');
      checkLabelKey(key);
      const op = t[i];
      if (op === '=' || op === '==' || op === '!=') {
        i++;
        const v = isIdent(t[i]) ? t[i++]! : '';
        checkLabelValue(v);
      } else if (op === '<' || op === '>') {
        i++;
        const v = expectIdent('integer value');
        if (!/^-?\d+$/.test(v)) throw new Error(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (t[i] !== '(') throw new Error(`found '${t[i] ?? ''}', expected: '('`);
        i++;
        for (;;) {
          const v = isIdent(t[i]) ? t[i++]! : '';
          checkLabelValue(v);
          if (t[i] === ',') {
            i++;
            continue;
          }
          if (t[i] !== ')') throw new Error(`found '${t[i] ?? ''}', expected: ',' or ')'`);
          i++;
          break;
        }
      } else if (op !== undefined && op !== ',') {
        throw new Error(`found '${op}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    if (i >= t.length) return;
    if (t[i] !== ',') throw new Error(`found '${t[i]!}', expected: ',' or 'end of string'`);
    i++;
  }
}

/** What the reader needs from the prometheus.yml loader. */
export interface SdReaderContext {
  y: YamlFile;
  http(m: Map<string, Node>, where: Node): HttpClientConfig;
  path(p: string | undefined): string | undefined;
}

const DEFAULT_HTTP_KEYS = new Set(['follow_redirects', 'enable_http2']);

export function readKubernetesSdConfigs(c: SdReaderContext, n: Node | undefined, httpFields: readonly string[]): KubernetesSdConfig[] {
  const y = c.y;
  return y.seq(n, 'kubernetes_sd_configs').map((s) => {
    const m = y.map(s, 'kubernetes.plain', ['api_server', 'role', 'kubeconfig_file', 'namespaces', 'selectors', 'attach_metadata', ...httpFields]);
    const roleText = y.str(m.get('role'), 'role');
    if (roleText === '') y.fail(s, 'role missing (one of: pod, service, endpoints, endpointslice, node, ingress)');
    if (!(KUBERNETES_ROLES as readonly string[]).includes(roleText)) y.fail(m.get('role'), `unknown Kubernetes SD role ${JSON.stringify(roleText)}`);
    const role = roleText as KubernetesRole;
    const http = c.http(m, s);
    const apiServerText = y.str(m.get('api_server'), 'api_server');
    if (apiServerText !== '') {
      try {
        new URL(apiServerText);
      } catch {
        y.fail(m.get('api_server'), `parse ${JSON.stringify(apiServerText)}: invalid URL`);
      }
    }
    const kubeconfig = y.str(m.get('kubeconfig_file'), 'kubeconfig_file');
    const nsMap = y.map(m.get('namespaces') ?? { kind: 'null', line: s.line, col: s.col }, 'kubernetes.plain', ['own_namespace', 'names']);
    const namespaces = { ownNamespace: y.bool(nsMap.get('own_namespace'), 'own_namespace', false), names: y.strings(nsMap.get('names'), 'names') };
    // Prometheus compares the HTTP settings with its defaults; any other setting counts as custom.
    const customHttp = [...m.entries()].some(([k, v]) => httpFields.includes(k) && !(DEFAULT_HTTP_KEYS.has(k) && v.kind === 'scalar' && String(v.value) === 'true'));
    if (apiServerText !== '' && kubeconfig !== '') y.fail(s, "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
    if (kubeconfig !== '' && customHttp) y.fail(s, "cannot use a custom HTTP client configuration together with 'kubeconfig_file'");
    if (apiServerText === '' && customHttp) y.fail(s, "to use custom HTTP client configuration please provide the 'api_server' URL explicitly");
    if (apiServerText !== '' && namespaces.ownNamespace) y.fail(s, "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously");
    if (kubeconfig !== '' && namespaces.ownNamespace) y.fail(s, "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously");
    const seen = new Set<string>();
    const selectors = y.seq(m.get('selectors'), 'selectors').map((sel) => {
      const sm = y.map(sel, 'kubernetes.SelectorConfig', ['role', 'label', 'field']);
      const selRole = y.str(sm.get('role'), 'role');
      if (!(KUBERNETES_ROLES as readonly string[]).includes(selRole)) y.fail(sm.get('role') ?? sel, `unknown Kubernetes SD role ${JSON.stringify(selRole)}`);
      if (seen.has(selRole)) y.fail(sel, `duplicated selector role: ${selRole}`);
      seen.add(selRole);
      if (!ALLOWED_SELECTORS[role].includes(selRole as KubernetesRole)) y.fail(sel, `${role} role supports only ${ALLOWED_SELECTORS[role].join(', ')} selectors`);
      const label = y.str(sm.get('label'), 'label');
      const field = y.str(sm.get('field'), 'field');
      try {
        checkFieldSelector(field);
        checkLabelSelector(label);
      } catch (e) {
        y.fail(sel, (e as Error).message);
      }
      return { role: selRole as KubernetesRole, label, field };
    });
    const am = y.map(m.get('attach_metadata') ?? { kind: 'null', line: s.line, col: s.col }, 'kubernetes.AttachMetadataConfig', ['node', 'namespace', 'deployment', 'job', 'cronjob']);
    return {
      role,
      ...(apiServerText !== '' ? { apiServer: apiServerText } : {}),
      ...(kubeconfig !== '' ? { kubeconfigFile: c.path(kubeconfig)! } : {}),
      namespaces,
      selectors,
      attachMetadata: {
        node: y.bool(am.get('node'), 'node', false),
        namespace: y.bool(am.get('namespace'), 'namespace', false),
        deployment: y.bool(am.get('deployment'), 'deployment', false),
        job: y.bool(am.get('job'), 'job', false),
        cronjob: y.bool(am.get('cronjob'), 'cronjob', false),
      },
      http,
    };
  });
}
