// msk_sd_configs (and aws_sd_configs with role msk): the broker and controller nodes of Amazon MSK
// provisioned clusters (all of the region's, or the configured ones), one target per node
// endpoint, with Prometheus's `__meta_msk_*` labels. Kafka's REST API, SigV4-signed.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName } from '../util.js';
import { AwsService } from './aws.js';
import type { AwsSettings } from './aws.js';

interface MskCluster {
  clusterArn?: string;
  clusterName?: string;
  state?: string;
  clusterType?: string;
  currentVersion?: string;
  tags?: Record<string, string>;
  provisioned?: {
    currentBrokerSoftwareInfo?: { kafkaVersion?: string; configurationArn?: string; configurationRevision?: number };
    openMonitoring?: { prometheus?: { jmxExporter?: { enabledInBroker?: boolean }; nodeExporter?: { enabledInBroker?: boolean } } };
  };
}

interface NodeInfo {
  nodeARN?: string;
  addedToClusterTime?: string;
  instanceType?: string;
  brokerNodeInfo?: { attachedENIId?: string; brokerId?: number; clientSubnet?: string; clientVpcIpAddress?: string; endpoints?: string[] };
  controllerNodeInfo?: { endpoints?: string[] };
}

const P = '__meta_msk_';

export function mskTargets(clusters: MskCluster[], nodes: Map<string, NodeInfo[]>, port: number, region: string): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const c of clusters) {
    const sw = c.provisioned?.currentBrokerSoftwareInfo ?? {};
    const prom = c.provisioned?.openMonitoring?.prometheus;
    for (const n of nodes.get(c.clusterArn ?? '') ?? []) {
      const l: Labels = {
        [`${P}cluster_name`]: c.clusterName ?? '',
        [`${P}cluster_arn`]: c.clusterArn ?? '',
        [`${P}cluster_state`]: c.state ?? '',
        [`${P}cluster_type`]: c.clusterType ?? '',
        [`${P}cluster_version`]: c.currentVersion ?? '',
        [`${P}node_arn`]: n.nodeARN ?? '',
        [`${P}node_added_time`]: n.addedToClusterTime ?? '',
        [`${P}node_instance_type`]: n.instanceType ?? '',
        [`${P}cluster_kafka_version`]: sw.kafkaVersion ?? '',
      };
      if (sw.configurationArn !== undefined) l[`${P}cluster_configuration_arn`] = sw.configurationArn;
      if (sw.configurationRevision !== undefined) l[`${P}cluster_configuration_revision`] = String(Math.trunc(sw.configurationRevision));
      if (prom?.jmxExporter !== undefined) l[`${P}cluster_jmx_exporter_enabled`] = String(prom.jmxExporter.enabledInBroker === true);
      for (const [k, v] of Object.entries(c.tags ?? {})) l[`${P}cluster_tag_${sanitizeLabelName(k)}`] = v;
      let endpoints: string[];
      let indexLabel: string;
      if (n.brokerNodeInfo !== undefined) {
        const b = n.brokerNodeInfo;
        Object.assign(l, { [`${P}node_type`]: 'BROKER', [`${P}node_attached_eni`]: b.attachedENIId ?? '', [`${P}broker_id`]: (b.brokerId ?? 0).toFixed(0), [`${P}broker_client_subnet`]: b.clientSubnet ?? '', [`${P}broker_client_vpc_ip`]: b.clientVpcIpAddress ?? '' });
        if (prom?.nodeExporter !== undefined) l[`${P}broker_node_exporter_enabled`] = String(prom.nodeExporter.enabledInBroker === true);
        endpoints = b.endpoints ?? [];
        indexLabel = `${P}broker_endpoint_index`;
      } else if (n.controllerNodeInfo !== undefined) {
        l[`${P}node_type`] = 'CONTROLLER';
        endpoints = n.controllerNodeInfo.endpoints ?? [];
        indexLabel = `${P}controller_endpoint_index`;
      } else continue;
      endpoints.forEach((e, i) => out.push({ targets: [joinHostPort(e, port)], labels: { ...l, [indexLabel]: String(i) }, source: `${region}/${out.length}` }));
    }
  }
  return out;
}

export function mskRefresh(c: GenericSdConfig, log?: (msg: string) => void): Refresh {
  const s = c.settings as unknown as AwsSettings & { clusters: string[] };
  const aws = new AwsService(s, c.http!, 'MSK');
  const get = (path: string, query: Record<string, string>, signal: AbortSignal): Promise<Record<string, unknown>> => {
    const url = new URL(aws.endpoint('kafka').replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return aws.getJson<Record<string, unknown>>(url, 'kafka', signal);
  };
  /** Every page of a list (`nextToken`). */
  const all = <T>(path: string, key: string, query: Record<string, string>, signal: AbortSignal): Promise<T[]> =>
    allPages<T>(async (token) => {
      const doc = await get(path, { ...query, maxResults: '100', ...(token !== undefined ? { nextToken: token } : {}) }, signal);
      return { items: doc[key] as T[] | undefined, next: doc.nextToken as string | undefined };
    });
  return async (signal) => {
    await aws.ready(signal);
    let clusters: MskCluster[];
    if (s.clusters.length > 0) {
      clusters = [];
      for (const arn of s.clusters) {
        const info = (await get(`/api/v2/clusters/${encodeURIComponent(arn)}`, {}, signal)).clusterInfo as MskCluster | undefined;
        if (info === undefined) continue;
        if (info.clusterType !== 'PROVISIONED') log?.(`Skipping non-provisioned MSK cluster ${arn} (${info.clusterType ?? ''}): only provisioned clusters are supported`);
        else clusters.push(info);
      }
    } else clusters = await all<MskCluster>('/api/v2/clusters', 'clusterInfoList', { clusterTypeFilter: 'PROVISIONED' }, signal);
    const nodes = new Map<string, NodeInfo[]>();
    for (const cl of clusters) nodes.set(cl.clusterArn ?? '', await all<NodeInfo>(`/v1/clusters/${encodeURIComponent(cl.clusterArn ?? '')}/nodes`, 'nodeInfoList', {}, signal));
    return mskTargets(clusters, nodes, s.port, aws.region);
  };
}
