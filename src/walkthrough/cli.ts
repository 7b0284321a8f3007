// `promethium start`: the whole walkthrough stack in one command — the server, the node exporter
// and the Alertmanager on examples/walkthrough/, plus an SMTP sink that prints the alert e-mails.
// Each component runs as its own process (as it would in production) with its output prefixed;
// Ctrl+C stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { flag, parseFlags, reportExit } from '../util/flags.js';
import { versionText } from '../version.js';
import { startSmtpSink } from './smtp-sink.js';
import { defaultStackListen, listenAddress, stackConfigFiles, type StackListen } from './ports.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const specs = {
  'config.dir': flag.string('Directory with prometheus.yml, rules.yml and alertmanager.yml.', join(packageRoot, 'examples', 'walkthrough')),
  'storage.path': flag.string('Data directory for the server (tsdb/) and the Alertmanager (alertmanager/).', 'data'),
  'smtp.port': flag.custom('Port of the local SMTP sink that prints e-mails.', 2525, '2525', parsePort),
  'listen.host': flag.string('Host the server, node exporter and Alertmanager listen on (e.g. 127.0.0.1); empty: every interface, as upstream.', ''),
  'server.port': flag.custom('Port of the server (web UI and API).', defaultStackListen.server, String(defaultStackListen.server), parsePort),
  'node-exporter.port': flag.custom('Port of the node exporter.', defaultStackListen.nodeExporter, String(defaultStackListen.nodeExporter), parsePort),
  'alertmanager.port': flag.custom('Port of the Alertmanager.', defaultStackListen.alertmanager, String(defaultStackListen.alertmanager), parsePort),
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
}

/** The stack's processes. They listen on every interface, as Prometheus, node_exporter and the Alertmanager do by default. */
export function walkthroughComponents(dir: string, data: string, listen: StackListen = defaultStackListen, files = { prometheus: join(dir, 'prometheus.yml'), alertmanager: join(dir, 'alertmanager.yml') }): Component[] {
  return [
    { name: 'server', color: '33', args: ['server', `--config.file=${files.prometheus}`, `--storage.tsdb.path=${join(data, 'tsdb')}`, `--web.listen-address=${listenAddress(listen.host, listen.server, '0.0.0.0')}`, '--web.enable-lifecycle'] },
    { name: 'node-exporter', color: '32', args: ['node-exporter', `--web.listen-address=${listenAddress(listen.host, listen.nodeExporter, '')}`] },
    { name: 'alertmanager', color: '36', args: ['alertmanager', `--config.file=${files.alertmanager}`, `--storage.path=${join(data, 'alertmanager')}`, `--web.listen-address=${listenAddress(listen.host, listen.alertmanager, '')}`] },
  ];
}

function pipeWithPrefix(child: ChildProcess, name: string, color: string): void {
  const prefix = `\x1b[${color}m${name.padEnd(13)}|\x1b[0m `;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) !== -1) {
        process.stdout.write(prefix + buf.slice(0, i) + '\n');
        buf = buf.slice(i + 1);
      }
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const r = parseFlags({ name: 'promethium start', description: 'Starts the walkthrough stack: server, node exporter, Alertmanager and an SMTP sink.', version: versionText('promethium') }, specs, argv);
  if (r.kind === 'exit') return reportExit(r);
  const dir = resolve(r.values['config.dir']);
  const data = resolve(r.values['storage.path']);
  mkdirSync(data, { recursive: true });

  const listen: StackListen = { host: r.values['listen.host'], server: r.values['server.port'], nodeExporter: r.values['node-exporter.port'], alertmanager: r.values['alertmanager.port'], smtp: r.values['smtp.port'] };
  const files = stackConfigFiles(dir, data, listen);
  const sink = await startSmtpSink('127.0.0.1', listen.smtp, (m) => {
    process.stdout.write(`\x1b[35m${'smtp-sink'.padEnd(13)}|\x1b[0m mail from ${m.from} to ${m.to.join(', ')}: ${m.subject}\n`);
  });

  const components = walkthroughComponents(dir, data, listen, files);
  const bin = join(packageRoot, 'bin', 'promethium.js');
  if (!existsSync(bin)) throw new Error(`cannot find ${bin}`);
  const children: ChildProcess[] = [];
  for (const c of components) {
    const child = spawn(process.execPath, [bin, ...c.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    pipeWithPrefix(child, c.name, c.color);
    child.on('exit', (code, signal) => process.stdout.write(`${c.name.padEnd(13)}| exited (${signal ?? code})\n`));
    children.push(child);
  }
  const where = listen.host === '' ? 'every interface' : listen.host;
  const urlHost = listen.host === '' ? 'localhost' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = (port: number): string => `http://${urlHost}:${port}`;
  process.stdout.write(`\nPromethium is up on ${where}: ${url(listen.server)} (server), ${url(listen.nodeExporter)}/metrics (node exporter), ${url(listen.alertmanager)} (Alertmanager); e-mails are printed here (SMTP sink on 127.0.0.1:${sink.port}). Ctrl+C stops everything.\n\n`);

  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const c of children) c.kill('SIGTERM');
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((res) => c.once('exit', res)))));
  await sink.close();
  return 0;
}
