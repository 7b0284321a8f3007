// rds_sd_configs (and aws_sd_configs with role rds): the DB instances of Aurora/RDS DB clusters
// (all of the region's, or the configured ones; instances narrowed by `filters`), each at its
// endpoint address and the configured port, with Prometheus's `__meta_rds_cluster_*` and
// `__meta_rds_instance_*` labels: one per API field, as the tables below map them.
import { XMLParser } from 'fast-xml-parser';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, valueAt } from '../util.js';
import { AwsService, addFields, addTags, xmlItems } from './aws.js';
import type { AwsField, AwsSettings } from './aws.js';

type Field = AwsField;

/** Cluster labels: suffix after `__meta_rds_cluster_`, the API field (dotted for nested), its kind. */
const CLUSTER_FIELDS: Field[] = [
  ['arn', 'DBClusterArn', 's'],
  ['identifier', 'DBClusterIdentifier', 's'],
  ['activity_stream_kinesis_stream_name', 'ActivityStreamKinesisStreamName', 's'],
  ['activity_stream_kms_key_id', 'ActivityStreamKmsKeyId', 's'],
  ['activity_stream_mode', 'ActivityStreamMode', 's'],
  ['activity_stream_status', 'ActivityStreamStatus', 's'],
  ['allocated_storage', 'AllocatedStorage', 'i'],
  ['auto_minor_version_upgrade', 'AutoMinorVersionUpgrade', 'b'],
  ['automatic_restart_time', 'AutomaticRestartTime', 't'],
  ['aws_backup_recovery_point_arn', 'AwsBackupRecoveryPointArn', 's'],
  ['backtrack_consumed_change_records', 'BacktrackConsumedChangeRecords', 'i'],
  ['backtrack_window', 'BacktrackWindow', 'i'],
  ['backup_retention_period', 'BackupRetentionPeriod', 'i'],
  ['capacity', 'Capacity', 'i'],
  ['character_set_name', 'CharacterSetName', 's'],
  ['clone_group_id', 'CloneGroupId', 's'],
  ['cluster_create_time', 'ClusterCreateTime', 't'],
  ['cluster_scalability_type', 'ClusterScalabilityType', 's'],
  ['copy_tags_to_snapshot', 'CopyTagsToSnapshot', 'b'],
  ['cross_account_clone', 'CrossAccountClone', 'b'],
  ['instance_class', 'DBClusterInstanceClass', 's'],
  ['parameter_group', 'DBClusterParameterGroup', 's'],
  ['subnet_group', 'DBSubnetGroup', 's'],
  ['db_system_id', 'DBSystemId', 's'],
  ['database_insights_mode', 'DatabaseInsightsMode', 's'],
  ['database_name', 'DatabaseName', 's'],
  ['resource_id', 'DbClusterResourceId', 's'],
  ['deletion_protection', 'DeletionProtection', 'b'],
  ['earliest_backtrack_time', 'EarliestBacktrackTime', 't'],
  ['earliest_restorable_time', 'EarliestRestorableTime', 't'],
  ['endpoint', 'Endpoint', 's'],
  ['engine', 'Engine', 's'],
  ['engine_lifecycle_support', 'EngineLifecycleSupport', 's'],
  ['engine_mode', 'EngineMode', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['global_cluster_identifier', 'GlobalClusterIdentifier', 's'],
  ['global_write_forwarding_requested', 'GlobalWriteForwardingRequested', 'b'],
  ['global_write_forwarding_status', 'GlobalWriteForwardingStatus', 's'],
  ['hosted_zone_id', 'HostedZoneId', 's'],
  ['http_endpoint_enabled', 'HttpEndpointEnabled', 'b'],
  ['iam_database_authentication_enabled', 'IAMDatabaseAuthenticationEnabled', 'b'],
  ['io_optimized_next_allowed_modification_time', 'IOOptimizedNextAllowedModificationTime', 't'],
  ['iops', 'Iops', 'i'],
  ['kms_key_id', 'KmsKeyId', 's'],
  ['latest_restorable_time', 'LatestRestorableTime', 't'],
  ['local_write_forwarding_status', 'LocalWriteForwardingStatus', 's'],
  ['master_username', 'MasterUsername', 's'],
  ['monitoring_interval', 'MonitoringInterval', 'i'],
  ['monitoring_role_arn', 'MonitoringRoleArn', 's'],
  ['multi_az', 'MultiAZ', 'b'],
  ['network_type', 'NetworkType', 's'],
  ['percent_progress', 'PercentProgress', 's'],
  ['performance_insights_enabled', 'PerformanceInsightsEnabled', 'b'],
  ['performance_insights_kms_key_id', 'PerformanceInsightsKMSKeyId', 's'],
  ['performance_insights_retention_period', 'PerformanceInsightsRetentionPeriod', 'i'],
  ['port', 'Port', 'i'],
  ['preferred_backup_window', 'PreferredBackupWindow', 's'],
  ['preferred_maintenance_window', 'PreferredMaintenanceWindow', 's'],
  ['publicly_accessible', 'PubliclyAccessible', 'b'],
  ['reader_endpoint', 'ReaderEndpoint', 's'],
  ['replication_source_identifier', 'ReplicationSourceIdentifier', 's'],
  ['serverless_v2_platform_version', 'ServerlessV2PlatformVersion', 's'],
  ['status', 'Status', 's'],
  ['storage_encrypted', 'StorageEncrypted', 'b'],
  ['storage_encryption_type', 'StorageEncryptionType', 's'],
  ['storage_throughput', 'StorageThroughput', 'i'],
  ['storage_type', 'StorageType', 's'],
  ['upgrade_rollout_order', 'UpgradeRolloutOrder', 's'],
];

/** Instance labels: suffix after `__meta_rds_instance_`, the API field, its kind. */
const INSTANCE_FIELDS: Field[] = [
  ['arn', 'DBInstanceArn', 's'],
  ['identifier', 'DBInstanceIdentifier', 's'],
  ['activity_stream_engine_native_audit_fields_included', 'ActivityStreamEngineNativeAuditFieldsIncluded', 'b'],
  ['activity_stream_kinesis_stream_name', 'ActivityStreamKinesisStreamName', 's'],
  ['activity_stream_kms_key_id', 'ActivityStreamKmsKeyId', 's'],
  ['activity_stream_mode', 'ActivityStreamMode', 's'],
  ['activity_stream_policy_status', 'ActivityStreamPolicyStatus', 's'],
  ['activity_stream_status', 'ActivityStreamStatus', 's'],
  ['allocated_storage', 'AllocatedStorage', 'i'],
  ['auto_minor_version_upgrade', 'AutoMinorVersionUpgrade', 'b'],
  ['automatic_restart_time', 'AutomaticRestartTime', 't'],
  ['automation_mode', 'AutomationMode', 's'],
  ['availability_zone', 'AvailabilityZone', 's'],
  ['aws_backup_recovery_point_arn', 'AwsBackupRecoveryPointArn', 's'],
  ['backup_retention_period', 'BackupRetentionPeriod', 'i'],
  ['backup_target', 'BackupTarget', 's'],
  ['ca_certificate_identifier', 'CACertificateIdentifier', 's'],
  ['character_set_name', 'CharacterSetName', 's'],
  ['copy_tags_to_snapshot', 'CopyTagsToSnapshot', 'b'],
  ['custom_iam_instance_profile', 'CustomIamInstanceProfile', 's'],
  ['customer_owned_ip_enabled', 'CustomerOwnedIpEnabled', 'b'],
  ['db_cluster_identifier', 'DBClusterIdentifier', 's'],
  ['class', 'DBInstanceClass', 's'],
  ['status', 'DBInstanceStatus', 's'],
  ['db_name', 'DBName', 's'],
  ['port', 'DbInstancePort', 'i'],
  ['resource_id', 'DbiResourceId', 's'],
  ['dedicated_log_volume', 'DedicatedLogVolume', 'b'],
  ['deletion_protection', 'DeletionProtection', 'b'],
  ['endpoint_address', 'Endpoint.Address', 's'],
  ['endpoint_hosted_zone_id', 'Endpoint.HostedZoneId', 's'],
  ['endpoint_port', 'Endpoint.Port', 'i'],
  ['engine', 'Engine', 's'],
  ['engine_lifecycle_support', 'EngineLifecycleSupport', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['enhanced_monitoring_resource_arn', 'EnhancedMonitoringResourceArn', 's'],
  ['iam_database_authentication_enabled', 'IAMDatabaseAuthenticationEnabled', 'b'],
  ['instance_create_time', 'InstanceCreateTime', 't'],
  ['iops', 'Iops', 'i'],
  ['is_storage_config_upgrade_available', 'IsStorageConfigUpgradeAvailable', 'b'],
  ['kms_key_id', 'KmsKeyId', 's'],
  ['latest_restorable_time', 'LatestRestorableTime', 't'],
  ['license_model', 'LicenseModel', 's'],
  ['listener_endpoint_address', 'ListenerEndpoint.Address', 's'],
  ['listener_endpoint_hosted_zone_id', 'ListenerEndpoint.HostedZoneId', 's'],
  ['listener_endpoint_port', 'ListenerEndpoint.Port', 'i'],
  ['master_username', 'MasterUsername', 's'],
  ['max_allocated_storage', 'MaxAllocatedStorage', 'i'],
  ['monitoring_interval', 'MonitoringInterval', 'i'],
  ['monitoring_role_arn', 'MonitoringRoleArn', 's'],
  ['multi_az', 'MultiAZ', 'b'],
  ['multi_tenant', 'MultiTenant', 'b'],
  ['nchar_character_set_name', 'NcharCharacterSetName', 's'],
  ['network_type', 'NetworkType', 's'],
  ['percent_progress', 'PercentProgress', 's'],
  ['performance_insights_enabled', 'PerformanceInsightsEnabled', 'b'],
  ['performance_insights_kms_key_id', 'PerformanceInsightsKMSKeyId', 's'],
  ['performance_insights_retention_period', 'PerformanceInsightsRetentionPeriod', 'i'],
  ['preferred_backup_window', 'PreferredBackupWindow', 's'],
  ['preferred_maintenance_window', 'PreferredMaintenanceWindow', 's'],
  ['promotion_tier', 'PromotionTier', 'i'],
  ['publicly_accessible', 'PubliclyAccessible', 'b'],
  ['read_replica_source_db_cluster_identifier', 'ReadReplicaSourceDBClusterIdentifier', 's'],
  ['read_replica_source_db_instance_identifier', 'ReadReplicaSourceDBInstanceIdentifier', 's'],
  ['replica_mode', 'ReplicaMode', 's'],
  ['resume_full_automation_mode_time', 'ResumeFullAutomationModeTime', 't'],
  ['secondary_availability_zone', 'SecondaryAvailabilityZone', 's'],
  ['storage_encrypted', 'StorageEncrypted', 'b'],
  ['storage_encryption_type', 'StorageEncryptionType', 's'],
  ['storage_throughput', 'StorageThroughput', 'i'],
  ['storage_type', 'StorageType', 's'],
  ['storage_volume_status', 'StorageVolumeStatus', 's'],
  ['tde_credential_arn', 'TdeCredentialArn', 's'],
  ['timezone', 'Timezone', 's'],
  ['upgrade_rollout_order', 'UpgradeRolloutOrder', 's'],
  ['subnet_group', 'DBSubnetGroup', 's'],
  ['db_system_id', 'DBSystemId', 's'],
  ['database_insights_mode', 'DatabaseInsightsMode', 's'],
];

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => ['DBCluster', 'DBInstance', 'DBClusterMember', 'Tag'].includes(name) });

type Doc = Record<string, unknown>;

export function rdsTargets(clusters: Doc[], instancesOf: Map<string, Doc[]>, port: number, region: string): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const c of clusters) {
    const writers = new Map<string, string>();
    for (const m of ((c.DBClusterMembers as Doc | undefined)?.DBClusterMember as Doc[] | undefined) ?? []) if (m.DBInstanceIdentifier !== undefined && m.IsClusterWriter !== undefined) writers.set(String(m.DBInstanceIdentifier), String(m.IsClusterWriter));
    for (const i of instancesOf.get(String(c.DBClusterArn ?? '')) ?? []) {
      const l: Labels = {};
      addFields(l, c, CLUSTER_FIELDS, '__meta_rds_cluster_');
      addTags(l, xmlItems(c.TagList), '__meta_rds_cluster_tag_');
      addFields(l, i, INSTANCE_FIELDS, '__meta_rds_instance_');
      const writer = writers.get(String(i.DBInstanceIdentifier ?? ''));
      if (writer !== undefined) l.__meta_rds_instance_is_cluster_writer = writer;
      addTags(l, xmlItems(i.TagList), '__meta_rds_instance_tag_');
      const address = valueAt(i, 'Endpoint.Address');
      out.push({ targets: [address !== undefined && valueAt(i, 'Endpoint.Port') !== undefined ? joinHostPort(String(address), port) : ''], labels: l, source: `${region}/${out.length}` });
    }
  }
  return out;
}

export function rdsRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as AwsSettings & { clusters: string[]; filters: { name: string; values: string[] }[] };
  const aws = new AwsService(s, c.http!, 'RDS');
  /** Every page of a Describe call (`Marker`). */
  const all = (action: string, listKey: string, itemKey: string, params: Record<string, string>, signal: AbortSignal): Promise<Doc[]> =>
    allPages<Doc>(async (marker) => {
      const doc = await aws.query(aws.endpoint('rds'), 'rds', { Action: action, Version: '2014-10-31', MaxRecords: '100', ...params, ...(marker !== undefined ? { Marker: marker } : {}) }, signal, parser);
      const result = valueAt(doc, `${action}Response.${action}Result`) as Doc | undefined;
      return { items: (result?.[listKey] as Doc | undefined)?.[itemKey] as Doc[] | undefined, next: result?.Marker as string | undefined };
    });
  return async (signal) => {
    await aws.ready(signal);
    const clusters: Doc[] = [];
    if (s.clusters.length === 0) clusters.push(...(await all('DescribeDBClusters', 'DBClusters', 'DBCluster', {}, signal)));
    else for (const id of s.clusters) clusters.push(...(await all('DescribeDBClusters', 'DBClusters', 'DBCluster', { DBClusterIdentifier: id }, signal)));
    const instancesOf = new Map<string, Doc[]>();
    for (const cl of clusters) {
      const arn = String(cl.DBClusterArn ?? '');
      const filters: Record<string, string> = { 'Filters.Filter.1.Name': 'db-cluster-id', 'Filters.Filter.1.Values.Value.1': arn };
      s.filters.forEach((f, i) => {
        filters[`Filters.Filter.${i + 2}.Name`] = f.name;
        f.values.forEach((v, j) => (filters[`Filters.Filter.${i + 2}.Values.Value.${j + 1}`] = v));
      });
      instancesOf.set(arn, await all('DescribeDBInstances', 'DBInstances', 'DBInstance', filters, signal));
    }
    return rdsTargets(clusters, instancesOf, s.port, aws.region);
  };
}
