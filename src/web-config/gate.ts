// What every request passes before the server sees it, as exporter-toolkit's handler does: the
// web config read again (a changed file applies to the next request, so passwords rotate without
// a restart), the rate limit, the security headers, and basic authentication against bcrypt
// hashes. Verified credentials are cached (bcrypt is slow on purpose); bcrypt runs off the event
// loop, one verification at a time so that guessing cannot take every worker thread.
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { hashSync, verify } from '@node-rs/bcrypt';
import { readWebConfig, type WebConfig } from './config.js';
import type { Logger } from '../util/logger.js';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** How many verified (user, hash, password) outcomes are remembered; exporter-toolkit keeps 100. */
const CACHE_SIZE = 100;
/** Verifications waiting their turn beyond which requests are turned away (503) instead of queued. */
const MAX_WAITING = 256;

/** Too many passwords are waiting to be checked: the request is refused rather than queued. */
export class AuthBusyError extends Error {}

/** User and password of an `Authorization: Basic` header, as Go's Request.BasicAuth reads it. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const b64 = header.slice(6);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

/** Go's token bucket (golang.org/x/time/rate): `burst` tokens, one more every `intervalMs`. */
class RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
  ) {
    this.tokens = burst;
  }

  allow(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class BasicAuthVerifier {
  private readonly cache = new Map<string, boolean>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  // Unknown users are checked against this, so that they take as long as known ones.
  private readonly decoyHash = hashSync(randomBytes(16).toString('hex'), 10);

  constructor(private readonly maxWaiting = MAX_WAITING) {}

  /** Whether the credentials match a user of the table. */
  async check(users: ReadonlyMap<string, string>, user: string, password: string): Promise<boolean> {
    const stored = users.get(user);
    const known = stored !== undefined;
    const hash = stored ?? this.decoyHash;
    // The key holds a digest, not the password itself.
    const key = createHash('sha256').update(`${user.length}:${user}\0${hash}\0`).update(password).digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached && known;
    const ok = await this.serialized(() => verify(password, hash).catch(() => false));
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, ok && known);
    return ok && known;
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    // A flood of new passwords must not queue without bound (each waiting request holds memory).
    if (this.waiting >= this.maxWaiting) return Promise.reject(new AuthBusyError('too many password checks in progress'));
    this.waiting++;
    const run = this.queue.then(task, task).finally(() => this.waiting--);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function plainError(res: Response, code: number, text: string): void {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.statusCode = code;
  res.end(`${text}\n`);
}

/** The per-request front door of a server with a web config. */
export class WebGate {
  private config: WebConfig;
  private stamp: string;
  private readonly limiter: RateLimiter | undefined;
  private readonly auth = new BasicAuthVerifier();

  constructor(
    private readonly file: string,
    initial: WebConfig,
    private readonly logger: Logger,
  ) {
    this.config = initial;
    this.stamp = this.stampOf();
    // As exporter-toolkit, the limiter is made once, from the file read at start-up.
    this.limiter = initial.rateLimit !== undefined ? new RateLimiter(initial.rateLimit.burst, initial.rateLimit.intervalMs) : undefined;
  }

  private stampOf(): string {
    try {
      const s = statSync(this.file);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch {
      return 'missing';
    }
  }

  /** The config for this request: read again when the file changed; an Error when it is unusable. */
  private current(): WebConfig | Error {
    const stamp = this.stampOf();
    if (stamp === this.stamp) return this.config;
    try {
      this.config = readWebConfig(this.file);
      this.stamp = stamp;
      return this.config;
    } catch (e) {
      return e as Error;
    }
  }

  /** Answers the request itself (500, 429, 401) or resolves true to let the server handle it. */
  async admit(req: Request, res: Response): Promise<boolean> {
    const c = this.current();
    if (c instanceof Error) {
      this.logger.error('Unable to parse configuration', { err: c });
      plainError(res, 500, 'Internal Server Error');
      return false;
    }
    if (this.limiter !== undefined && !this.limiter.allow()) {
      plainError(res, 429, 'Too Many Requests');
      return false;
    }
    for (const [k, v] of c.headers) res.setHeader(k, v);
    if (c.users.size === 0) return true;
    const creds = basicCredentials(req.headers.authorization);
    try {
      if (creds !== undefined && (await this.auth.check(c.users, creds.user, creds.password))) return true;
    } catch (e) {
      if (!(e instanceof AuthBusyError)) throw e;
      res.setHeader('Retry-After', '1');
      plainError(res, 503, 'Service Unavailable');
      return false;
    }
    res.setHeader('WWW-Authenticate', 'Basic');
    plainError(res, 401, 'Unauthorized');
    return false;
  }
}
