// gzip content coding for HTTP answers, shared by every server that answers in it: the API and
// /federate and /metrics of `promethium server` (as Prometheus compresses them) and the node
// exporter's /metrics. What a client accepts, which answers are worth compressing, and how.
import { createGzip, gzipSync, constants } from 'node:zlib';
import type { Gzip } from 'node:zlib';

/**
 * Bodies smaller than this are sent as they are. With its headers (about 200 bytes) such an
 * answer fits in one TCP segment on an Ethernet path (1,448 bytes of payload), so compressing it
 * saves no packet and no round trip; what it costs is a compressor set up and torn down per
 * answer: 35 µs on a busy server, 200 µs or more on one that idled between requests (its code and
 * data out of the CPU's caches), measured on a 2-core machine with an `up` answer over ten targets
 * (1,112 bytes). Polled small answers (`up`, a few series, a status page) are most requests.
 */
export const MIN_GZIP_BYTES = 1200;

/**
 * Bodies up to this size are compressed in one call on the event loop (about 0.1 ms on a 2-core
 * machine). For them a compressor stream costs more than the compression: its set-up, and a hop
 * to a thread-pool thread and back that a busy machine makes slow to schedule. An `up` over a
 * hundred targets, a label list or the targets page are such answers.
 */
export const SYNC_GZIP_MAX_BYTES = 16 * 1024;

/** The fastest level: a query answer is mostly repeated timestamps and digits, which even it
 * shrinks about tenfold, and the CPU it saves is what keeps large answers quick. */
const GZIP_LEVEL = constants.Z_BEST_SPEED;

/** Whether an Accept-Encoding header accepts gzip, by name or as `*` (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** A Vary header's value with Accept-Encoding among its names, the names already there kept (CORS: Origin). */
export function varyingOnEncoding(vary: unknown): string {
  const names = vary === undefined ? [] : String(vary).split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (!names.some((v) => v.toLowerCase() === 'accept-encoding')) names.push('Accept-Encoding');
  return names.join(', ');
}

/**
 * The gzip-compressed body: at once for a small body, as a compressor stream fed from the thread
 * pool for a large one (the event loop is not held for it, and no second whole copy is made; the
 * stream reads `body` until it closes).
 */
export function gzipped(body: Buffer): Buffer | Gzip {
  if (body.length <= SYNC_GZIP_MAX_BYTES) return gzipSync(body, { level: GZIP_LEVEL });
  const gz = createGzip({ level: GZIP_LEVEL });
  gz.end(body);
  return gz;
}
