// The `<name>_sd_configs` mechanisms that discover targets, each a refresh function made from its
// validated settings. DISCOVERING_MECHANISMS (mechanisms.ts) lists the same names for the config
// loader, which warns about the others; a test keeps the two in step.
import type { GenericSdConfig } from '../../config/index.js';
import type { Refresh } from '../refresh.js';
import type { Logger } from '../../util/logger.js';
import { azureRefresh } from './azure.js';
import { consulRefresh } from './consul.js';
import { digitaloceanRefresh } from './digitalocean.js';
import { dockerRefresh } from './docker.js';
import { dockerswarmRefresh } from './dockerswarm.js';
import { ec2Refresh } from './ec2.js';
import { ecsRefresh } from './ecs.js';
import { elasticacheRefresh } from './elasticache.js';
import { eurekaRefresh } from './eureka.js';
import { gceRefresh } from './gce.js';
import { hetznerRefresh } from './hetzner.js';
import { ionosRefresh } from './ionos.js';
import { kumaRefresh } from './kuma.js';
import { lightsailRefresh } from './lightsail.js';
import { linodeRefresh } from './linode.js';
import { marathonRefresh } from './marathon.js';
import { mskRefresh } from './msk.js';
import { nomadRefresh } from './nomad.js';
import { ociRefresh } from './oci.js';
import { openstackRefresh } from './openstack.js';
import { outscaleRefresh } from './outscale.js';
import { ovhcloudRefresh } from './ovhcloud.js';
import { puppetdbRefresh } from './puppetdb.js';
import { rdsRefresh } from './rds.js';
import { scalewayRefresh } from './scaleway.js';
import { stackitRefresh } from './stackit.js';
import { tritonRefresh } from './triton.js';
import { uyuniRefresh } from './uyuni.js';
import { vultrRefresh } from './vultr.js';
import { ZOOKEEPER_REFRESH_MS, zookeeperRefresh } from './zookeeper.js';

export const PROVIDERS: Record<string, (c: GenericSdConfig, logger: Logger) => Refresh> = {
  // aws_sd_configs names the service in `role` (the config allows only these).
  aws: (c, logger) => {
    const role = String(c.settings.role);
    if (role === 'ec2') return ec2Refresh(c);
    if (role === 'lightsail') return lightsailRefresh(c);
    if (role === 'ecs') return ecsRefresh(c);
    if (role === 'elasticache') return elasticacheRefresh(c, (msg) => logger.warn(msg));
    if (role === 'msk') return mskRefresh(c, (msg) => logger.warn(msg));
    if (role === 'rds') return rdsRefresh(c);
    throw new Error(`aws_sd_configs: unknown role ${role}`);
  },
  azure: (c) => azureRefresh(c),
  consul: consulRefresh,
  digitalocean: (c) => digitaloceanRefresh(c),
  docker: dockerRefresh,
  dockerswarm: dockerswarmRefresh,
  ec2: ec2Refresh,
  ecs: (c) => ecsRefresh(c),
  elasticache: (c, logger) => elasticacheRefresh(c, (msg) => logger.warn(msg)),
  eureka: eurekaRefresh,
  gce: (c) => gceRefresh(c),
  hetzner: (c) => hetznerRefresh(c),
  ionos: (c) => ionosRefresh(c),
  kuma: kumaRefresh,
  lightsail: lightsailRefresh,
  linode: (c) => linodeRefresh(c),
  marathon: marathonRefresh,
  msk: (c, logger) => mskRefresh(c, (msg) => logger.warn(msg)),
  nerve: zookeeperRefresh,
  nomad: nomadRefresh,
  oci: (c, logger) => ociRefresh(c, (msg) => logger.warn(msg)),
  openstack: openstackRefresh,
  outscale: outscaleRefresh,
  ovhcloud: (c, logger) => ovhcloudRefresh(c, (msg) => logger.warn(msg)),
  puppetdb: puppetdbRefresh,
  rds: rdsRefresh,
  scaleway: scalewayRefresh,
  serverset: zookeeperRefresh,
  stackit: (c) => stackitRefresh(c),
  triton: (c) => tritonRefresh(c),
  uyuni: uyuniRefresh,
  vultr: (c) => vultrRefresh(c),
};

/** How often a mechanism refreshes: its refresh_interval, or for ZooKeeper's (which have none) a fixed period. */
export function refreshIntervalOf(c: GenericSdConfig): number {
  return typeof c.settings.refresh_interval === 'number' ? c.settings.refresh_interval : ZOOKEEPER_REFRESH_MS;
}
