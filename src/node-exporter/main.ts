// `promethium node-exporter`: node_exporter's command line (1.5 flags and defaults) on our collectors.
import Fastify from 'fastify';
import { flag, parseFlags, reportExit } from '../util/flags.js';
import type { FlagSpec } from '../util/flags.js';
import { Logger } from '../util/logger.js';
import { runUntilSignal, startupStep } from '../util/process.js';
import { GO_MAX_HEADER_BYTES } from '../util/http-limits.js';
import { versionText } from '../version.js';
import { compile, Re2SyntaxError } from '../regex/re2.js';
import { HostFiles } from './context.js';
import { NodeExporter } from './exporter.js';
import {
  COLLECTORS,
  DEFAULT_DISKSTATS_DEVICE_EXCLUDE,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  DEFAULT_NETCLASS_IGNORED_DEVICES,
  DEFAULT_NETDEV_DEVICE_EXCLUDE,
} from './collectors/index.js';
import { landingPage } from './landing-page.js';
import { serveFavicon } from '../web/favicon.js';
import { requestedCollectors, selectCollectors } from './collect-filter.js';
import { webConfigFlag, webServing } from '../web-config/serve.js';
import { listenOn, splitListenAddress } from '../web-config/listen.js';

const baseSpecs = {
  'web.listen-address': flag.string('Addresses on which to expose metrics and web interface.', ':9100'),
  ...webConfigFlag,
  'web.telemetry-path': flag.string('Path under which to expose metrics.', '/metrics'),
  'web.disable-exporter-metrics': flag.bool('Exclude metrics about the exporter itself (promhttp_*, process_*, nodejs_*).'),
  'web.max-requests': flag.custom('Maximum number of parallel scrape requests. Use 0 to disable.', 40, '40', Number),
  'collector.disable-defaults': flag.bool('Set all collectors to disabled by default.'),
  'path.procfs': flag.string('procfs mountpoint.', '/proc'),
  'path.sysfs': flag.string('sysfs mountpoint.', '/sys'),
  'path.rootfs': flag.string('rootfs mountpoint.', '/'),
  'path.udev.data': flag.string('udev data path.', '/run/udev/data'),
  'collector.filesystem.mount-points-exclude': flag.string('Regexp of mount points to exclude for filesystem collector.', DEFAULT_MOUNT_POINTS_EXCLUDE),
  'collector.filesystem.fs-types-exclude': flag.string('Regexp of filesystem types to exclude for filesystem collector.', DEFAULT_FS_TYPES_EXCLUDE),
  'collector.netdev.device-exclude': flag.optionalString(`Regexp of net devices to exclude (mutually exclusive to device-include). Default: "${DEFAULT_NETDEV_DEVICE_EXCLUDE}" unless device-include is given.`),
  'collector.netdev.device-include': flag.optionalString('Regexp of net devices to include (mutually exclusive to device-exclude).'),
  'collector.diskstats.device-exclude': flag.string('Regexp of diskstats devices to exclude.', DEFAULT_DISKSTATS_DEVICE_EXCLUDE),
  'collector.netclass.ignored-devices': flag.string('Regexp of net devices to ignore for netclass collector.', DEFAULT_NETCLASS_IGNORED_DEVICES),
  'log.level': flag.enumeration('Only log messages with the given severity or above.', 'info', ['debug', 'info', 'warn', 'error'] as const),
  'log.format': flag.enumeration('Output format of log messages.', 'logfmt', ['logfmt', 'json'] as const),
};

/** `--collector.<name>` / `--no-collector.<name>` for each collector, defaulting as node_exporter does. */
function collectorSpecs(): Record<string, FlagSpec<boolean | undefined>> {
  const specs: Record<string, FlagSpec<boolean | undefined>> = {};
  for (const c of COLLECTORS) {
    specs[`collector.${c.name}`] = { help: `Enable the ${c.name} collector (default: ${c.enabledByDefault ? 'enabled' : 'disabled'}).`, default: undefined, takesValue: false, repeatable: false, parse: (s) => s === 'true' };
  }
  return specs;
}

function regexFlag(name: string, pattern: string): RegExp {
  try {
    return compile(pattern);
  } catch (e) {
    throw new Error(`--${name}: ${e instanceof Re2SyntaxError ? e.message : String(e)}`);
  }
}

/**
 * The metrics route's parameter: `collect[]`, repeatable (node_exporter 1.5 has no `exclude[]`);
 * anything else is ignored, as node_exporter does. Which names are collectors is checked by the
 * handler, which answers an unknown one with node_exporter's own 400 text.
 */
const repeatable = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;
const METRICS_SCHEMA = { querystring: { type: 'object', properties: { 'collect[]': repeatable } } } as const;

export async function main(argv: string[]): Promise<number> {
  const specs = { ...baseSpecs, ...collectorSpecs() };
  const r = parseFlags({ name: 'promethium node-exporter', description: 'Promethium node exporter: machine metrics with node_exporter\'s names.', version: versionText('node_exporter') }, specs, argv);
  if (r.kind === 'exit') return reportExit(r);
  const f = r.values as typeof r.values & Record<string, boolean | undefined>;
  const logger = new Logger({ level: f['log.level'], format: f['log.format'] });
  // `:9100` (the default) is every interface, as in Go.
  const { host, port } = splitListenAddress(f['web.listen-address']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    logger.error('Invalid --web.listen-address', { address: f['web.listen-address'] });
    return 1;
  }
  if (f['collector.netdev.device-exclude'] !== undefined && f['collector.netdev.device-include'] !== undefined) {
    logger.error('device-exclude & device-include are mutually exclusive', { collector: 'netdev' });
    return 1;
  }
  let options;
  try {
    const optional = (name: 'collector.netdev.device-exclude' | 'collector.netdev.device-include'): RegExp | undefined => {
      const p = f[name];
      return p === undefined ? undefined : regexFlag(name, p);
    };
    options = {
      mountPointsExclude: regexFlag('collector.filesystem.mount-points-exclude', f['collector.filesystem.mount-points-exclude']),
      fsTypesExclude: regexFlag('collector.filesystem.fs-types-exclude', f['collector.filesystem.fs-types-exclude']),
      netdevDeviceExclude: optional('collector.netdev.device-exclude') ?? (f['collector.netdev.device-include'] === undefined ? regexFlag('collector.netdev.device-exclude', DEFAULT_NETDEV_DEVICE_EXCLUDE) : undefined),
      netdevDeviceInclude: optional('collector.netdev.device-include'),
      diskstatsDeviceExclude: regexFlag('collector.diskstats.device-exclude', f['collector.diskstats.device-exclude']),
      netclassIgnoredDevices: regexFlag('collector.netclass.ignored-devices', f['collector.netclass.ignored-devices']),
    };
  } catch (e) {
    logger.error('Invalid flag', { err: e as Error });
    return 1;
  }
  const serving = startupStep(logger, 'Error loading web config', { file: f['web.config.file'] }, () => webServing(f['web.config.file'], logger));
  if (serving === undefined) return 1;
  const enabled = COLLECTORS.filter((c) => f[`collector.${c.name}`] ?? (f['collector.disable-defaults'] ? false : c.enabledByDefault));
  logger.info('Starting node_exporter', { version: versionText('node_exporter').split('\n')[0] });
  logger.info('Enabled collectors');
  for (const c of enabled) logger.info(c.name, { collector: c.name });

  const files = new HostFiles({ procfs: f['path.procfs'], sysfs: f['path.sysfs'], rootfs: f['path.rootfs'], udevData: f['path.udev.data'] });
  const exporter = new NodeExporter({
    files,
    collectors: enabled,
    options,
    exporterMetrics: !f['web.disable-exporter-metrics'],
    onCollectorError: ({ collector, error }) => logger.error('collector failed', { name: collector, err: error }),
  });

  const telemetryPath = f['web.telemetry-path'];
  const maxRequests = f['web.max-requests'];
  let inFlight = 0;
  const app = Fastify({ logger: false, http: { maxHeaderSize: GO_MAX_HEADER_BYTES }, ...serving.fastifyOptions });
  serving.attach(app);
  app.get(telemetryPath, { schema: METRICS_SCHEMA }, async (req, reply) => {
    // Checked before the request limit and not counted by promhttp, as in node_exporter.
    const selection = selectCollectors(requestedCollectors(req.url), enabled, COLLECTORS);
    if (!selection.ok) {
      const err = `couldn't create collector: ${selection.error}`;
      logger.warn("Couldn't create filtered metrics handler:", { err });
      return reply.code(400).type('text/plain; charset=utf-8').send(`Couldn't create filtered metrics handler: ${err}`);
    }
    if (maxRequests > 0 && inFlight >= maxRequests) {
      exporter.countRequest(503);
      return reply.code(503).type('text/plain; charset=utf-8').send(`Limit of concurrent requests reached (${maxRequests}), try again later.\n`);
    }
    inFlight++;
    exporter.serving(1);
    try {
      const body = await exporter.scrape(selection.collectors);
      exporter.countRequest(200);
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(body);
    } catch (e) {
      exporter.countRequest(500);
      logger.error('error gathering metrics', { err: e as Error });
      return reply.code(500).type('text/plain; charset=utf-8').send(`An error has occurred while serving metrics:\n\n${(e as Error).message}\n`);
    } finally {
      exporter.serving(-1);
      inFlight--;
    }
  });
  if (telemetryPath !== '/favicon.ico') serveFavicon(app);
  if (telemetryPath !== '/') {
    app.get('/', { schema: { querystring: { type: 'object' } } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(landingPage(telemetryPath)));
  }
  const listen = async (): Promise<void> => {
    const boundHost = await listenOn(app, host, port);
    const addr = app.server.address();
    const boundPort = typeof addr === 'object' && addr !== null ? addr.port : port;
    const address = `${boundHost.includes(':') ? `[${boundHost}]` : boundHost}:${boundPort}`;
    logger.info('Listening on', { address });
    logger.info(serving.describe(), { http2: serving.http2, address });
  };
  // No SIGHUP handler: node_exporter has no configuration to reload.
  return runUntilSignal({ logger, start: listen, startError: 'Error starting HTTP server', stop: () => app.close(), signalLog: 'info' });
}
