// Where the walkthrough stack listens. By default every component on its upstream port and every
// interface; with other ports (or one host) the walkthrough's config files, which name
// localhost:9090/9100/9093 and the SMTP sink's localhost:2525, are rewritten into the data
// directory so the server still scrapes and alerts its own stack (two stacks can then run side by
// side, as the package test does on free ports of 127.0.0.1).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseDocument, isMap, isSeq, isScalar, type Document } from 'yaml';

export interface StackListen {
  /** '' listens on every interface (as upstream); else this host only. */
  host: string;
  server: number;
  nodeExporter: number;
  alertmanager: number;
  smtp: number;
}

export const defaultStackListen: StackListen = { host: '', server: 9090, nodeExporter: 9100, alertmanager: 9093, smtp: 2525 };

/** The address a component listens on, in its own flag's spelling (the server's default names 0.0.0.0). */
export function listenAddress(host: string, port: number, everyInterface: string): string {
  if (host === '') return `${everyInterface}:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** How the stack's components reach each other: the listen host, or localhost when that is every interface. */
function reachableHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The walkthrough's own addresses, old -> new, for the ports that differ from the defaults. */
function addressMap(listen: StackListen): Map<string, string> {
  const to = reachableHost(listen.host);
  const map = new Map<string, string>();
  const pairs: [number, number][] = [
    [defaultStackListen.server, listen.server],
    [defaultStackListen.nodeExporter, listen.nodeExporter],
    [defaultStackListen.alertmanager, listen.alertmanager],
    [defaultStackListen.smtp, listen.smtp],
  ];
  for (const [from, port] of pairs) map.set(`localhost:${from}`, `${to}:${port}`);
  return map;
}

/** Replaces every string of a YAML document's `targets` lists and `smtp_smarthost` found in the map. */
function rewriteAddresses(doc: Document, map: Map<string, string>): void {
  const visit = (node: unknown, key: string | undefined): void => {
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value, isScalar(pair.key) ? String(pair.key.value) : undefined);
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item, key);
    } else if (isScalar(node) && typeof node.value === 'string' && (key === 'targets' || key === 'smtp_smarthost')) {
      const replaced = map.get(node.value);
      if (replaced !== undefined) node.value = replaced;
    }
  };
  visit(doc.contents, undefined);
}

function isDefault(listen: StackListen): boolean {
  return listen.server === defaultStackListen.server && listen.nodeExporter === defaultStackListen.nodeExporter && listen.alertmanager === defaultStackListen.alertmanager && listen.smtp === defaultStackListen.smtp && listen.host === '';
}

/**
 * The prometheus.yml and alertmanager.yml the stack runs with: the ones in `configDir` as they are
 * for the default ports, else copies under `<dataDir>/walkthrough/` pointing at the chosen ports
 * (rule_files made absolute, since they are relative to the config file's directory).
 */
export function stackConfigFiles(configDir: string, dataDir: string, listen: StackListen): { prometheus: string; alertmanager: string } {
  const original = { prometheus: join(configDir, 'prometheus.yml'), alertmanager: join(configDir, 'alertmanager.yml') };
  if (isDefault(listen)) return original;
  const map = addressMap(listen);
  const outDir = join(dataDir, 'walkthrough');
  mkdirSync(outDir, { recursive: true });

  const prometheus = parseDocument(readFileSync(original.prometheus, 'utf8'));
  rewriteAddresses(prometheus, map);
  const ruleFiles = prometheus.get('rule_files');
  if (isSeq(ruleFiles)) {
    for (const item of ruleFiles.items) {
      if (isScalar(item) && typeof item.value === 'string' && !isAbsolute(item.value)) item.value = join(configDir, item.value);
    }
  }
  const alertmanager = parseDocument(readFileSync(original.alertmanager, 'utf8'));
  rewriteAddresses(alertmanager, map);

  const written = { prometheus: join(outDir, 'prometheus.yml'), alertmanager: join(outDir, 'alertmanager.yml') };
  const note = `# Written by \`promethium start\` from ${configDir} for the ports it was given; edit the original.\n`;
  writeFileSync(written.prometheus, note + prometheus.toString());
  writeFileSync(written.alertmanager, note + alertmanager.toString());
  return written;
}
