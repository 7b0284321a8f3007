// The scrape manager: one pool per job, each pool one loop per target. Applying a new
// configuration (start or reload) keeps the loops of targets that did not change, so a reload
// neither resets their scrape cache nor leaves gaps; removed targets get stale markers.
import { buildTargets, type TargetDefaults, type TargetResult } from './targets.js';
import type { TargetGroup } from '../discovery/target-group.js';
import { ScrapeLoop, type ScrapeLoopDeps, type ScrapeOptions, type TargetState, type FamilyMetadata } from './loop.js';
import { labelsKey, type Labels } from '../model/labels.js';
import type { Logger } from '../util/logger.js';
import { ScrapeBodyBuffer } from '../common/http-config/http-get.js';

/** Everything the manager needs to know about one scrape job. */
export interface ScrapePoolSpec {
  jobName: string;
  defaults: TargetDefaults;
  relabel: (labels: Labels) => Labels | null;
  /** Loop options except interval/timeout, which come per target (relabeling may change them). */
  options: Omit<ScrapeOptions, 'intervalMs' | 'timeoutMs'>;
  /** target_limit: more targets than this fail every target of the pool. 0 = no limit. */
  targetLimit: number;
  /** keep_dropped_targets: how many dropped targets are listed (all are counted). 0 = no limit. */
  keepDroppedTargets?: number;
  /** A fingerprint of the job's configuration: loops restart when it changes. */
  configHash: string;
}

export interface ActiveTarget {
  scrapePool: string;
  labels: Labels;
  discoveredLabels: Labels;
  scrapeUrl: string;
  globalUrl: string;
  intervalMs: number;
  timeoutMs: number;
  state: TargetState;
  /** Metric families of the last successful scrape. */
  metadata(): ReadonlyMap<string, FamilyMetadata>;
}

export interface DroppedTarget {
  scrapePool: string;
  discoveredLabels: Labels;
}

interface LoopEntry {
  loop: ScrapeLoop;
  labels: Labels;
  discoveredLabels: Labels;
  configHash: string;
  /** Closed (its idle connection) once the loop has stopped. */
  bodyBuffer: ScrapeBodyBuffer;
}

class ScrapePool {
  private loops = new Map<string, LoopEntry>();
  private dropped: Labels[] = [];
  private droppedCount = 0;
  private groups: TargetGroup[] = [];

  constructor(
    public spec: ScrapePoolSpec,
    private readonly deps: ScrapeLoopDeps,
    private readonly logger: Logger,
  ) {}

  setGroups(groups: TargetGroup[]): Promise<void> {
    this.groups = groups;
    return this.sync();
  }

  async applySpec(spec: ScrapePoolSpec): Promise<void> {
    this.spec = spec;
    await this.sync();
  }

  private async sync(): Promise<void> {
    const results: TargetResult[] = buildTargets(this.groups, this.spec.defaults, this.spec.relabel);
    const next = new Map<string, { labels: Labels; discovered: Labels; url: URL; intervalMs: number; timeoutMs: number }>();
    const dropped: Labels[] = [];
    for (const r of results) {
      if (r.kind === 'dropped') dropped.push(r.discoveredLabels);
      else if (r.kind === 'error') {
        this.logger.error('Creating target failed', { component: 'scrape manager', scrape_pool: this.spec.jobName, err: r.error });
        dropped.push(r.discoveredLabels);
      } else {
        const t = r.target;
        // Two groups may list the same target; it is scraped once.
        next.set(`${labelsKey(t.labels)}|${t.url.href}`, { labels: t.labels, discovered: t.discoveredLabels, url: t.url, intervalMs: t.intervalMs, timeoutMs: t.timeoutMs });
      }
    }
    const keep = this.spec.keepDroppedTargets ?? 0;
    this.droppedCount = dropped.length;
    this.dropped = keep > 0 && dropped.length > keep ? dropped.slice(0, keep) : dropped;
    const stops: Promise<void>[] = [];
    for (const [key, entry] of this.loops) {
      const keep = next.get(key);
      if (keep === undefined || entry.configHash !== this.spec.configHash) {
        stops.push(entry.loop.stop(keep === undefined).finally(() => entry.bodyBuffer.close()));
        this.loops.delete(key);
      }
    }
    await Promise.all(stops);
    const overLimit = this.spec.targetLimit > 0 && next.size > this.spec.targetLimit;
    for (const [key, t] of next) {
      if (this.loops.has(key)) continue;
      // The target's own receive memory and kept-alive connection (common/http-config/scrape-body-buffer.ts).
      const bodyBuffer = new ScrapeBodyBuffer();
      const options = { ...this.spec.options, http: { ...this.spec.options.http, bodyBuffer }, intervalMs: t.intervalMs, timeoutMs: t.timeoutMs };
      const loop = new ScrapeLoop(t.url, t.labels, options, this.deps);
      this.loops.set(key, { loop, labels: t.labels, discoveredLabels: t.discovered, configHash: this.spec.configHash, bodyBuffer });
      if (overLimit) {
        loop.state.health = 'down';
        loop.state.lastError = `target_limit exceeded (number of targets: ${next.size}, limit: ${this.spec.targetLimit})`;
      } else {
        loop.start(this.spec.jobName);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.loops.values()].map((e) => e.loop.stop(true).finally(() => e.bodyBuffer.close())));
    this.loops.clear();
  }

  active(): ActiveTarget[] {
    return [...this.loops.values()].map((e) => ({
      scrapePool: this.spec.jobName,
      labels: e.labels,
      discoveredLabels: e.discoveredLabels,
      scrapeUrl: e.loop.url.href,
      globalUrl: e.loop.url.href,
      intervalMs: e.loop.options.intervalMs,
      timeoutMs: e.loop.options.timeoutMs,
      state: e.loop.state,
      metadata: () => e.loop.metadata,
    }));
  }

  droppedTargets(): DroppedTarget[] {
    return this.dropped.map((d) => ({ scrapePool: this.spec.jobName, discoveredLabels: d }));
  }

  /** Every dropped target, also those keep_dropped_targets does not list. */
  droppedTargetCount(): number {
    return this.droppedCount;
  }
}

export interface PoolSource {
  spec: ScrapePoolSpec;
  /** Subscribes to the pool's target groups; returns a function that stops discovery. */
  discover(onGroups: (groups: TargetGroup[]) => void): () => void;
}

export class ScrapeManager {
  private readonly pools = new Map<string, { pool: ScrapePool; stopDiscovery: () => void }>();

  constructor(
    private readonly deps: ScrapeLoopDeps,
    private readonly logger: Logger,
  ) {}

  /** Applies a configuration: pools are created, updated or stopped to match `sources`. */
  async apply(sources: PoolSource[]): Promise<void> {
    const wanted = new Map(sources.map((s) => [s.spec.jobName, s]));
    for (const [name, p] of this.pools) {
      if (!wanted.has(name)) {
        p.stopDiscovery();
        await p.pool.stop();
        this.pools.delete(name);
      }
    }
    for (const src of sources) {
      const existing = this.pools.get(src.spec.jobName);
      let pool: ScrapePool;
      if (existing !== undefined) {
        existing.stopDiscovery();
        pool = existing.pool;
        await pool.applySpec(src.spec);
      } else {
        pool = new ScrapePool(src.spec, this.deps, this.logger);
      }
      const stopDiscovery = src.discover((groups) => {
        pool.setGroups(groups).catch((e: unknown) => this.logger.error('Syncing scrape pool failed', { scrape_pool: src.spec.jobName, err: e as Error }));
      });
      this.pools.set(src.spec.jobName, { pool, stopDiscovery });
    }
  }

  async stop(): Promise<void> {
    for (const p of this.pools.values()) p.stopDiscovery();
    await Promise.all([...this.pools.values()].map((p) => p.pool.stop()));
    this.pools.clear();
  }

  activeTargets(): ActiveTarget[] {
    return [...this.pools.values()].flatMap((p) => p.pool.active());
  }

  droppedTargets(): DroppedTarget[] {
    return [...this.pools.values()].flatMap((p) => p.pool.droppedTargets());
  }

  /** Dropped targets per scrape pool, counted in full. */
  droppedTargetCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, p] of this.pools) out[name] = p.pool.droppedTargetCount();
    return out;
  }

  poolNames(): string[] {
    return [...this.pools.keys()].sort();
  }
}
