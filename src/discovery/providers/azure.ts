// azure_sd_configs: the virtual machines (and scale-set VMs) of a subscription or resource
// group, at the private IP of their primary network interface, with `__meta_azure_*` labels.
// Tokens: OAuth client credentials, a managed identity (the instance metadata service), a
// workload identity (federated token file), or SDK (those three chosen from the environment).
import { readFileSync } from 'node:fs';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName, targetGroupOf } from '../util.js';

interface AzureSettings {
  environment: string;
  port: number;
  subscription_id: string;
  tenant_id: string;
  client_id: string;
  client_secret: string;
  refresh_interval: number;
  authentication_method: string;
  resource_group: string;
}

/** Resource Manager and login endpoints of each Azure cloud. */
export const AZURE_CLOUDS: Record<string, { arm: string; login: string }> = {
  AZUREPUBLICCLOUD: { arm: 'https://management.azure.com', login: 'https://login.microsoftonline.com' },
  AZURECHINACLOUD: { arm: 'https://management.chinacloudapi.cn', login: 'https://login.chinacloudapi.cn' },
  AZUREGOVERNMENTCLOUD: { arm: 'https://management.usgovcloudapi.net', login: 'https://login.microsoftonline.us' },
};

interface VmResource {
  id?: string;
  name?: string;
  location?: string;
  instanceId?: string;
  tags?: Record<string, string> | null;
  properties?: { storageProfile?: { osDisk?: { osType?: string } }; networkProfile?: { networkInterfaces?: { id?: string }[] }; osProfile?: { computerName?: string }; hardwareProfile?: { vmSize?: string } };
}

interface Nic {
  properties?: { primary?: boolean | null; ipConfigurations?: { properties?: { privateIPAddress?: string; publicIPAddress?: { properties?: { ipAddress?: string } } } }[] };
}

/** The resource group named in a resource ID (`/subscriptions/s/resourceGroups/<rg>/...`). */
export function resourceGroupOf(id: string): string {
  const parts = id.split('/');
  const i = parts.findIndex((p) => p.toLowerCase() === 'resourcegroups');
  if (i < 0 || i + 1 >= parts.length) throw new Error(`invalid ID '${id}': no resource group`);
  return parts[i + 1]!;
}

/** A VM's target, or undefined for a deallocated one (its primary NIC says neither yes nor no). */
export function azureTarget(vm: VmResource, scaleSet: string, nics: Nic[], s: Pick<AzureSettings, 'subscription_id' | 'tenant_id' | 'port'>): Labels | undefined {
  const P = '__meta_azure_';
  const l: Labels = {
    [`${P}subscription_id`]: s.subscription_id,
    [`${P}tenant_id`]: s.tenant_id,
    [`${P}machine_id`]: vm.id ?? '',
    [`${P}machine_name`]: vm.name ?? '',
    [`${P}machine_computer_name`]: vm.properties?.osProfile?.computerName ?? '',
    [`${P}machine_os_type`]: vm.properties?.storageProfile?.osDisk?.osType ?? '',
    [`${P}machine_location`]: vm.location ?? '',
    [`${P}machine_resource_group`]: resourceGroupOf(vm.id ?? ''),
    [`${P}machine_size`]: vm.properties?.hardwareProfile?.vmSize ?? '',
  };
  if (scaleSet !== '') l[`${P}machine_scale_set`] = scaleSet;
  for (const [k, v] of Object.entries(vm.tags ?? {})) l[`${P}machine_tag_${sanitizeLabelName(k)}`] = v;
  for (const nic of nics) {
    if (nic.properties === undefined) continue;
    if (nic.properties.primary === undefined || nic.properties.primary === null) return undefined;
    if (!nic.properties.primary) continue;
    for (const ip of nic.properties.ipConfigurations ?? []) {
      const pub = ip.properties?.publicIPAddress?.properties?.ipAddress;
      if (pub !== undefined) l[`${P}machine_public_ip`] = pub;
      const priv = ip.properties?.privateIPAddress;
      if (priv === undefined) throw new Error(`unable to find a private IP for VM ${vm.name ?? ''}`);
      l[`${P}machine_private_ip`] = priv;
      l.__address__ = joinHostPort(priv, s.port);
      return l;
    }
  }
  return undefined;
}

export function azureRefresh(c: GenericSdConfig, endpoints?: { arm: string; login: string; imds?: string }): Refresh {
  const s = c.settings as unknown as AzureSettings;
  const cloud = endpoints ?? AZURE_CLOUDS[s.environment.toUpperCase()];
  if (cloud === undefined) throw new Error(`there is no cloud configuration matching the name "${s.environment}"`);
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const scope = `${cloud.arm}/.default`;
  let token = { value: '', expires: 0 };

  const clientCredentials = async (tenant: string, form: Record<string, string>, signal: AbortSignal): Promise<{ access_token: string; expires_in: number | string }> => {
    const body = new URLSearchParams({ ...form, scope, grant_type: 'client_credentials' }).toString();
    const res = await api.request('POST', `${cloud.login}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, signal, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    return JSON.parse(res.body) as { access_token: string; expires_in: number };
  };
  const managedIdentity = async (clientId: string, signal: AbortSignal): Promise<{ access_token: string; expires_in: number | string }> => {
    const u = new URL(`${endpoints?.imds ?? 'http://169.254.169.254'}/metadata/identity/oauth2/token`);
    u.searchParams.set('api-version', '2018-02-01');
    u.searchParams.set('resource', `${cloud.arm}/`);
    if (clientId !== '') u.searchParams.set('client_id', clientId);
    return (await api.get(u, signal, { Metadata: 'true' })) as { access_token: string; expires_in: number | string };
  };
  const workloadIdentity = (tenant: string, clientId: string, signal: AbortSignal) => {
    const file = process.env.AZURE_FEDERATED_TOKEN_FILE;
    if (!file) throw new Error('workload identity: AZURE_FEDERATED_TOKEN_FILE is not set');
    return clientCredentials(tenant, { client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: readFileSync(file, 'utf8').trim() }, signal);
  };
  const newToken = (signal: AbortSignal) => {
    const env = process.env;
    switch (s.authentication_method) {
      case 'OAuth':
        return clientCredentials(s.tenant_id, { client_id: s.client_id, client_secret: s.client_secret }, signal);
      case 'ManagedIdentity':
        return managedIdentity(s.client_id, signal);
      case 'WorkloadIdentity':
        return workloadIdentity(s.tenant_id || (env.AZURE_TENANT_ID ?? ''), s.client_id || (env.AZURE_CLIENT_ID ?? ''), signal);
      default: // SDK: the environment decides, as DefaultAzureCredential does.
        if (env.AZURE_TENANT_ID && env.AZURE_CLIENT_ID && env.AZURE_CLIENT_SECRET) return clientCredentials(env.AZURE_TENANT_ID, { client_id: env.AZURE_CLIENT_ID, client_secret: env.AZURE_CLIENT_SECRET }, signal);
        if (env.AZURE_FEDERATED_TOKEN_FILE && env.AZURE_TENANT_ID && env.AZURE_CLIENT_ID) return workloadIdentity(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, signal);
        return managedIdentity(env.AZURE_CLIENT_ID ?? '', signal);
    }
  };
  const auth = async (signal: AbortSignal): Promise<Record<string, string>> => {
    if (Date.now() > token.expires - 60_000) {
      const t = await newToken(signal);
      token = { value: t.access_token, expires: Date.now() + Number(t.expires_in) * 1000 };
    }
    return { Authorization: `Bearer ${token.value}` };
  };
  const list = (url: string, signal: AbortSignal): Promise<VmResource[]> =>
    allPages<VmResource>(async (next) => {
      const doc = (await api.get(next ?? url, signal, await auth(signal))) as { value?: VmResource[]; nextLink?: string };
      return { items: doc.value, next: doc.nextLink };
    });
  return async (signal) => {
    const scopePath = `/subscriptions/${s.subscription_id}${s.resource_group !== '' ? `/resourceGroups/${s.resource_group}` : ''}/providers/Microsoft.Compute`;
    const machines: { vm: VmResource; scaleSet: string }[] = (await list(`${cloud.arm}${scopePath}/virtualMachines?api-version=2023-03-01`, signal)).map((vm) => ({ vm, scaleSet: '' }));
    for (const ss of await list(`${cloud.arm}${scopePath}/virtualMachineScaleSets?api-version=2023-03-01`, signal)) {
      for (const vm of await list(`${cloud.arm}${ss.id ?? ''}/virtualMachines?api-version=2023-03-01`, signal)) machines.push({ vm, scaleSet: ss.name ?? '' });
    }
    const out: TargetGroup[] = [];
    for (const { vm, scaleSet } of machines) {
      const nics: Nic[] = [];
      let gone = false;
      for (const ref of vm.properties?.networkProfile?.networkInterfaces ?? []) {
        // Scale-set VM interfaces live under the VM in the Compute provider (an older API version).
        const version = scaleSet !== '' ? '2018-10-01' : '2023-05-01';
        try {
          nics.push((await api.get(`${cloud.arm}${ref.id ?? ''}?api-version=${version}&$expand=ipConfigurations/publicIPAddress`, signal, await auth(signal))) as Nic);
        } catch (e) {
          if (!/HTTP status 404/.test((e as Error).message)) throw e;
          gone = true; // an interface gone since the VM list: the VM is skipped, as Prometheus does
        }
      }
      const l = gone ? undefined : azureTarget(vm, scaleSet, nics, s);
      if (l === undefined) continue;
      out.push(targetGroupOf(l, `azure/${out.length}`));
    }
    return out;
  };
}
