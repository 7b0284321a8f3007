// Reading upstream's JSON fixture hooks (the qdisc and wifi collectors take Go's JSON of their
// netlink libraries' structs, as node_exporter's tests do).
import type { HostFiles } from '../context.js';

/** The file's JSON; a parse error names the file. */
export async function readFixtureJson(h: HostFiles, path: string): Promise<unknown> {
  const text = await h.read(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** A JSON number, or 0 as Go's zero value for anything else. */
export function fixtureNumber(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** A JSON object's own field (never one of Object.prototype's). */
export function fixtureField(o: unknown, name: string): unknown {
  return typeof o === 'object' && o !== null && Object.hasOwn(o, name) ? (o as Record<string, unknown>)[name] : undefined;
}
