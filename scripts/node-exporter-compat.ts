// Compares our node exporter with Debian's node_exporter 1.5 on this machine, collector by collector:
// both run with only that collector enabled, both are scraped, and every family node_exporter
// exposes is looked up in ours (same type, same label names). Writes the table to
// docs/node-exporter-compatibility.md.
//
//   npx tsx scripts/node-exporter-compat.ts [--reference /usr/bin/prometheus-node-exporter] [--out docs/node-exporter-compatibility.md]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/util/free-port.js';
import { compareFamilies, familyShapes } from '../src/node-exporter/compat/families.js';
import type { Comparison } from '../src/node-exporter/compat/families.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The collectors the node exporter issue covers, and the exporter's own families. */
export const COMPARED_COLLECTORS = ['cpu', 'diskstats', 'entropy', 'filefd', 'filesystem', 'loadavg', 'meminfo', 'netclass', 'netdev', 'os', 'pressure', 'stat', 'time', 'uname', 'vmstat'];

/** Families every exporter has whatever the collectors: Go runtime metrics have no Node counterpart. */
const RUNTIME_ONLY = /^go_/;

async function scrapeWhenUp(port: number, child: ChildProcess, what: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      if (r.ok) return await r.text();
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer on port ${port}`);
}

async function scrapeOnce(command: string[], collectors: string[], what: string): Promise<string> {
  const port = await freePort();
  const args = [...command.slice(1), `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`)];
  const child = spawn(command[0]!, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    return await scrapeWhenUp(port, child, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGTERM');
  }
}

export interface CollectorComparison {
  collector: string;
  rows: Comparison[];
  /** Families ours has that node_exporter does not. */
  extra: string[];
}

/** Families that come with every scrape, not with a collector. */
function isScaffolding(name: string): boolean {
  return name.startsWith('node_scrape_collector_') || name === 'node_exporter_build_info' || name.startsWith('process_') || name.startsWith('promhttp_') || name.startsWith('go_') || name.startsWith('nodejs_');
}

export async function compareWithNodeExporter(reference: string[], ours: string[], collectors = COMPARED_COLLECTORS): Promise<CollectorComparison[]> {
  const out: CollectorComparison[] = [];
  for (const collector of collectors) {
    const [refBody, ourBody] = await Promise.all([scrapeOnce(reference, [collector], 'node_exporter'), scrapeOnce(ours, [collector], 'promethium node-exporter')]);
    const ref = new Map([...familyShapes(refBody)].filter(([n]) => !isScaffolding(n)));
    const mine = new Map([...familyShapes(ourBody)].filter(([n]) => !isScaffolding(n)));
    out.push({ collector, rows: compareFamilies(ref, mine), extra: [...mine.keys()].filter((n) => !ref.has(n)).sort() });
  }
  // The exporter's own families, with every compared collector switched off.
  const [refBody, ourBody] = await Promise.all([scrapeOnce(reference, [], 'node_exporter'), scrapeOnce(ours, [], 'promethium node-exporter')]);
  const ref = new Map([...familyShapes(refBody)].filter(([n]) => !RUNTIME_ONLY.test(n)));
  const mine = new Map([...familyShapes(ourBody)].filter(([n]) => !n.startsWith('nodejs_')));
  out.push({ collector: '(exporter)', rows: compareFamilies(ref, mine), extra: [...mine.keys()].filter((n) => !ref.has(n)).sort() });
  return out;
}

/**
 * node_exporter 1.5's default collectors on Linux (timex through the native addon): compared in
 * one scrape each, as a user switching exporters would see them.
 */
export const DEFAULT_COLLECTORS = [
  'arp', 'bcache', 'bonding', 'btrfs', 'conntrack', 'cpu', 'cpufreq', 'diskstats', 'dmi', 'edac', 'entropy', 'fibrechannel', 'filefd', 'filesystem',
  'hwmon', 'infiniband', 'ipvs', 'loadavg', 'mdadm', 'meminfo', 'netclass', 'netdev', 'netstat', 'nfs', 'nfsd', 'nvme', 'os', 'powersupplyclass',
  'pressure', 'rapl', 'schedstat', 'selinux', 'sockstat', 'softnet', 'stat', 'tapestats', 'textfile', 'thermal_zone', 'time', 'timex', 'udp_queues', 'uname',
  'vmstat', 'xfs', 'zfs',
];

export async function compareAllAtOnce(reference: string[], ours: string[], collectors = DEFAULT_COLLECTORS): Promise<CollectorComparison> {
  const [refBody, ourBody] = await Promise.all([scrapeOnce(reference, collectors, 'node_exporter'), scrapeOnce(ours, collectors, 'promethium node-exporter')]);
  const ref = new Map([...familyShapes(refBody)].filter(([n]) => !isScaffolding(n)));
  const mine = new Map([...familyShapes(ourBody)].filter(([n]) => !isScaffolding(n)));
  return { collector: '(defaults)', rows: compareFamilies(ref, mine), extra: [...mine.keys()].filter((n) => !ref.has(n)).sort() };
}

function markdown(results: CollectorComparison[], referenceVersion: string): string {
  const all = results.flatMap((r) => r.rows);
  const same = all.filter((r) => r.verdict === 'same').length;
  const lines = [
    '# Node exporter compatibility',
    '',
    `Produced by \`npx tsx scripts/node-exporter-compat.ts\` on ${new Date().toISOString().slice(0, 10)}: Debian's ${referenceVersion} and`,
    '`promethium node-exporter` run on the same machine with one collector enabled at a time; every metric family',
    'node_exporter exposes is looked up in ours (same type, label names, HELP text and number of series).',
    'Families depend on the machine and its defaults on Debian\'s (e.g. pressure needs a kernel with PSI),',
    'so the table is what this machine shows.',
    '',
    `**${same} of ${all.length} families the same.** Go runtime families (\`go_*\`) have no Node counterpart.`,
    '',
    '| collector | family | type | labels | ours |',
    '|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const row of r.rows) {
      const verdict = row.verdict === 'same' ? 'same' : row.verdict === 'missing' ? '**missing**' : row.verdict === 'series count differs' ? `**${row.verdict}**: ${row.ours?.series} vs ${row.reference.series}` : `**${row.verdict}**: ${row.ours?.type} {${row.ours?.labelNames.join(', ')}}`;
      lines.push(`| ${r.collector} | \`${row.name}\` | ${row.reference.type} | ${row.reference.labelNames.join(', ')} | ${verdict} |`);
    }
  }
  const extras = results.filter((r) => r.extra.length > 0);
  if (extras.length > 0) {
    lines.push('', 'Families ours exposes that node_exporter 1.5 does not:', '');
    for (const r of extras) lines.push(`- ${r.collector}: ${r.extra.map((e) => `\`${e}\``).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
  };
  const reference = opt('--reference', '/usr/bin/prometheus-node-exporter');
  const outFile = opt('--out', `${root}docs/node-exporter-compatibility.md`);
  const version = await new Promise<string>((resolve) => {
    const c = spawn(reference, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let t = '';
    c.stdout?.on('data', (d: Buffer) => (t += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (t += d.toString()));
    c.on('close', () => resolve(/version (\S+)/.exec(t)?.[1] ? `node_exporter ${/version (\S+)/.exec(t)![1]}` : 'node_exporter'));
  });
  // The table covers node_exporter's default collectors, one at a time.
  const results = await compareWithNodeExporter([reference], [process.execPath, `${root}bin/promethium.js`, 'node-exporter'], DEFAULT_COLLECTORS);
  writeFileSync(outFile, markdown(results, version));
  const all = results.flatMap((r) => r.rows);
  for (const r of all.filter((x) => x.verdict !== 'same')) console.log(`${r.verdict}: ${r.name} (ours ${r.ours?.series ?? 0}, node_exporter ${r.reference.series})`);
  console.log(`${all.filter((r) => r.verdict === 'same').length}/${all.length} families the same; table written to ${outFile}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
