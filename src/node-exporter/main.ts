// `promethium node-exporter`: node_exporter's command line (1.5 flags and defaults) on our collectors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as zlibConstants, gzipSync } from 'node:zlib';
import { flag, parseFlags, reportExit } from '../util/flags.js';
import type { FlagSpec } from '../util/flags.js';
import { Logger } from '../util/logger.js';
import type { LogFields } from '../util/logger.js';
import { runUntilSignal, startupStep } from '../util/process.js';
import { versionText } from '../version.js';
import { compile, Re2SyntaxError } from '../regex/re2.js';
import { HostFiles } from './context.js';
import { NodeExporter } from './exporter.js';
import type { ExpositionFormat } from './exporter.js';
import {
  COLLECTORS,
  DEFAULT_DISKSTATS_DEVICE_EXCLUDE,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  DEFAULT_NETCLASS_IGNORED_DEVICES,
  DEFAULT_NETDEV_DEVICE_EXCLUDE,
} from './collectors/index.js';
import { NoDataError } from './collectors/collector.js';
import { landingPage } from './landing-page.js';
import { faviconIco } from '../web/favicon.js';
import { requestedCollectors, selectCollectors } from './collect-filter.js';
import { createServer } from 'node:http';
import { applyLeanHeapFlags } from './lean-heap.js';
import { webConfigFlag } from '../web-config/flag.js';
import { GO_MAX_HEADER_BYTES } from '../util/http-limits.js';
import { acceptsGzip } from '../common/gzip.js';
import { listenServer, splitListenAddress } from '../web-config/listen.js';

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

/** Every collector's own option flags. */
function collectorOptionSpecs(): Record<string, FlagSpec<unknown>> {
  const specs: Record<string, FlagSpec<unknown>> = {};
  for (const c of COLLECTORS) Object.assign(specs, c.flags ?? {});
  return specs;
}

function regexFlag(name: string, pattern: string): RegExp {
  try {
    return compile(pattern);
  } catch (e) {
    throw new Error(`--${name}: ${e instanceof Re2SyntaxError ? e.message : String(e)}`);
  }
}

/** Every flag name the exporter takes (without `--`). */
export function knownFlagNames(): Set<string> {
  return new Set(Object.keys({ ...baseSpecs, ...collectorSpecs(), ...collectorOptionSpecs() }));
}

export async function main(argv: string[]): Promise<number> {
  // bin/promethium.js applies them before any module loads; again here for other callers of main.
  applyLeanHeapFlags();
  const optionSpecs = collectorOptionSpecs();
  const specs = { ...baseSpecs, ...collectorSpecs(), ...optionSpecs };
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
      flags: new Map(Object.keys(optionSpecs).map((k) => [k, (f as Record<string, unknown>)[k]])),
    };
  } catch (e) {
    logger.error('Invalid flag', { err: e as Error });
    return 1;
  }
  // The web config machinery (YAML, bcrypt, TLS) costs ~13 MiB of memory: loaded only when a file is given.
  const webConfig = f['web.config.file'] === '' ? undefined : await import('../web-config/serve.js');
  const serving = webConfig === undefined
    ? { http2: false, describe: () => 'TLS is disabled.', closeSessions: () => undefined, createServer: (h: Parameters<typeof createServer>[1]) => createServer({ maxHeaderSize: GO_MAX_HEADER_BYTES }, h) }
    : startupStep(logger, 'Error loading web config', { file: f['web.config.file'] }, () => webConfig.webServing(f['web.config.file'], logger));
  if (serving === undefined) return 1;
  const enabled = COLLECTORS.filter((c) => f[`collector.${c.name}`] ?? (f['collector.disable-defaults'] ? false : c.enabledByDefault));
  logger.info('Starting node_exporter', { version: versionText('node_exporter').split('\n')[0] });
  logger.info('Enabled collectors');
  for (const c of enabled) logger.info(c.name, { collector: c.name });

  const files = new HostFiles({ procfs: f['path.procfs'], sysfs: f['path.sysfs'], rootfs: f['path.rootfs'], udevData: f['path.udev.data'] });
  files.log = (level, msg, fields) => logger[level](msg, fields as LogFields);
  const exporter = new NodeExporter({
    files,
    collectors: enabled,
    options,
    exporterMetrics: !f['web.disable-exporter-metrics'],
    onCollectorError: ({ collector, error }) => {
      if (error instanceof NoDataError) logger.debug('collector returned no data', { name: collector, err: error });
      else logger.error('collector failed', { name: collector, err: error });
    },
  });

  const telemetryPath = f['web.telemetry-path'];
  const maxRequests = f['web.max-requests'];
  let inFlight = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0];
    const send = (code: number, type: string, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers }).end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    if (path === telemetryPath) return serveMetrics(req, res, url);
    if (path === '/') return send(200, 'text/html; charset=utf-8', landingPage(telemetryPath));
    if (path === '/favicon.ico') {
      // Browsers ask for it on every page: answer instead of a 404 console error.
      const icon = faviconIco();
      res.writeHead(200, { 'Content-Type': 'image/x-icon', 'Content-Length': icon.length, 'Cache-Control': 'public, max-age=86400' }).end(req.method === 'HEAD' ? undefined : icon);
      return;
    }
    return send(404, 'text/plain; charset=utf-8', '404 page not found\n');
  };
  const serveMetrics = async (req: IncomingMessage, res: ServerResponse, url: string): Promise<void> => {
    // Checked before the request limit and not counted by promhttp, as in node_exporter.
    const selection = selectCollectors(requestedCollectors(url), enabled, COLLECTORS);
    if (!selection.ok) {
      const err = `couldn't create collector: ${selection.error}`;
      logger.warn("Couldn't create filtered metrics handler:", { err });
      const body = `Couldn't create filtered metrics handler: ${err}`;
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (maxRequests > 0 && inFlight >= maxRequests) {
      exporter.self.countRequest(503);
      const body = `Limit of concurrent requests reached (${maxRequests}), try again later.\n`;
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
      return;
    }
    inFlight++;
    exporter.self.serving(1);
    try {
      const format = negotiateFormat(req.headers.accept);
      const bytes = await exporter.scrapeBytes(selection.collectors, format);
      exporter.self.countRequest(200);
      const gzip = acceptsGzip(req.headers['accept-encoding']);
      // Fastest level: measured 0.4 ms a scrape instead of 1 ms at the default level for a 50 KiB
      // body, for ~14% more bytes on a connection that is nearly always local.
      const body = gzip ? gzipSync(bytes, { level: zlibConstants.Z_BEST_SPEED }) : bytes;
      res.writeHead(200, {
        'Content-Type': format === 'openmetrics' ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4; charset=utf-8',
        'Content-Length': body.length,
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
        Vary: 'Accept-Encoding',
      }).end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      exporter.self.countRequest(500);
      logger.error('error gathering metrics', { err: e as Error });
      const body = `An error has occurred while serving metrics:\n\n${(e as Error).message}\n`;
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
    } finally {
      exporter.self.serving(-1);
      inFlight--;
    }
  };
  const server = serving.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      logger.error('error serving a request', { err: e as Error });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const listen = async (): Promise<void> => {
    const boundHost = await listenServer(server, host, port);
    const addr = server.address();
    const boundPort = typeof addr === 'object' && addr !== null ? addr.port : port;
    const address = `${boundHost.includes(':') ? `[${boundHost}]` : boundHost}:${boundPort}`;
    logger.info('Listening on', { address });
    logger.info(serving.describe(), { http2: serving.http2, address });
  };
  const close = (): Promise<void> => new Promise((resolve) => {
    serving.closeSessions();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
  // No SIGHUP handler: node_exporter has no configuration to reload.
  return runUntilSignal({ logger, start: listen, startError: 'Error starting HTTP server', stop: close, signalLog: 'info' });
}

/** OpenMetrics when the scraper asks for it in Accept, as promhttp negotiates; the text format otherwise. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/.test(accept) ? 'openmetrics' : 'text';
}

