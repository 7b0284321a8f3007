// What a collector is: a named reader of one part of the host that adds metric families with
// node_exporter's names, help texts and labels.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';

export interface CollectorOptions {
  mountPointsExclude: RegExp;
  fsTypesExclude: RegExp;
  netdevDeviceExclude?: RegExp;
  netdevDeviceInclude?: RegExp;
  diskstatsDeviceExclude: RegExp;
  netclassIgnoredDevices: RegExp;
}

export interface Collector {
  name: string;
  /** Whether it runs unless switched off (node_exporter 1.5's defaults). */
  enabledByDefault: boolean;
  collect(h: HostFiles, out: FamilySet, o: CollectorOptions): Promise<void>;
}

/** A whitespace-separated line of numbers. */
export function numbers(text: string): number[] {
  return text.trim().split(/\s+/).map(Number);
}
