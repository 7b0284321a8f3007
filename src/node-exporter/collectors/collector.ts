// What a collector is: a named reader of one part of the host that adds metric families with
// node_exporter's names, help texts and labels. A collector may declare its own flags
// (`collector.<name>.<option>`, node_exporter's spelling); main parses them with the rest and
// hands their values over in CollectorOptions.flags.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { FlagSpec } from '../../util/flags.js';
import { compile, Re2SyntaxError } from '../../regex/re2.js';

export interface CollectorOptions {
  mountPointsExclude: RegExp;
  fsTypesExclude: RegExp;
  netdevDeviceExclude?: RegExp;
  netdevDeviceInclude?: RegExp;
  diskstatsDeviceExclude: RegExp;
  netclassIgnoredDevices: RegExp;
  /** Values of the collectors' own flags by flag name, e.g. `collector.textfile.directory`. */
  flags: ReadonlyMap<string, unknown>;
}

export interface Collector {
  name: string;
  /** Whether it runs unless switched off (node_exporter 1.5's defaults). */
  enabledByDefault: boolean;
  /** Its own flags, by full name. */
  flags?: Record<string, FlagSpec<unknown>>;
  collect(h: HostFiles, out: FamilySet, o: CollectorOptions): Promise<void>;
}

/**
 * What a collector throws when the host simply lacks what it reads (no ZFS, no RAID, no InfiniBand).
 * It still reports node_scrape_collector_success 0, but is logged at debug level, as
 * node_exporter's "collector returned no data", not as a failure every scrape.
 */
export class NoDataError extends Error {
  constructor(message: string) {
    // Thrown on every scrape of a host without the subsystem, and only its message is ever logged:
    // capturing a stack trace each time was measurable CPU per scrape for nothing.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A collector flag's value (its default when the flag was not given). */
export function flagValue<T>(o: CollectorOptions, name: string): T {
  if (!o.flags.has(name)) throw new Error(`no flag --${name}`);
  return o.flags.get(name) as T;
}

function compileFlag(pattern: string): RegExp {
  try {
    return compile(pattern);
  } catch (e) {
    throw new Error(e instanceof Re2SyntaxError ? e.message : String(e));
  }
}

/** A Go regexp flag (unanchored, RE2 syntax), compiled when parsed so a bad one stops the start. */
export function regexpFlag(help: string, def: string): FlagSpec<RegExp> {
  return { help, default: compileFlag(def), defaultText: JSON.stringify(def), takesValue: true, repeatable: false, parse: compileFlag };
}

/** A regexp flag without a default: undefined when not given. */
export function optionalRegexpFlag(help: string): FlagSpec<RegExp | undefined> {
  return { help, default: undefined, takesValue: true, repeatable: false, parse: compileFlag };
}

/** A whitespace-separated line of numbers. */
export function numbers(text: string): number[] {
  return text.trim().split(/\s+/).map(Number);
}

/** A number from a file the kernel writes; throws (failing the collector) on anything else. */
export function parseNumber(text: string, where: string): number {
  const t = text.trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : t === '' ? NaN : Number(t);
  if (Number.isNaN(v)) throw new Error(`${where}: not a number: ${JSON.stringify(t.slice(0, 40))}`);
  return v;
}
