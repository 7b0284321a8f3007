// Upstream's end-to-end check of node_exporter 1.5.0, run against our exporter: the fixture tree
// (a fake /proc, /sys and udev database, textfile inputs) is unpacked as upstream's script lays it
// out (`collector/fixtures/...` under a working directory, so paths in HELP texts come out the
// same), our exporter runs with the script's flags, and the scrape, filtered as the script filters
// it, is compared with `e2e-output.txt` family by family.
//
//   npx tsx scripts/node-exporter-e2e.ts [--write-status]   prints the families that differ
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/util/free-port.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The fixtures' default home when run as a script (the tests find it through __test__/helpers/conformance.ts). */
const DEFAULT_E2E_DIR = join(process.env['PROMETHIUM_CONFORMANCE_DIR'] ?? '/work/shared/conformance', 'node-exporter-e2e');

const ENABLED = [
  'arp', 'bcache', 'bonding', 'btrfs', 'buddyinfo', 'cgroups', 'conntrack', 'cpu', 'cpufreq', 'diskstats', 'dmi', 'drbd', 'edac', 'entropy',
  'fibrechannel', 'filefd', 'hwmon', 'infiniband', 'interrupts', 'ipvs', 'ksmd', 'lnstat', 'loadavg', 'mdadm', 'meminfo', 'meminfo_numa',
  'mountstats', 'netdev', 'netstat', 'nfs', 'nfsd', 'pressure', 'processes', 'qdisc', 'rapl', 'schedstat', 'selinux', 'slabinfo', 'sockstat',
  'stat', 'sysctl', 'textfile', 'thermal_zone', 'udp_queues', 'vmstat', 'wifi', 'xfs', 'zfs', 'zoneinfo',
];
const DISABLED = ['filesystem', 'timex', 'uname'];

/** The flags of upstream's end-to-end script (x86_64 variant), relative to the working directory. */
export function upstreamArgs(): string[] {
  return [
    '--path.rootfs=collector/fixtures',
    '--path.procfs=collector/fixtures/proc',
    '--path.sysfs=collector/fixtures/sys',
    '--path.udev.data=collector/fixtures/udev/data',
    ...ENABLED.map((c) => `--collector.${c}`),
    ...DISABLED.map((c) => `--no-collector.${c}`),
    '--collector.textfile.directory=collector/fixtures/textfile/two_metric_files/',
    '--collector.wifi.fixtures=collector/fixtures/wifi',
    '--collector.qdisc.fixtures=collector/fixtures/qdisc/',
    '--collector.qdisk.device-include=(wlan0|eth0)',
    '--collector.arp.device-exclude=nope',
    '--collector.netclass.ignored-devices=(dmz|int)',
    '--collector.netclass.ignore-invalid-speed',
    '--collector.netdev.device-include=lo',
    '--collector.bcache.priorityStats',
    '--collector.cpu.info',
    '--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$',
    '--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$',
    '--collector.stat.softirq',
    '--collector.sysctl.include=kernel.threads-max',
    '--collector.sysctl.include=fs.file-nr',
    '--collector.sysctl.include=fs.file-nr:total,current,max',
    '--collector.sysctl.include-info=kernel.seccomp.actions_avail',
    '--log.level=debug',
  ];
}

/** The flag's name without `--`, `no-` and `=value`. */
export function flagName(arg: string): string {
  return arg.replace(/^--(no-)?/, '').replace(/=.*$/, '');
}

/** Lines upstream's script drops before diffing: runtime, build, timing and mtime families' samples. */
const SKIP = /^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|node_textfile_mtime_seconds|node_time_(zone|seconds)|node_network_(receive|transmit)_(bytes|packets)_total)/;

export function filterScrape(body: string): string {
  return body.split('\n').filter((l) => l !== '' && !SKIP.test(l)).join('\n');
}

/** Each family's lines (HELP, TYPE, samples), by name. */
export function familyBlocks(filtered: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of filtered.split('\n')) {
    if (line === '') continue;
    const m = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    const owner = m ? m[1]! : name;
    if (m) name = m[1]!;
    out.set(owner, out.has(owner) ? `${out.get(owner)}\n${line}` : line);
  }
  return out;
}

/** Copies the fixtures to `<work>/collector/fixtures` and unpacks the sysfs and udev archives there. */
export function unpackFixtures(e2eDir: string, work: string): void {
  const dest = join(work, 'collector', 'fixtures');
  mkdirSync(dest, { recursive: true });
  cpSync(join(e2eDir, 'fixtures'), dest, { recursive: true });
  for (const archive of ['sys.ttar', 'udev.ttar']) {
    const r = spawnSync('bash', [join(e2eDir, 'ttar'), '-C', dest, '-x', '-f', join(dest, archive)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`unpacking ${archive}: ${r.stderr}`);
  }
  // Upstream's proc/self is a symlink (to "10"); the stored copy holds its target as a plain file.
  const self = join(dest, 'proc', 'self');
  if (lstatSync(self).isFile()) {
    const target = readFileSync(self, 'utf8').trim();
    rmSync(self);
    symlinkSync(target, self);
  }
}

export interface E2eRun {
  expected: Map<string, string>;
  ours: Map<string, string>;
  log: string;
}

/** Runs our exporter over an unpacked tree in `work` with upstream's flags (those it knows) and scrapes it once. */
export async function runOurs(e2eDir: string, work: string, knownFlags: ReadonlySet<string>): Promise<E2eRun> {
  const port = await freePort();
  const args = upstreamArgs().filter((a) => knownFlags.has(flagName(a)));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, '__test__/helpers/cli.ts'), 'node-exporter', `--web.listen-address=127.0.0.1:${port}`, ...args], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  try {
    let body: string | undefined;
    for (let i = 0; i < 400 && body === undefined; i++) {
      if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}:\n${log}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (r.ok) body = await r.text();
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (body === undefined) throw new Error(`exporter did not answer:\n${log}`);
    const expected = familyBlocks(filterScrape(readFileSync(join(e2eDir, 'fixtures', 'e2e-output.txt'), 'utf8')));
    return { expected, ours: familyBlocks(filterScrape(body)), log };
  } finally {
    child.kill('SIGTERM');
  }
}

/** Families whose block differs (missing in ours, different, or only in ours), sorted. */
export function differingFamilies(run: E2eRun): string[] {
  const names = new Set([...run.expected.keys(), ...run.ours.keys()]);
  return [...names].filter((n) => run.expected.get(n) !== run.ours.get(n)).sort();
}

/** `e2e-pending.tsv`: family<TAB>reason, `#` comments. */
export function readPending(path: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, reason] = line.split('\t');
    out.set(name!, reason ?? '');
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { knownFlagNames } = await import('../src/node-exporter/main.js');
  // NE_E2E_WORK=<dir> reuses a tree unpacked by an earlier run (unpacking takes a while).
  const reuse = process.env['NE_E2E_WORK'];
  const work = reuse !== undefined && existsSync(join(reuse, 'collector')) ? reuse : mkdtempSync(join(tmpdir(), 'ne-e2e-'));
  if (work !== reuse) unpackFixtures(DEFAULT_E2E_DIR, work);
  const run = await runOurs(DEFAULT_E2E_DIR, work, knownFlagNames());
  const pending = readPending(join(root, '__test__/node-exporter/e2e-pending.tsv'));
  const diff = differingFamilies(run);
  const show = process.argv.includes('--show');
  for (const n of diff) {
    console.log(`${pending.has(n) ? 'pending' : 'NEW    '} ${n}${run.expected.has(n) ? '' : ' (only ours)'}${run.ours.has(n) ? '' : ' (missing)'}`);
    if (show && run.ours.has(n) && run.expected.has(n)) console.log(`--- expected\n${run.expected.get(n)}\n+++ ours\n${run.ours.get(n)}`);
  }
  const matching = [...pending.keys()].filter((n) => !diff.includes(n));
  for (const n of matching) console.log(`MATCHES ${n} (listed as pending)`);
  // --prune takes the families that match now off the pending list (their reasons no longer hold).
  if (process.argv.includes('--prune') && matching.length > 0) {
    const path = join(root, '__test__/node-exporter/e2e-pending.tsv');
    const drop = new Set(matching);
    writeFileSync(path, readFileSync(path, 'utf8').split('\n').filter((l) => !drop.has(l.split('\t')[0]!)).join('\n'));
  }
  console.log(`${diff.length} differ of ${run.expected.size} expected; work dir ${work}`);
}
