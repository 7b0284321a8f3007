// `promethium alertmanager`: the Alertmanager's command line (Alertmanager 0.2x flags).
import { mkdirSync } from 'node:fs';
import { flag, parseFlags, reportExit } from '../util/flags.js';
import { Logger } from '../util/logger.js';
import { runUntilSignal, startupStep } from '../util/process.js';
import { versionText } from '../version.js';
import { parseDurationParam } from '../web/api/params.js';
import { AlertmanagerServer } from './server.js';
import { uiPlugin } from '../web/ui-plugin.js';
import { loadAlertmanagerConfig } from './config.js';
import { parseMatcher } from './matchers.js';
import { webConfigFlag, webServing } from '../web-config/serve.js';
import { externalUrlAndPrefix } from '../web-config/external-url.js';
import { splitListenAddress } from '../web-config/listen.js';

const specs = {
  'config.file': flag.string('Alertmanager configuration file name.', 'alertmanager.yml'),
  'storage.path': flag.string('Base path for data storage.', 'data/'),
  'data.retention': flag.custom('How long to keep data for.', 120 * 3600_000, '120h', (s) => parseDurationParam(s, 'flag')),
  'web.listen-address': flag.string('Address to listen on for the web interface and API.', ':9093'),
  'web.external-url': flag.optionalString('The URL under which Alertmanager is externally reachable.', '<URL>'),
  'web.route-prefix': flag.optionalString('Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.', '<path>'),
  ...webConfigFlag,
  'cluster.listen-address': flag.string('Listen address for cluster. Set to empty string to disable HA mode (Promethium runs without clustering).', ''),
  'log.level': flag.enumeration('Only log messages with the given severity or above.', 'info', ['debug', 'info', 'warn', 'error'] as const),
  'log.format': flag.enumeration('Output format of log messages.', 'logfmt', ['logfmt', 'json'] as const),
};

export async function main(argv: string[]): Promise<number> {
  const r = parseFlags({ name: 'promethium alertmanager', description: 'Promethium Alertmanager: routing, grouping, inhibition, silences, e-mail and webhooks.', version: versionText('alertmanager') }, specs, argv);
  if (r.kind === 'exit') return reportExit(r);
  const f = r.values;
  const logger = new Logger({ level: f['log.level'], format: f['log.format'] });
  const addr = f['web.listen-address'];
  // `:9093` (the default) is every interface, as in Go.
  const { host, port } = splitListenAddress(addr);
  if (f['cluster.listen-address'] !== '') logger.warn('Clustering is not supported; running as a single Alertmanager', { 'cluster.listen-address': f['cluster.listen-address'] });
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    logger.error('Invalid --web.listen-address', { address: addr });
    return 1;
  }
  const serving = startupStep(logger, 'Error loading web config', { file: f['web.config.file'] }, () => webServing(f['web.config.file'], logger));
  if (serving === undefined) return 1;
  const urls = startupStep(logger, 'Invalid external URL', {}, () => externalUrlAndPrefix(f['web.external-url'], f['web.route-prefix'], host, port, serving.scheme));
  if (urls === undefined) return 1;
  const { externalUrl, routePrefix } = urls;
  logger.info('Starting Alertmanager', { version: versionText('alertmanager').split('\n')[0] });
  try {
    mkdirSync(f['storage.path'], { recursive: true });
  } catch (e) {
    logger.error('Cannot create the storage directory', { path: f['storage.path'], err: e as Error });
    return 1;
  }
  if (startupStep(logger, 'Loading configuration file failed', { file: f['config.file'] }, () => loadAlertmanagerConfig(f['config.file'])) === undefined) return 1;
  const server = new AlertmanagerServer({
    listenHost: host,
    listenPort: port,
    routePrefix,
    externalUrl,
    serving,
    storagePath: f['storage.path'],
    retentionMs: f['data.retention'],
    logger,
    loadConfig: () => loadAlertmanagerConfig(f['config.file']).core,
    parseMatcher,
    plugins: [uiPlugin({ title: 'Alertmanager', routePrefix, bundle: 'am-ui', paths: ['/'] })],
  });
  return runUntilSignal({
    logger,
    start: () => server.start(),
    startError: 'Error starting the Alertmanager',
    abortStart: () => server.stop(),
    stop: () => server.stop(),
    reload: () => server.reload(),
    signalLog: 'info',
  });
}
