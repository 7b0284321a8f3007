// `promethium server` from the sources, with probes for bench/pause-probe.ts: the event loop's
// delay and the main thread's time inside the storage's native calls, printed to stderr every
// few seconds as `probe ...` lines. The probes wrap the methods from outside, so the server's
// code is measured as it is.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Storage } from '../src/storage/storage.js';
import { TextScrapeCache } from '../src/storage/text-scrape-cache.js';
import { run } from '../src/cli.js';

const REPORT_EVERY_MS = 5000;
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

/** Per wrapped method: calls, total and longest time the main thread spent in it (sync part only). */
const spent = new Map<string, { calls: number; totalMs: number; maxMs: number }>();

function time(proto: object, method: string, label: string): void {
  const target = proto as Record<string, unknown>;
  const original = target[method];
  if (typeof original !== 'function') return;
  target[method] = function (this: unknown, ...args: unknown[]): unknown {
    const t0 = performance.now();
    try {
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      const ms = performance.now() - t0;
      const s = spent.get(label) ?? { calls: 0, totalMs: 0, maxMs: 0 };
      s.calls++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      spent.set(label, s);
    }
  };
}

// The addon's own classes have read-only methods: the storage's wrappers are timed instead, all
// of them (plain methods, not accessors).
for (const name of Object.getOwnPropertyNames(Storage.prototype)) {
  const d = Object.getOwnPropertyDescriptor(Storage.prototype, name);
  if (name !== 'constructor' && d !== undefined && typeof d.value === 'function') time(Storage.prototype, name, `storage.${name}`);
}
time(TextScrapeCache.prototype, 'scan', 'cache.scan');
time(TextScrapeCache.prototype, 'finish', 'cache.finish');
time(TextScrapeCache.prototype, 'fail', 'cache.fail');

/** Garbage collections: count, total and longest pause (ms) since the last report. */
const gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

const t0 = Date.now();
setInterval(() => {
  const calls = [...spent].filter(([, s]) => s.maxMs >= 5).map(([k, s]) => `${k}=${s.calls}/${s.totalMs.toFixed(0)}/${s.maxMs.toFixed(0)}`).join(' ');
  process.stderr.write(`probe t=${((Date.now() - t0) / 1000).toFixed(0)} eld_max=${(delay.max / 1e6).toFixed(0)} eld_p99=${(delay.percentile(99) / 1e6).toFixed(0)} gc=${gc.count}/${gc.totalMs.toFixed(0)}/${gc.maxMs.toFixed(0)} ${calls}\n`);
  Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0 });
  delay.reset();
  spent.clear();
}, REPORT_EVERY_MS).unref();

process.exitCode = await run(process.argv.slice(2));
