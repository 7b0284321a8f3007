// Scrapes for the collectors that talk to services (systemd, logind, ntp, runit, supervisord):
// ours in process, and Debian's node_exporter 1.5 with the same flags against the same fake
// service, so a test can hold the two expositions side by side family by family.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HostFiles } from '../../src/node-exporter/context.js';
import { NodeExporter } from '../../src/node-exporter/exporter.js';
import type { CollectorFailure } from '../../src/node-exporter/exporter.js';
import { COLLECTORS, defaultCollectorFlags } from '../../src/node-exporter/collectors/index.js';
import { compile } from '../../src/regex/re2.js';
import { freePort, waitFor } from '../helpers/net.js';

export const REFERENCE = '/usr/bin/prometheus-node-exporter';

export interface OurScrape {
  body: string;
  failures: CollectorFailure[];
  logs: string[];
}

/** One scrape of `collector` by our exporter, with collector flags as node_exporter spells them. */
export async function ourScrape(collector: string, flags: Record<string, unknown> = {}): Promise<OurScrape> {
  const c = COLLECTORS.find((x) => x.name === collector);
  if (c === undefined) throw new Error(`no collector ${collector}`);
  const failures: CollectorFailure[] = [];
  const logs: string[] = [];
  const files = new HostFiles({ procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' });
  files.log = (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {}, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
  const none = compile('^$');
  const exporter = new NodeExporter({
    files,
    collectors: [c],
    options: { mountPointsExclude: none, fsTypesExclude: none, diskstatsDeviceExclude: none, netclassIgnoredDevices: none, flags: defaultCollectorFlags(flags) },
    exporterMetrics: false,
    onCollectorError: (f) => failures.push(f),
  });
  return { body: await exporter.scrape(), failures, logs };
}

/** One scrape of Debian's node_exporter with only `collector` enabled; undefined when it is not installed. */
export async function referenceScrape(collector: string, args: string[], env: Record<string, string> = {}): Promise<string | undefined> {
  if (!existsSync(REFERENCE)) return undefined;
  const port = await freePort();
  const child = spawn(REFERENCE, [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', `--collector.${collector}`, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString().slice(0, 4000)));
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitFor('node_exporter', async () => (child.exitCode !== null ? Promise.reject(new Error(log)) : (await fetch(url)).ok || undefined), 100, 50);
    return await (await fetch(url)).text();
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * The HELP, TYPE and sample lines of the families whose names start with `prefix`, and the
 * collector's success line; sample lines matching `skip` (figures that differ per query) dropped.
 */
export function familyLines(body: string, prefix: string, skip?: RegExp): string[] {
  return body.split('\n').filter((l) => {
    const name = l.startsWith('#') ? l.split(' ')[2] ?? '' : l.split(/[{ ]/)[0]!;
    if (!name.startsWith(prefix) && !l.startsWith('node_scrape_collector_success{')) return false;
    return skip === undefined || l.startsWith('#') || !skip.test(l);
  });
}

/** A sample's value from an exposition (undefined when the series is not there). */
export function sampleValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
