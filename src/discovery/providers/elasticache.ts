// elasticache_sd_configs (and aws_sd_configs with role elasticache): ElastiCache serverless
// caches (one target at their endpoint) and the nodes of node-based cache clusters (one target
// per node endpoint), with Prometheus's `__meta_elasticache_*` labels and the resources' tags.
// ElastiCache's query API (XML), SigV4-signed.
import { XMLParser } from 'fast-xml-parser';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, valueAt } from '../util.js';
import { AwsService, addFields, addTags, xmlItems, xmlStrings } from './aws.js';
import type { AwsField, AwsSettings } from './aws.js';

type Doc = Record<string, unknown>;
type Field = AwsField;

const S = '__meta_elasticache_serverless_cache_';
const C = '__meta_elasticache_cache_cluster_';

const SERVERLESS_FIELDS: Field[] = [
  ['arn', 'ARN', 's'], ['name', 'ServerlessCacheName', 's'], ['status', 'Status', 's'], ['engine', 'Engine', 's'], ['full_engine_version', 'FullEngineVersion', 's'],
  ['major_engine_version', 'MajorEngineVersion', 's'], ['description', 'Description', 's'], ['create_time', 'CreateTime', 't'], ['kms_key_id', 'KmsKeyId', 's'], ['user_group_id', 'UserGroupId', 's'],
  ['daily_snapshot_time', 'DailySnapshotTime', 's'], ['snapshot_retention_limit', 'SnapshotRetentionLimit', 's'], ['endpoint_address', 'Endpoint.Address', 's'], ['endpoint_port', 'Endpoint.Port', 's'],
  ['endpoint_reader_address', 'ReaderEndpoint.Address', 's'], ['endpoint_reader_port', 'ReaderEndpoint.Port', 's'],
  // Prometheus names these without a separator before maximum/minimum/unit.
  ['cache_usage_limit_data_storagemaximum', 'CacheUsageLimits.DataStorage.Maximum', 's'], ['cache_usage_limit_data_storageminimum', 'CacheUsageLimits.DataStorage.Minimum', 's'],
  ['cache_usage_limit_data_storageunit', 'CacheUsageLimits.DataStorage.Unit', 's'], ['cache_usage_limit_ecpu_per_secondmaximum', 'CacheUsageLimits.ECPUPerSecond.Maximum', 's'],
  ['cache_usage_limit_ecpu_per_secondminimum', 'CacheUsageLimits.ECPUPerSecond.Minimum', 's'],
];

const CLUSTER_FIELDS: Field[] = [
  ['arn', 'ARN', 's'], ['cache_cluster_id', 'CacheClusterId', 's'], ['cache_cluster_status', 'CacheClusterStatus', 's'], ['at_rest_encryption_enabled', 'AtRestEncryptionEnabled', 's'],
  ['auth_token_enabled', 'AuthTokenEnabled', 's'], ['auth_token_last_modified', 'AuthTokenLastModifiedDate', 't'], ['auto_minor_version_upgrade', 'AutoMinorVersionUpgrade', 's'],
  ['cache_cluster_create_time', 'CacheClusterCreateTime', 't'], ['cache_node_type', 'CacheNodeType', 's'], ['cache_parameter_group', 'CacheParameterGroup.CacheParameterGroupName', 's'],
  ['cache_subnet_group_name', 'CacheSubnetGroupName', 's'], ['client_download_landing_page', 'ClientDownloadLandingPage', 's'], ['configuration_endpoint_address', 'ConfigurationEndpoint.Address', 's'],
  ['configuration_endpoint_port', 'ConfigurationEndpoint.Port', 's'], ['engine', 'Engine', 's'], ['engine_version', 'EngineVersion', 's'], ['ip_discovery', 'IpDiscovery', 's'], ['network_type', 'NetworkType', 's'],
  ['notification_topic_arn', 'NotificationConfiguration.TopicArn', 's'], ['notification_topic_status', 'NotificationConfiguration.TopicStatus', 's'], ['num_cache_nodes', 'NumCacheNodes', 's'],
  ['preferred_availability_zone', 'PreferredAvailabilityZone', 's'], ['preferred_maintenance_window', 'PreferredMaintenanceWindow', 's'], ['preferred_outpost_arn', 'PreferredOutpostArn', 's'],
  ['replication_group_id', 'ReplicationGroupId', 's'], ['replication_group_log_delivery_enabled', 'ReplicationGroupLogDeliveryEnabled', 's'], ['snapshot_retention_limit', 'SnapshotRetentionLimit', 's'],
  ['snapshot_window', 'SnapshotWindow', 's'], ['transit_encryption_enabled', 'TransitEncryptionEnabled', 's'], ['transit_encryption_mode', 'TransitEncryptionMode', 's'],
  ['pending_modified_values_auth_token_status', 'PendingModifiedValues.AuthTokenStatus', 's'], ['pending_modified_values_cache_node_type', 'PendingModifiedValues.CacheNodeType', 's'],
  ['pending_modified_values_engine_version', 'PendingModifiedValues.EngineVersion', 's'], ['pending_modified_values_num_cache_nodes', 'PendingModifiedValues.NumCacheNodes', 's'],
  ['pending_modified_values_transit_encryption_enabled', 'PendingModifiedValues.TransitEncryptionEnabled', 's'], ['pending_modified_values_transit_encryption_mode', 'PendingModifiedValues.TransitEncryptionMode', 's'],
];

const NODE_FIELDS: Field[] = [
  ['node_id', 'CacheNodeId', 's'], ['node_status', 'CacheNodeStatus', 's'], ['node_create_time', 'CacheNodeCreateTime', 't'], ['node_availability_zone', 'CustomerAvailabilityZone', 's'],
  ['node_customer_outpost_arn', 'CustomerOutpostArn', 's'], ['node_source_cache_node_id', 'SourceCacheNodeId', 's'], ['node_parameter_group_status', 'ParameterGroupStatus', 's'],
  ['node_endpoint_address', 'Endpoint.Address', 's'], ['node_endpoint_port', 'Endpoint.Port', 's'],
];

const parser = new XMLParser({ parseTagValue: false });

export function serverlessTarget(cache: Doc, tags: Doc[]): { address: string; labels: Labels } {
  const l: Labels = { __meta_elasticache_deployment_option: 'serverless' };
  addFields(l, cache, SERVERLESS_FIELDS, S);
  xmlStrings(cache.SecurityGroupIds).forEach((id, i) => (l[`${S}security_group_id_${i}`] = id));
  xmlStrings(cache.SubnetIds).forEach((id, i) => (l[`${S}subnet_id_${i}`] = id));
  addTags(l, tags, `${S}tag_`);
  const addr = valueAt(cache, 'Endpoint.Address');
  const port = valueAt(cache, 'Endpoint.Port');
  return { address: addr !== undefined && port !== undefined ? joinHostPort(String(addr), String(port)) : '', labels: l };
}

export function clusterTargets(cluster: Doc, tags: Doc[]): { address: string; labels: Labels }[] {
  const common: Labels = { __meta_elasticache_deployment_option: 'node' };
  addFields(common, cluster, CLUSTER_FIELDS, C);
  xmlItems(cluster.LogDeliveryConfigurations).forEach((d, i) => {
    const put = (name: string, v: unknown): void => {
      if (v !== undefined && v !== null && typeof v !== 'object' && String(v) !== '') common[`${C}log_delivery_configuration_${name}_${i}`] = String(v);
    };
    put('destination_type', d.DestinationType);
    put('log_format', d.LogFormat);
    put('log_type', d.LogType);
    put('status', d.Status);
    put('message', d.Message);
    put('log_group', valueAt(d, 'DestinationDetails.CloudWatchLogsDetails.LogGroup'));
    put('delivery_stream', valueAt(d, 'DestinationDetails.KinesisFirehoseDetails.DeliveryStream'));
  });
  const toRemove = xmlStrings(valueAt(cluster, 'PendingModifiedValues.CacheNodeIdsToRemove'));
  if (toRemove.length > 0) common[`${C}pending_modified_values_cache_node_ids_to_remove`] = toRemove.join(',');
  xmlItems(cluster.SecurityGroups).forEach((sg, i) => {
    if (sg.SecurityGroupId !== undefined) common[`${C}security_group_membership_id_${i}`] = String(sg.SecurityGroupId);
    if (sg.Status !== undefined) common[`${C}security_group_membership_status_${i}`] = String(sg.Status);
  });
  addTags(common, tags, `${C}tag_`);
  return xmlItems(cluster.CacheNodes).map((node) => {
    const l: Labels = { ...common };
    addFields(l, node, NODE_FIELDS, C);
    const addr = valueAt(node, 'Endpoint.Address');
    const port = valueAt(node, 'Endpoint.Port');
    return { address: addr !== undefined && port !== undefined ? joinHostPort(String(addr), String(port)) : '', labels: l };
  });
}

/** Configured ARNs split into serverless cache names and replication-group IDs (others are skipped). */
export function splitCaches(arns: string[], log: (msg: string) => void): { serverless: string[]; clusters: string[] } {
  const out = { serverless: [] as string[], clusters: [] as string[] };
  for (const arn of arns) {
    if (arn === '') continue;
    const parts = arn.split(':');
    if (parts.length < 7) {
      log(`Skipping invalid ElastiCache ARN ${arn}`);
      continue;
    }
    if (parts[5] === 'serverlesscache') out.serverless.push(parts[6]!);
    else if (parts[5] === 'replicationgroup') out.clusters.push(parts[6]!);
  }
  return out;
}

export function elasticacheRefresh(c: GenericSdConfig, log: (msg: string) => void = () => {}): Refresh {
  const s = c.settings as unknown as AwsSettings & { clusters: string[] };
  const aws = new AwsService(s, c.http!, 'ElastiCache');
  const call = async (action: string, params: Record<string, string>, signal: AbortSignal): Promise<Doc> => {
    const doc = await aws.query(aws.endpoint('elasticache'), 'elasticache', { Action: action, Version: '2015-02-02', ...params }, signal, parser);
    return (valueAt(doc, `${action}Response.${action}Result`) as Doc | undefined) ?? {};
  };
  /** Every page of a Describe call (`Marker`, or `NextToken` for serverless caches). */
  const all = (action: string, listKey: string, params: Record<string, string>, signal: AbortSignal): Promise<Doc[]> =>
    allPages<Doc>(async (token) => {
      const r = await call(action, { ...params, ...(token !== undefined ? (action === 'DescribeServerlessCaches' ? { NextToken: token } : { Marker: token }) : {}) }, signal);
      return { items: xmlItems(r[listKey]), next: (r.Marker ?? r.NextToken) as string | undefined };
    });
  return async (signal) => {
    await aws.ready(signal);
    const region = aws.region;
    const { serverless, clusters } = splitCaches(s.clusters, log);
    const caches: Doc[] = [];
    if (serverless.length === 0) caches.push(...(await all('DescribeServerlessCaches', 'ServerlessCaches', { MaxResults: '50' }, signal)));
    else for (const name of serverless) caches.push(...(await all('DescribeServerlessCaches', 'ServerlessCaches', { MaxResults: '50', ServerlessCacheName: name }, signal)));
    const nodeClusters: Doc[] = [];
    // Clusters inside replication groups and the ones outside, as Prometheus asks for both.
    for (const outside of ['false', 'true']) {
      const base = { MaxRecords: '100', ShowCacheNodeInfo: 'true', ShowCacheClustersNotInReplicationGroups: outside };
      if (clusters.length === 0) nodeClusters.push(...(await all('DescribeCacheClusters', 'CacheClusters', base, signal)));
      else for (const id of clusters) nodeClusters.push(...(await all('DescribeCacheClusters', 'CacheClusters', { ...base, CacheClusterId: id }, signal)));
    }
    const tags = new Map<string, Doc[]>();
    for (const arn of [...caches, ...nodeClusters].map((x) => String(x.ARN ?? '')).filter((a) => a !== '')) {
      if (!tags.has(arn)) tags.set(arn, xmlItems((await call('ListTagsForResource', { ResourceName: arn }, signal)).TagList));
    }
    const out: TargetGroup[] = [];
    const push = (t: { address: string; labels: Labels }): void => void out.push({ targets: [t.address], labels: t.labels, source: `${region}/${out.length}` });
    for (const cache of caches) push(serverlessTarget(cache, tags.get(String(cache.ARN ?? '')) ?? []));
    for (const cl of nodeClusters) for (const t of clusterTargets(cl, tags.get(String(cl.ARN ?? '')) ?? [])) push(t);
    return out;
  };
}
