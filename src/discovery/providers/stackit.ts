// stackit_sd_configs: the servers of a STACKIT project (IaaS API, with details), at their first
// public IP (else the first private one), with Prometheus's `__meta_stackit_*` labels.
// Authentication: a service-account key (inline, from a file, or from the credentials file)
// through STACKIT's key flow — a JWT signed with the key's private key exchanged for an access
// token — or, without a key, the job's own HTTP settings (e.g. `authorization`).
import { createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';

export const STACKIT_TOKEN_URL = 'https://service-account.api.stackit.cloud/token';

interface StackitSettings {
  project: string;
  refresh_interval: number;
  port: number;
  region: string;
  endpoint: string;
  service_account_key: string;
  private_key: string;
  service_account_key_path: string;
  private_key_path: string;
  credentials_file_path: string;
}

interface ServiceAccountKey {
  id?: string;
  credentials?: { kid?: string; iss?: string; sub?: string; aud?: string; privateKey?: string };
}

interface Server {
  availabilityZone?: string;
  id?: string;
  labels?: Record<string, unknown>;
  machineType?: string;
  name?: string;
  nics?: { networkName?: string; ipv4?: string | null; publicIp?: string | null }[] | null;
  powerStatus?: string;
  status?: string;
}

export function stackitTargets(servers: Server[], project: string, port: number): TargetGroup[] {
  const P = '__meta_stackit_';
  const out: TargetGroup[] = [];
  for (const s of servers) {
    if (s.nics === undefined || s.nics === null) continue;
    const l: Labels = { [`${P}project`]: project, [`${P}id`]: s.id ?? '', [`${P}name`]: s.name ?? '', [`${P}availability_zone`]: s.availabilityZone ?? '', [`${P}status`]: s.status ?? '', [`${P}power_status`]: s.powerStatus ?? '', [`${P}type`]: s.machineType ?? '' };
    let address = '';
    let publicIp = '';
    for (const nic of s.nics) {
      if (nic.publicIp && publicIp === '') {
        publicIp = nic.publicIp;
        address = publicIp;
      }
      if (nic.ipv4) {
        l[`${P}private_ipv4_${sanitizeLabelName(nic.networkName ?? '')}`] = nic.ipv4;
        if (address === '') address = nic.ipv4;
      }
    }
    if (address === '') continue;
    if (publicIp !== '') l[`${P}public_ipv4`] = publicIp;
    for (const [k, v] of Object.entries(s.labels ?? {})) {
      if (typeof v !== 'string') continue;
      l[`${P}labelpresent_${sanitizeLabelName(k)}`] = 'true';
      l[`${P}label_${sanitizeLabelName(k)}`] = v;
    }
    out.push({ targets: [joinHostPort(address, port)], labels: l, source: `stackit/${out.length}` });
  }
  return out;
}

/** The service-account key and its private key, from the config or the credentials file (as STACKIT's SDK looks for them). */
function serviceAccountKey(s: StackitSettings): { key: ServiceAccountKey; privateKey: string } | undefined {
  let keyText = s.service_account_key !== '' ? s.service_account_key : s.service_account_key_path !== '' ? readFileSync(s.service_account_key_path, 'utf8') : '';
  let privateKey = s.private_key !== '' ? s.private_key : s.private_key_path !== '' ? readFileSync(s.private_key_path, 'utf8') : '';
  if (keyText === '') {
    const credsPath = s.credentials_file_path !== '' ? s.credentials_file_path : (process.env.STACKIT_CREDENTIALS_PATH ?? join(homedir(), '.stackit', 'credentials.json'));
    try {
      const creds = JSON.parse(readFileSync(credsPath, 'utf8')) as Record<string, string>;
      if (creds.STACKIT_SERVICE_ACCOUNT_KEY_PATH) keyText = readFileSync(creds.STACKIT_SERVICE_ACCOUNT_KEY_PATH, 'utf8');
      if (creds.STACKIT_PRIVATE_KEY_PATH && privateKey === '') privateKey = readFileSync(creds.STACKIT_PRIVATE_KEY_PATH, 'utf8');
    } catch {
      if (s.credentials_file_path !== '') throw new Error(`stackit_sd: cannot read credentials file ${credsPath}`);
    }
  }
  if (keyText === '') return undefined;
  const key = JSON.parse(keyText) as ServiceAccountKey;
  privateKey ||= key.credentials?.privateKey ?? '';
  if (privateKey === '') throw new Error('stackit_sd: the service account key has no private key (set private_key or private_key_path)');
  return { key, privateKey };
}

/** The key flow's assertion: a JWT (RS512) with the key's issuer, subject and audience. */
export function keyFlowAssertion(key: ServiceAccountKey, privateKey: string, nowS: number): string {
  const c = key.credentials ?? {};
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'RS512', typ: 'JWT', kid: c.kid });
  const claims = b64({ iss: c.iss, sub: c.sub, aud: c.aud, jti: randomUUID(), iat: nowS, exp: nowS + 600 });
  return `${head}.${claims}.${createSign('RSA-SHA512').update(`${head}.${claims}`).sign(privateKey).toString('base64url')}`;
}

export function stackitRefresh(c: GenericSdConfig, tokenUrl = STACKIT_TOKEN_URL): Refresh {
  const s = c.settings as unknown as StackitSettings;
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const endpoint = (s.endpoint !== '' ? s.endpoint : `https://iaas.api.${s.region}.stackit.cloud`).replace(/\/$/, '');
  const sa = serviceAccountKey(s);
  let token = { value: '', expires: 0 };
  return async (signal) => {
    const headers: Record<string, string> = {};
    if (sa !== undefined) {
      if (Date.now() > token.expires - 60_000) {
        const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: keyFlowAssertion(sa.key, sa.privateKey, Math.floor(Date.now() / 1000)) }).toString();
        const res = JSON.parse((await api.request('POST', tokenUrl, signal, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body })).body) as { access_token: string; expires_in: number };
        token = { value: res.access_token, expires: Date.now() + res.expires_in * 1000 };
      }
      headers.Authorization = `Bearer ${token.value}`;
    }
    const doc = (await api.get(`${endpoint}/v1/projects/${encodeURIComponent(s.project)}/servers?details=true`, signal, headers)) as { items?: Server[] | null };
    return stackitTargets(doc.items ?? [], s.project, s.port);
  };
}
