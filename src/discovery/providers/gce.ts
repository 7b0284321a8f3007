// gce_sd_configs: the instances of a Google Compute Engine project and zone (optionally
// filtered), at the private IP of their first interface, with `__meta_gce_*` labels. Tokens as
// Google's default credentials: a service-account key file (GOOGLE_APPLICATION_CREDENTIALS or
// gcloud's application default file), exchanged with a signed JWT, else the metadata server.
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient, plainHttp } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, sanitizeLabelName } from '../util.js';

export const GCE_API = 'https://compute.googleapis.com/compute/v1';
const SCOPE = 'https://www.googleapis.com/auth/compute.readonly';

interface GceInstance {
  id?: string;
  name?: string;
  zone?: string;
  status?: string;
  machineType?: string;
  networkInterfaces?: { name?: string; network?: string; subnetwork?: string; networkIP?: string; accessConfigs?: { type?: string; natIP?: string }[] }[];
  tags?: { items?: string[] };
  metadata?: { items?: { key?: string; value?: string | null }[] };
  labels?: Record<string, string>;
}

export function gceTargets(items: GceInstance[], project: string, port: number, sep: string, source: string): TargetGroup[] {
  const P = '__meta_gce_';
  const out: TargetGroup[] = [];
  for (const inst of items) {
    const ifaces = inst.networkInterfaces ?? [];
    if (ifaces.length === 0) continue;
    const pri = ifaces[0]!;
    const l: Labels = {
      [`${P}project`]: project,
      [`${P}zone`]: inst.zone ?? '',
      [`${P}instance_id`]: inst.id ?? '',
      [`${P}instance_name`]: inst.name ?? '',
      [`${P}instance_status`]: inst.status ?? '',
      [`${P}machine_type`]: inst.machineType ?? '',
      [`${P}network`]: pri.network ?? '',
      [`${P}subnetwork`]: pri.subnetwork ?? '',
      [`${P}private_ip`]: pri.networkIP ?? '',
    };
    for (const i of ifaces) l[`${P}interface_ipv4_${sanitizeLabelName(i.name ?? '')}`] = i.networkIP ?? '';
    if ((inst.tags?.items ?? []).length > 0) l[`${P}tags`] = sep + inst.tags!.items!.join(sep) + sep;
    for (const m of inst.metadata?.items ?? []) if (m.value !== undefined && m.value !== null) l[`${P}metadata_${sanitizeLabelName(m.key ?? '')}`] = m.value;
    for (const [k, v] of Object.entries(inst.labels ?? {})) l[`${P}label_${sanitizeLabelName(k)}`] = v;
    const ac = pri.accessConfigs?.[0];
    if (ac?.type === 'ONE_TO_ONE_NAT') l[`${P}public_ip`] = ac.natIP ?? '';
    out.push({ targets: [`${pri.networkIP ?? ''}:${port}`], labels: l, source: `${source}/${out.length}` });
  }
  return out;
}

interface KeyFile {
  type?: string;
  client_email?: string;
  private_key?: string;
  token_uri?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
}

/** The application default credentials file, if there is one. */
function keyFile(): KeyFile | undefined {
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS ?? join(homedir(), '.config', 'gcloud', 'application_default_credentials.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch (e) {
    if (process.env.GOOGLE_APPLICATION_CREDENTIALS !== undefined) throw new Error(`google credentials ${path}: ${(e as Error).message}`);
    return undefined;
  }
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** A service account's signed JWT assertion for the token endpoint (RS256). */
export function jwtAssertion(key: KeyFile, nowS: number): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ iss: key.client_email, scope: SCOPE, aud: key.token_uri ?? 'https://oauth2.googleapis.com/token', iat: nowS, exp: nowS + 3600 }));
  const sig = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(key.private_key ?? '');
  return `${head}.${claims}.${b64url(sig)}`;
}

export function gceRefresh(c: GenericSdConfig, base = GCE_API, metadataServer = 'http://metadata.google.internal'): Refresh {
  const s = c.settings as { project: string; zone: string; filter: string; refresh_interval: number; port: number; tag_separator: string };
  const api = new ApiClient(plainHttp(), Math.max(s.refresh_interval, 10_000));
  let token = { value: '', expires: 0 };
  const newToken = async (signal: AbortSignal): Promise<{ access_token: string; expires_in: number }> => {
    const key = keyFile();
    const form = (o: Record<string, string>) => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
    if (key?.type === 'service_account') {
      const res = await api.request('POST', key.token_uri ?? 'https://oauth2.googleapis.com/token', signal, form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(key, Math.floor(Date.now() / 1000)) }));
      return JSON.parse(res.body) as { access_token: string; expires_in: number };
    }
    if (key?.type === 'authorized_user') {
      const res = await api.request('POST', 'https://oauth2.googleapis.com/token', signal, form({ grant_type: 'refresh_token', client_id: key.client_id ?? '', client_secret: key.client_secret ?? '', refresh_token: key.refresh_token ?? '' }));
      return JSON.parse(res.body) as { access_token: string; expires_in: number };
    }
    return (await api.get(`${metadataServer}/computeMetadata/v1/instance/service-accounts/default/token?scopes=${encodeURIComponent(SCOPE)}`, signal, { 'Metadata-Flavor': 'Google' })) as { access_token: string; expires_in: number };
  };
  return async (signal) => {
    if (Date.now() > token.expires - 60_000) {
      const t = await newToken(signal);
      token = { value: t.access_token, expires: Date.now() + t.expires_in * 1000 };
    }
    const items = await allPages<GceInstance>(async (pageToken) => {
      const u = new URL(`${base}/projects/${encodeURIComponent(s.project)}/zones/${encodeURIComponent(s.zone)}/instances`);
      if (s.filter !== '') u.searchParams.set('filter', s.filter);
      if (pageToken !== undefined) u.searchParams.set('pageToken', pageToken);
      const doc = (await api.get(u, signal, { Authorization: `Bearer ${token.value}` })) as { items?: GceInstance[]; nextPageToken?: string };
      return { items: doc.items, next: doc.nextPageToken };
    });
    return gceTargets(items, s.project, s.port, s.tag_separator, `GCE_${s.project}_${s.zone}`);
  };
}
