// ecs_sd_configs (and aws_sd_configs with role ecs): the running tasks of ECS clusters (all of
// the region's, or the configured ones), one target per task at its awsvpc ENI address or its
// container instance's EC2 address, with Prometheus's `__meta_ecs_*` labels (cluster, service,
// task and EC2 tags included). The ECS JSON API and EC2's query API, SigV4-signed.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName, targetGroupOf } from '../util.js';
import { AwsService } from './aws.js';
import type { AwsSettings } from './aws.js';

interface Tag {
  key?: string;
  value?: string;
}

interface Cluster {
  clusterArn?: string;
  clusterName?: string;
  tags?: Tag[];
}

interface Service {
  serviceName?: string;
  serviceArn?: string;
  status?: string;
  tags?: Tag[];
}

interface Task {
  taskArn?: string;
  group?: string;
  taskDefinitionArn?: string;
  availabilityZone?: string;
  desiredStatus?: string;
  lastStatus?: string;
  launchType?: string;
  healthStatus?: string;
  platformFamily?: string;
  platformVersion?: string;
  containerInstanceArn?: string;
  attachments?: { type?: string; details?: { name?: string; value?: string }[] }[];
  tags?: Tag[];
}

export interface Ec2Info {
  privateIp: string;
  publicIp: string;
  subnetId: string;
  instanceType: string;
  tags: Record<string, string>;
}

const P = '__meta_ecs_';

function addTags(l: Labels, prefix: string, tags: Tag[] | undefined): void {
  for (const t of tags ?? []) if (t.key !== undefined && t.value !== undefined) l[`${prefix}${sanitizeLabelName(t.key)}`] = t.value;
}

/** A task's target, or undefined when it has no address yet. */
export function ecsTaskTarget(task: Task, cluster: Cluster, services: Map<string, Service>, containerInstances: Map<string, string>, ec2: Map<string, Ec2Info>, eniPublicIp: Map<string, string>, region: string, port: number): Labels | undefined {
  let ip = '';
  let subnet = '';
  let publicIp = '';
  let mode = '';
  let ec2Id = '';
  let info: Ec2Info | undefined;
  const eni = (task.attachments ?? []).find((a) => a.type === 'ElasticNetworkInterface');
  if (eni !== undefined) {
    mode = 'awsvpc';
    let eniId = '';
    for (const d of eni.details ?? []) {
      if (d.name === 'privateIPv4Address') ip = d.value ?? '';
      else if (d.name === 'subnetId') subnet = d.value ?? '';
      else if (d.name === 'networkInterfaceId') eniId = d.value ?? '';
    }
    publicIp = eniPublicIp.get(eniId) ?? '';
  } else if (task.containerInstanceArn !== undefined) {
    mode = 'bridge';
    ec2Id = containerInstances.get(task.containerInstanceArn) ?? '';
    info = ec2.get(ec2Id);
    if (info !== undefined) {
      ip = info.privateIp;
      publicIp = info.publicIp;
      subnet = info.subnetId;
    }
  }
  if (mode === 'awsvpc' && task.containerInstanceArn !== undefined) {
    ec2Id = containerInstances.get(task.containerInstanceArn) ?? '';
    info = ec2.get(ec2Id);
  }
  if (ip === '') return undefined;
  const l: Labels = { [`${P}ip_address`]: ip, [`${P}region`]: region, [`${P}launch_type`]: task.launchType ?? '', [`${P}health_status`]: task.healthStatus ?? '', [`${P}network_mode`]: mode };
  const opt: [string, string | undefined][] = [
    ['cluster_arn', cluster.clusterArn],
    ['cluster', cluster.clusterName],
    ['task_group', task.group],
    ['task_arn', task.taskArn],
    ['task_definition', task.taskDefinitionArn],
    ['availability_zone', task.availabilityZone],
    ['desired_status', task.desiredStatus],
    ['last_status', task.lastStatus],
    ['subnet_id', subnet || undefined],
    ['container_instance_arn', task.containerInstanceArn],
    ['ec2_instance_id', ec2Id || undefined],
    ['ec2_instance_type', info?.instanceType || undefined],
    ['ec2_instance_private_ip', info?.privateIp || undefined],
    ['ec2_instance_public_ip', info?.publicIp || undefined],
    ['public_ip', publicIp || undefined],
    ['platform_family', task.platformFamily],
    ['platform_version', task.platformVersion],
  ];
  for (const [k, v] of opt) if (v !== undefined) l[`${P}${k}`] = v;
  l.__address__ = joinHostPort(ip, port);
  addTags(l, `${P}tag_cluster_`, cluster.tags);
  if ((task.group ?? '').startsWith('service:')) {
    const svc = services.get(task.group!.slice('service:'.length));
    if (svc?.serviceName !== undefined) l[`${P}service`] = svc.serviceName;
    if (svc?.serviceArn !== undefined) l[`${P}service_arn`] = svc.serviceArn;
    if (svc?.status !== undefined) l[`${P}service_status`] = svc.status;
    addTags(l, `${P}tag_service_`, svc?.tags);
  }
  addTags(l, `${P}tag_task_`, task.tags);
  for (const [k, v] of Object.entries(info !== undefined && ec2Id !== '' ? info.tags : {})) l[`${P}tag_ec2_${sanitizeLabelName(k)}`] = v;
  return l;
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export function ecsRefresh(c: GenericSdConfig, ec2Endpoint?: string): Refresh {
  const s = c.settings as unknown as AwsSettings & { clusters: string[] };
  const aws = new AwsService(s, c.http!, 'ECS');
  const ecsCall = <T>(action: string, body: unknown, signal: AbortSignal): Promise<T> => aws.json<T>(aws.endpoint('ecs'), 'ecs', `AmazonEC2ContainerServiceV20141113.${action}`, body, signal);
  // EC2 has its own endpoint: `endpoint` names ECS's.
  const ec2Call = (params: Record<string, string>, signal: AbortSignal): Promise<unknown> => aws.query(aws.endpoint('ec2', ec2Endpoint ?? ''), 'ec2', { Version: '2016-11-15', ...params }, signal);
  /** Every page of an ECS list call. */
  const listAll = (action: string, key: string, body: Record<string, unknown>, signal: AbortSignal): Promise<string[]> =>
    allPages<string>(async (token) => {
      const r = await ecsCall<Record<string, unknown>>(action, { ...body, maxResults: 100, ...(token !== undefined ? { nextToken: token } : {}) }, signal);
      return { items: r[key] as string[] | undefined, next: r.nextToken as string | undefined };
    });
  return async (signal) => {
    await aws.ready(signal);
    const region = aws.region;
    const clusterArns = s.clusters.length > 0 ? s.clusters : await listAll('ListClusters', 'clusterArns', {}, signal);
    const out: TargetGroup[] = [];
    for (const batch of chunks(clusterArns, 100)) {
      const { clusters = [] } = await ecsCall<{ clusters?: Cluster[] }>('DescribeClusters', { clusters: batch, include: ['TAGS'] }, signal);
      for (const cluster of clusters) {
        const arn = cluster.clusterArn ?? '';
        const taskArns = await listAll('ListTasks', 'taskArns', { cluster: arn }, signal);
        if (taskArns.length === 0) continue;
        const services = new Map<string, Service>();
        for (const b of chunks(await listAll('ListServices', 'serviceArns', { cluster: arn }, signal), 10)) {
          for (const svc of (await ecsCall<{ services?: Service[] }>('DescribeServices', { cluster: arn, services: b, include: ['TAGS'] }, signal)).services ?? []) if (svc.serviceName !== undefined) services.set(svc.serviceName, svc);
        }
        const tasks: Task[] = [];
        for (const b of chunks(taskArns, 100)) tasks.push(...((await ecsCall<{ tasks?: Task[] }>('DescribeTasks', { cluster: arn, tasks: b, include: ['TAGS'] }, signal)).tasks ?? []));
        const containerInstances = new Map<string, string>();
        const ciArns = [...new Set(tasks.map((t) => t.containerInstanceArn).filter((x): x is string => x !== undefined))];
        for (const b of chunks(ciArns, 100)) {
          for (const ci of (await ecsCall<{ containerInstances?: { containerInstanceArn?: string; ec2InstanceId?: string }[] }>('DescribeContainerInstances', { cluster: arn, containerInstances: b }, signal)).containerInstances ?? []) {
            if (ci.containerInstanceArn !== undefined && ci.ec2InstanceId !== undefined) containerInstances.set(ci.containerInstanceArn, ci.ec2InstanceId);
          }
        }
        const ec2 = new Map<string, Ec2Info>();
        const ids = [...new Set(containerInstances.values())];
        if (ids.length > 0) {
          const params: Record<string, string> = { Action: 'DescribeInstances' };
          ids.forEach((id, i) => (params[`InstanceId.${i + 1}`] = id));
          const doc = (await ec2Call(params, signal)) as { DescribeInstancesResponse?: { reservationSet?: { item?: { instancesSet?: { item?: { instanceId?: string; privateIpAddress?: string; ipAddress?: string; subnetId?: string; instanceType?: string; tagSet?: { item?: Tag[] } }[] } }[] } } };
          for (const r of doc.DescribeInstancesResponse?.reservationSet?.item ?? []) {
            for (const i of r.instancesSet?.item ?? []) {
              if (i.instanceId === undefined || i.privateIpAddress === undefined) continue;
              ec2.set(i.instanceId, { privateIp: i.privateIpAddress, publicIp: i.ipAddress ?? '', subnetId: i.subnetId ?? '', instanceType: i.instanceType ?? '', tags: Object.fromEntries((i.tagSet?.item ?? []).filter((t) => t.key !== undefined).map((t) => [t.key!, t.value ?? ''])) });
            }
          }
        }
        const eniPublicIp = new Map<string, string>();
        const enis = tasks.flatMap((t) => (t.attachments ?? []).filter((a) => a.type === 'ElasticNetworkInterface').flatMap((a) => (a.details ?? []).filter((d) => d.name === 'networkInterfaceId').map((d) => d.value ?? '')));
        if (enis.length > 0) {
          const params: Record<string, string> = { Action: 'DescribeNetworkInterfaces' };
          enis.forEach((id, i) => (params[`NetworkInterfaceId.${i + 1}`] = id));
          const doc = (await ec2Call(params, signal)) as { DescribeNetworkInterfacesResponse?: { networkInterfaceSet?: { item?: { networkInterfaceId?: string; association?: { publicIp?: string } }[] } } };
          for (const n of doc.DescribeNetworkInterfacesResponse?.networkInterfaceSet?.item ?? []) if (n.networkInterfaceId !== undefined && n.association?.publicIp) eniPublicIp.set(n.networkInterfaceId, n.association.publicIp);
        }
        for (const task of tasks) {
          const l = ecsTaskTarget(task, cluster, services, containerInstances, ec2, eniPublicIp, region, s.port);
          if (l === undefined) continue;
          out.push(targetGroupOf(l, `${region}/${out.length}`));
        }
      }
    }
    return out;
  };
}
