// oci_sd_configs: Oracle Cloud instances of the configured compartments (or of every active
// compartment under the tenancy), at the address of their primary VNIC, with `__meta_oci_*`
// labels. Requests are signed with the API key (OCI's HTTP signatures: RSA-SHA256 over the date,
// request target and host). Instance-principal authentication is not implemented.
import { createPrivateKey, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName, secretSetting, targetGroupOf } from '../util.js';

interface OciSettings {
  auth: string;
  tenancy: string;
  user: string;
  fingerprint: string;
  key_file: string;
  key_passphrase: string;
  key_passphrase_file: string;
  region: string;
  compartments: string[];
  port: number;
  refresh_interval: number;
}

interface Instance {
  id?: string;
  displayName?: string;
  lifecycleState?: string;
  shape?: string;
  availabilityDomain?: string;
  faultDomain?: string;
  region?: string;
  compartmentId?: string;
  imageId?: string;
  freeformTags?: Record<string, string>;
  definedTags?: Record<string, Record<string, unknown>>;
}

interface Vnic {
  id?: string;
  isPrimary?: boolean;
  privateIp?: string;
  publicIp?: string;
  ipv6Addresses?: string[];
  hostnameLabel?: string;
}

/** The signature OCI asks for (draft-cavage HTTP signatures) on a GET. */
export function ociAuthorization(url: URL, date: string, keyId: string, key: KeyObject): string {
  const signing = `date: ${date}\n(request-target): get ${url.pathname}${url.search}\nhost: ${url.host}`;
  const sig = createSign('RSA-SHA256').update(signing).sign(key).toString('base64');
  return `Signature version="1",keyId="${keyId}",algorithm="rsa-sha256",headers="date (request-target) host",signature="${sig}"`;
}

function definedTagValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return undefined;
}

export function ociLabels(inst: Instance, vnic: Vnic, tenancy: string, port: number): Labels {
  const P = '__meta_oci_';
  const ipv6 = [...(vnic.ipv6Addresses ?? [])].sort();
  const addr = vnic.privateIp || vnic.publicIp || ipv6[0] || '';
  const l: Labels = {
    __address__: joinHostPort(addr, port),
    [`${P}instance_id`]: inst.id ?? '',
    [`${P}instance_name`]: inst.displayName ?? '',
    [`${P}instance_state`]: inst.lifecycleState ?? '',
    [`${P}instance_shape`]: inst.shape ?? '',
    [`${P}availability_domain`]: inst.availabilityDomain ?? '',
    [`${P}fault_domain`]: inst.faultDomain ?? '',
    [`${P}region`]: inst.region ?? '',
    [`${P}tenancy_id`]: tenancy,
    [`${P}compartment_id`]: inst.compartmentId ?? '',
    [`${P}image_id`]: inst.imageId ?? '',
    [`${P}vnic_id`]: vnic.id ?? '',
    [`${P}private_ip`]: vnic.privateIp ?? '',
    [`${P}public_ip`]: vnic.publicIp ?? '',
    [`${P}hostname_label`]: vnic.hostnameLabel ?? '',
    [`${P}ipv6_addresses`]: ipv6.length > 0 ? `,${ipv6.join(',')},` : '',
  };
  for (const [k, v] of Object.entries(inst.freeformTags ?? {})) l[`${P}tag_${sanitizeLabelName(k)}`] = v;
  for (const [ns, tags] of Object.entries(inst.definedTags ?? {})) {
    for (const [k, v] of Object.entries(tags)) {
      const s = definedTagValue(v);
      if (s !== undefined) l[`${P}defined_tag_${sanitizeLabelName(ns)}_${sanitizeLabelName(k)}`] = s;
    }
  }
  return l;
}

export function ociRefresh(c: GenericSdConfig, log: (msg: string) => void, endpoints?: { iaas: string; identity: string }): Refresh {
  const s = c.settings as unknown as OciSettings;
  if (s.auth !== 'api_key') throw new Error(`oci_sd: ${s.auth} authentication is not implemented by Promethium (api_key is)`);
  const passphrase = secretSetting(s.key_passphrase, s.key_passphrase_file) || undefined;
  const key = createPrivateKey({ key: readFileSync(s.key_file, 'utf8'), ...(passphrase !== undefined ? { passphrase } : {}) });
  const keyId = `${s.tenancy}/${s.user}/${s.fingerprint}`;
  const iaas = endpoints?.iaas ?? `https://iaas.${s.region}.oraclecloud.com`;
  const identity = endpoints?.identity ?? `https://identity.${s.region}.oci.oraclecloud.com`;
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const get = async (url: URL, signal: AbortSignal): Promise<{ body: unknown; next?: string }> => {
    const date = new Date().toUTCString();
    const res = await api.request('GET', url, signal, { headers: { date, Authorization: ociAuthorization(url, date, keyId, key) } });
    return { body: JSON.parse(res.body) as unknown, ...(res.headers['opc-next-page'] ? { next: res.headers['opc-next-page'] } : {}) };
  };
  /** Every page of a list (`opc-next-page`). */
  const all = <T>(base: string, path: string, query: Record<string, string>, signal: AbortSignal): Promise<T[]> =>
    allPages<T>(async (page) => {
      const u = new URL(`${base}${path}`);
      for (const [k, v] of Object.entries({ ...query, limit: '100', ...(page !== undefined ? { page } : {}) })) u.searchParams.set(k, v);
      const r = await get(u, signal);
      return { items: r.body as T[] | undefined, next: r.next };
    });
  /** The configured compartments, or the tenancy and every active compartment below it. */
  const compartments = async (signal: AbortSignal): Promise<string[]> => {
    if (s.compartments.length > 0) return s.compartments;
    const seen = new Set<string>();
    const queue = [s.tenancy];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      try {
        const kids = await all<{ id?: string; lifecycleState?: string }>(identity, '/20160918/compartments', { compartmentId: id, accessLevel: 'ACCESSIBLE', compartmentIdInSubtree: 'false' }, signal);
        for (const k of kids) if (k.id !== undefined && k.lifecycleState === 'ACTIVE' && !seen.has(k.id)) queue.push(k.id);
      } catch (e) {
        if (signal.aborted) throw e;
        log(`OCI SD failed to list child compartments of ${id}, skipping subtree: ${(e as Error).message}`);
      }
    }
    return [...seen];
  };
  return async (signal) => {
    const out: TargetGroup[] = [];
    for (const compartment of await compartments(signal)) {
      for (const inst of await all<Instance>(iaas, '/20160918/instances', { compartmentId: compartment }, signal)) {
        if (inst.id === undefined || inst.compartmentId === undefined) continue;
        let primary: Vnic | undefined;
        try {
          const atts = await all<{ vnicId?: string; lifecycleState?: string }>(iaas, '/20160918/vnicAttachments', { compartmentId: inst.compartmentId, instanceId: inst.id }, signal);
          for (const att of atts) {
            if (att.vnicId === undefined || att.lifecycleState !== 'ATTACHED') continue;
            const vnic = (await get(new URL(`${iaas}/20160918/vnics/${encodeURIComponent(att.vnicId)}`), signal)).body as Vnic;
            if (vnic.isPrimary === true) {
              primary = vnic;
              break;
            }
          }
        } catch (e) {
          if (signal.aborted) throw e;
          log(`OCI SD failed to resolve VNIC IPs, skipping instance ${inst.id}: ${(e as Error).message}`);
          continue;
        }
        if (primary === undefined || (!primary.privateIp && !primary.publicIp && (primary.ipv6Addresses ?? []).length === 0)) continue;
        out.push(targetGroupOf(ociLabels(inst, primary, s.tenancy, s.port), `OCI/${out.length}`));
      }
    }
    return out;
  };
}
