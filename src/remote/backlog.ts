// --storage.remote.max-backlog: how much WAL the remote-write queues may hold back from head
// truncation while a receiver is away, as bytes ("512MB", "1GiB") or as age ("2h").
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parsePromDuration } from '../model/duration.js';

export type MaxBacklog = { bytes: number } | { ms: number };

const UNITS: Record<string, number> = { B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3, TB: 1024 ** 4, TIB: 1024 ** 4 };

export function parseMaxBacklog(s: string): MaxBacklog {
  const t = s.trim();
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]+)$/.exec(t);
  if (m !== null && UNITS[m[2]!.toUpperCase()] !== undefined) {
    const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
    if (bytes <= 0) throw new Error(`--storage.remote.max-backlog ${JSON.stringify(s)} must be positive`);
    return { bytes };
  }
  try {
    const ms = parsePromDuration(t);
    if (ms > 0) return { ms };
  } catch {
    // Reported below.
  }
  throw new Error(`--storage.remote.max-backlog ${JSON.stringify(s)}: use a size (512MB, 1GiB) or a duration (2h)`);
}

export interface WalSegmentFile {
  segment: number;
  bytes: number;
  mtimeMs: number;
}

export function walSegments(walDir: string): WalSegmentFile[] {
  let names: string[];
  try {
    names = readdirSync(walDir);
  } catch {
    return [];
  }
  const out: WalSegmentFile[] = [];
  for (const n of names) {
    if (!/^\d{8}$/.test(n)) continue;
    try {
      const st = statSync(join(walDir, n));
      out.push({ segment: Number(n), bytes: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // Removed meanwhile by a checkpoint.
    }
  }
  return out.sort((a, b) => a.segment - b.segment);
}

/**
 * The first segment the queues may keep when their oldest needs `floor`: past the bound, the
 * oldest segments are given up (never the one being written).
 */
export function backlogFloor(segments: readonly WalSegmentFile[], floor: number, max: MaxBacklog, now = Date.now()): number {
  const kept = segments.filter((s) => s.segment >= floor);
  let total = kept.reduce((n, s) => n + s.bytes, 0);
  let i = 0;
  while (i < kept.length - 1) {
    const s = kept[i]!;
    const over = 'bytes' in max ? total > max.bytes : s.mtimeMs < now - max.ms;
    if (!over) break;
    total -= s.bytes;
    i++;
  }
  return i === 0 ? floor : kept[i]!.segment;
}

/**
 * WAL bytes from `from` up to `to` (the WAL's end when null), over the segments as they are now:
 * a segment removed meanwhile counts nothing.
 */
export function walBytesBetween(segments: readonly WalSegmentFile[], from: { segment: number; offset: number }, to: { segment: number; offset: number } | null): number {
  let total = 0;
  for (const s of segments) {
    if (s.segment < from.segment || (to !== null && s.segment > to.segment)) continue;
    const start = s.segment === from.segment ? from.offset : 0;
    const end = to !== null && s.segment === to.segment ? Math.min(to.offset, s.bytes) : s.bytes;
    total += Math.max(0, end - start);
  }
  return total;
}
