// `promethium start`: the whole walkthrough stack in one command — the server, the node exporter
// and the Alertmanager on examples/walkthrough/, plus an SMTP sink that prints the alert e-mails.
// Each component runs as its own process (as it would in production) with its output prefixed and
// is announced once its readiness endpoint answers; one that fails to start stops the stack with
// its name and reason (exit 1). `promethium stack stop|start node-exporter` (or SIGUSR1/SIGUSR2 to
// this process) stops and starts the node exporter to watch the `up == 0` alert fire and resolve.
// Ctrl+C stops them all.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { flag, parseFlags, reportExit } from '../util/flags.js';
import { versionText } from '../version.js';
import { startSmtpSink } from './smtp-sink.js';
import { mailAsText } from './mail-text.js';
import { Stack, StartError, type ComponentSpec } from './stack.js';
import { startControlServer, type ControlServer } from './control.js';
import { defaultStackListen, listenAddress, stackConfigFiles, type StackListen } from './ports.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `promethium stack` finds the running stack's control endpoint by default. */
export const DEFAULT_CONTROL_PORT = 9099;

const specs = {
  'config.dir': flag.string('Directory with prometheus.yml, rules.yml and alertmanager.yml.', join(packageRoot, 'examples', 'walkthrough')),
  'storage.path': flag.string('Data directory for the server (tsdb/) and the Alertmanager (alertmanager/).', 'data'),
  'smtp.port': flag.custom('Port of the local SMTP sink that prints e-mails.', defaultStackListen.smtp, String(defaultStackListen.smtp), parsePort),
  'listen.host': flag.string('Host the server, node exporter and Alertmanager listen on (e.g. 127.0.0.1); empty: every interface, as upstream.', ''),
  'server.port': flag.custom('Port of the server (web UI and API).', defaultStackListen.server, String(defaultStackListen.server), parsePort),
  'node-exporter.port': flag.custom('Port of the node exporter.', defaultStackListen.nodeExporter, String(defaultStackListen.nodeExporter), parsePort),
  'alertmanager.port': flag.custom('Port of the Alertmanager.', defaultStackListen.alertmanager, String(defaultStackListen.alertmanager), parsePort),
  'control.port': flag.custom('Port on 127.0.0.1 of the control endpoint of `promethium stack stop|start|status`.', DEFAULT_CONTROL_PORT, String(DEFAULT_CONTROL_PORT), parsePort),
  'ready.timeout': flag.custom('Seconds each component has to answer its readiness endpoint.', 60, '60', Number),
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new Error(`expected a port number (1-65535), got '${text}'`);
  return port;
}

export interface Component {
  name: string;
  color: string;
  args: string[];
  /** Its readiness endpoint, relative to http://127.0.0.1:PORT. */
  readyPath: string;
  port: number;
}

/** The stack's processes. They listen on every interface, as Prometheus, node_exporter and the Alertmanager do by default. */
export function walkthroughComponents(dir: string, data: string, listen: StackListen = defaultStackListen, files = { prometheus: join(dir, 'prometheus.yml'), alertmanager: join(dir, 'alertmanager.yml') }): Component[] {
  return [
    { name: 'server', color: '33', port: listen.server, readyPath: '/-/ready', args: ['server', `--config.file=${files.prometheus}`, `--storage.tsdb.path=${join(data, 'tsdb')}`, `--web.listen-address=${listenAddress(listen.host, listen.server, '0.0.0.0')}`, '--web.enable-lifecycle'] },
    { name: 'node-exporter', color: '32', port: listen.nodeExporter, readyPath: '/', args: ['node-exporter', `--web.listen-address=${listenAddress(listen.host, listen.nodeExporter, '')}`] },
    { name: 'alertmanager', color: '36', port: listen.alertmanager, readyPath: '/-/ready', args: ['alertmanager', `--config.file=${files.alertmanager}`, `--storage.path=${join(data, 'alertmanager')}`, `--web.listen-address=${listenAddress(listen.host, listen.alertmanager, '')}`] },
  ];
}

const ANNOUNCE: Record<string, (base: string) => string> = {
  server: (b) => `${b} (web UI, API)`,
  'node-exporter': (b) => `${b}/metrics`,
  alertmanager: (b) => `${b} (web UI)`,
};

export async function main(argv: string[]): Promise<number> {
  const r = parseFlags({ name: 'promethium start', description: 'Starts the walkthrough stack: server, node exporter, Alertmanager and an SMTP sink.', version: versionText('promethium') }, specs, argv);
  if (r.kind === 'exit') return reportExit(r);
  const f = r.values;
  const dir = resolve(f['config.dir']);
  const data = resolve(f['storage.path']);
  mkdirSync(data, { recursive: true });
  const bin = join(packageRoot, 'bin', 'promethium.js');
  if (!existsSync(bin)) throw new Error(`cannot find ${bin}`);
  const write = (line: string): void => void process.stdout.write(`${line}\n`);
  const sinkPrefix = `\x1b[35m${'smtp-sink'.padEnd(13)}|\x1b[0m `;

  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  try {
    sink = await startSmtpSink('127.0.0.1', f['smtp.port'], (m) => {
      write(`${sinkPrefix}mail from ${m.from} to ${m.to.join(', ')}:`);
      for (const line of mailAsText(m.raw).split('\n')) write(`${sinkPrefix}  ${line}`);
    });
  } catch (e) {
    write(`\x1b[1;31m✘ smtp-sink failed to start\x1b[0m on 127.0.0.1:${f['smtp.port']}: ${(e as Error).message}`);
    return 1;
  }
  write(`\x1b[1m✔ smtp-sink is ready\x1b[0m: 127.0.0.1:${sink.port} (e-mails are printed here)`);

  const listen: StackListen = { host: f['listen.host'], server: f['server.port'], nodeExporter: f['node-exporter.port'], alertmanager: f['alertmanager.port'], smtp: sink.port };
  // With other ports than the walkthrough's, its config files are rewritten into the data directory.
  const files = stackConfigFiles(dir, data, listen);
  const everyInterface = listen.host === '' || listen.host === '0.0.0.0' || listen.host === '::';
  const urlHost = everyInterface ? 'localhost' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const probeHost = everyInterface ? '127.0.0.1' : urlHost;
  const components: ComponentSpec[] = walkthroughComponents(dir, data, listen, files).map((c) => ({
    name: c.name,
    color: c.color,
    command: [process.execPath, bin, ...c.args],
    readyUrl: `http://${probeHost}:${c.port}${c.readyPath}`,
    announce: ANNOUNCE[c.name]!(`http://${urlHost}:${c.port}`),
  }));
  const stack = new Stack(components, { write, readyTimeoutMs: f['ready.timeout'] * 1000 });
  let control: ControlServer | undefined;
  try {
    await stack.startAll();
    control = await startControlServer(stack, f['control.port']).catch((e: Error) => {
      throw new StartError(`the control endpoint failed to start on 127.0.0.1:${f['control.port']}: ${e.message}`);
    });
  } catch (e) {
    await stack.stopAll();
    await sink.close();
    write(`\n\x1b[1;31m✘ ${(e as Error).message}\x1b[0m\nThe other components were stopped.`);
    return 1;
  }
  write(`\nPromethium is up on ${everyInterface ? 'every interface' : listen.host}: server http://${urlHost}:${listen.server}, node exporter http://${urlHost}:${listen.nodeExporter}/metrics, Alertmanager http://${urlHost}:${listen.alertmanager}; e-mails are printed here.`);
  write(`Stop and start the node exporter with \`promethium stack stop node-exporter\` / \`promethium stack start node-exporter\` (or kill -USR1 / -USR2 ${process.pid}). Ctrl+C stops everything.\n`);

  // SIGUSR1 stops the node exporter, SIGUSR2 starts it again: the walkthrough's alert, by signal.
  const toggle = (action: 'stop' | 'start'): void => {
    (action === 'stop' ? stack.stop('node-exporter') : stack.start('node-exporter')).catch((e: Error) => write(`${action} node-exporter: ${e.message}`));
  };
  const onUsr1 = (): void => toggle('stop');
  const onUsr2 = (): void => toggle('start');
  process.on('SIGUSR1', onUsr1);
  process.on('SIGUSR2', onUsr2);
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
  process.off('SIGUSR1', onUsr1);
  process.off('SIGUSR2', onUsr2);
  write('stopping the stack');
  await control.close();
  await stack.stopAll();
  await sink.close();
  return 0;
}
