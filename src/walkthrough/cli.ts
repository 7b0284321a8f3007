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

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `promethium stack` finds the running stack's control endpoint by default. */
export const DEFAULT_CONTROL_PORT = 9099;

const specs = {
  'config.dir': flag.string('Directory with prometheus.yml, rules.yml and alertmanager.yml.', join(packageRoot, 'examples', 'walkthrough')),
  'storage.path': flag.string('Data directory for the server (tsdb/) and the Alertmanager (alertmanager/).', 'data'),
  'smtp.port': flag.custom('Port of the local SMTP sink that prints e-mails.', 2525, '2525', Number),
  'server.port': flag.custom("The server's port (the walkthrough's configuration expects 9090).", 9090, '9090', Number),
  'node-exporter.port': flag.custom("The node exporter's port (prometheus.yml scrapes localhost:9100).", 9100, '9100', Number),
  'alertmanager.port': flag.custom("The Alertmanager's port (prometheus.yml sends alerts to localhost:9093).", 9093, '9093', Number),
  'control.port': flag.custom('Port on 127.0.0.1 of the control endpoint of `promethium stack stop|start|status`.', DEFAULT_CONTROL_PORT, String(DEFAULT_CONTROL_PORT), Number),
  'ready.timeout': flag.custom('Seconds each component has to answer its readiness endpoint.', 60, '60', Number),
};

export interface Component {
  name: string;
  color: string;
  args: string[];
  /** Its readiness endpoint, relative to http://127.0.0.1:PORT. */
  readyPath: string;
  port: number;
}

export interface StackPorts {
  server: number;
  nodeExporter: number;
  alertmanager: number;
}

const DEFAULT_PORTS: StackPorts = { server: 9090, nodeExporter: 9100, alertmanager: 9093 };

/** The stack's processes. They listen on every interface, as Prometheus, node_exporter and the Alertmanager do by default. */
export function walkthroughComponents(dir: string, data: string, ports: StackPorts = DEFAULT_PORTS): Component[] {
  return [
    { name: 'server', color: '33', port: ports.server, readyPath: '/-/ready', args: ['server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(data, 'tsdb')}`, `--web.listen-address=0.0.0.0:${ports.server}`, '--web.enable-lifecycle'] },
    { name: 'node-exporter', color: '32', port: ports.nodeExporter, readyPath: '/', args: ['node-exporter', `--web.listen-address=:${ports.nodeExporter}`] },
    { name: 'alertmanager', color: '36', port: ports.alertmanager, readyPath: '/-/ready', args: ['alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(data, 'alertmanager')}`, `--web.listen-address=:${ports.alertmanager}`] },
  ];
}

const ANNOUNCE: Record<string, (port: number) => string> = {
  server: (p) => `http://localhost:${p} (web UI, API)`,
  'node-exporter': (p) => `http://localhost:${p}/metrics`,
  alertmanager: (p) => `http://localhost:${p} (web UI)`,
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

  const ports: StackPorts = { server: f['server.port'], nodeExporter: f['node-exporter.port'], alertmanager: f['alertmanager.port'] };
  const components: ComponentSpec[] = walkthroughComponents(dir, data, ports).map((c) => ({
    name: c.name,
    color: c.color,
    command: [process.execPath, bin, ...c.args],
    readyUrl: `http://127.0.0.1:${c.port}${c.readyPath}`,
    announce: ANNOUNCE[c.name]!(c.port),
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
  write(`\nPromethium is up: server http://localhost:${ports.server}, node exporter http://localhost:${ports.nodeExporter}/metrics, Alertmanager http://localhost:${ports.alertmanager}; e-mails are printed here.`);
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
