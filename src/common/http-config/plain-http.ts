// The scrape GET over plain http (no TLS, no proxy), reading the response straight into one
// buffer that a target keeps from scrape to scrape, on a connection it keeps alive.
//
// Why not node:http: its socket reads allocate a fresh 64 KiB buffer per read, the parser copies
// each body piece into yet another Buffer, and the pieces are joined into a third, fresh one: at
// a few MB per scrape that is most of a scrape's CPU (page faults of fresh memory, and V8 major GCs
// that the external memory churn sets off). Reading with `onread` into a reused buffer does none
// of that. HTTPS and proxies keep going through node:http (http-get.ts), which handles the rest.
import net from 'node:net';

/**
 * A target's receive buffer and idle connection, reused scrape after scrape. A body read into it
 * stays valid until the next request with the same ScrapeBodyBuffer starts; a request that starts
 * while another one is still reading gets buffers of its own.
 */
export class ScrapeBodyBuffer {
  /** The receive buffer; grows to the largest response seen. */
  buffer: Buffer = Buffer.alloc(0);
  /** Whether a request is reading into `buffer` now. */
  busy = false;
  /** A kept-alive connection between requests, with the origin (host:port) it goes to. */
  idle: { origin: string; connection: Connection } | undefined;

  /** Closes the idle connection (the target went away). */
  close(): void {
    this.idle?.connection.socket.destroy();
    this.idle = undefined;
  }
}

/** How long a kept-alive connection may wait for the next scrape (Prometheus: 90 s idle timeout). */
const IDLE_TIMEOUT_MS = 90_000;
/** Room asked for before each socket read. */
const READ_ROOM = 64 * 1024;
/** The longest response head accepted (Go's default MaxResponseHeaderBytes is 1 MiB). */
const MAX_HEAD_BYTES = 1 << 20;

export interface PlainResponse {
  status: number;
  statusMessage: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  /** The body as sent (still gzipped if it was). */
  body: Buffer;
}

/** An error of the exchange, already worded for the scrape's error text (without the `Get "url"` prefix). */
export class PlainHttpError extends Error {
  constructor(
    message: string,
    /** The body exceeded the size limit (worded without the prefix upstream). */
    readonly bodyLimit = false,
  ) {
    super(message);
  }
}

/** What a connection does with the bytes it reads; swapped per exchange. */
interface Reader {
  /** Where the next read goes (at least `atLeast` bytes of it). */
  room(atLeast?: number): Buffer;
  /**
   * Bytes arrived: normally at the start of what `room()` gave, but the socket asks for its next
   * buffer right after each read, so the first read of an exchange lands in the idle scratch one.
   */
  arrived(data: Buffer): void;
  /** The peer closed, or the socket failed. */
  ended(error: Error | undefined): void;
}

class Connection {
  reader: Reader | undefined;
  readonly socket: net.Socket;
  private scratch: Buffer | undefined;

  constructor(host: string, port: number) {
    this.socket = net.connect({
      host,
      port,
      onread: {
        buffer: () => this.reader?.room() ?? (this.scratch ??= Buffer.allocUnsafe(1024)),
        callback: (n: number, into: Uint8Array): boolean => {
          if (this.reader !== undefined) this.reader.arrived(Buffer.from(into.buffer, into.byteOffset, n));
          // Bytes while idle: the peer broke the protocol; the connection cannot be reused.
          else this.socket.destroy();
          return true;
        },
      },
    });
    this.socket.on('end', () => {
      this.reader?.ended(undefined);
      this.socket.destroy();
    });
    this.socket.on('error', (e) => this.reader?.ended(e));
    this.socket.on('close', () => this.reader?.ended(new Error('connection closed')));
    this.socket.on('timeout', () => this.socket.destroy());
  }
}

export interface PlainRequest {
  url: URL;
  /** Header lines as sent (validated by the caller: no CR/LF). */
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Bytes of body accepted (as sent on the wire); 0 = unlimited. */
  bodySizeLimit: number;
  buffers: ScrapeBodyBuffer;
  /** Words a socket error as Go does. */
  describe(e: NodeJS.ErrnoException): string;
}

/** Whether a header name and value can be written as they are (no line breaks, a token name). */
export function isWritableHeader(name: string, value: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) && !/[\r\n\0]/.test(value);
}

/** One GET; retried once on a fresh connection if a kept-alive one fails before answering. */
export async function plainGet(req: PlainRequest): Promise<PlainResponse> {
  const own = req.buffers;
  // A request overlapping another one of the same target reads into buffers of its own.
  const buffers = own.busy ? new ScrapeBodyBuffer() : own;
  buffers.busy = true;
  try {
    const origin = `${req.url.hostname}:${port(req.url)}`;
    const idle = buffers.idle?.origin === origin ? buffers.idle.connection : undefined;
    if (buffers.idle !== undefined && idle === undefined) buffers.close();
    buffers.idle = undefined;
    if (idle !== undefined && !idle.socket.destroyed) {
      const r = await exchange(req, buffers, idle, origin).catch((e: unknown) => (e instanceof StaleConnection ? undefined : Promise.reject(e)));
      if (r !== undefined) return r;
    }
    return await exchange(req, buffers, new Connection(req.url.hostname.replace(/^\[(.*)\]$/, '$1'), port(req.url)), origin);
  } finally {
    buffers.busy = false;
    if (buffers !== own) buffers.close();
  }
}

function port(url: URL): number {
  return url.port !== '' ? Number(url.port) : 80;
}

/** A kept-alive connection failed before any byte of the answer: worth one retry on a new one. */
class StaleConnection extends Error {}

/** How the body's end is known. */
type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

function exchange(req: PlainRequest, buffers: ScrapeBodyBuffer, conn: Connection, origin: string): Promise<PlainResponse> {
  const reused = conn.socket.readyState === 'open';
  return new Promise<PlainResponse>((resolve, reject) => {
    let buf = buffers.buffer;
    /** Bytes in `buf` (the head, the body so far, and raw bytes not yet decoded). */
    let filled = 0;
    let head: { status: number; statusMessage: string; headers: Map<string, string>; start: number; framing: Framing; keepAlive: boolean } | undefined;
    const chunked = new ChunkedDecoder();
    let settled = false;
    const finish = (error: Error | undefined, response?: PlainResponse, keep = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      conn.reader = undefined;
      // A buffer far larger than this answer (a target whose body shrank) is not kept for later.
      buffers.buffer = buf.length > 1 << 20 && buf.length > 4 * filled ? Buffer.alloc(0) : buf;
      if (keep && error === undefined) {
        conn.socket.unref();
        conn.socket.setTimeout(IDLE_TIMEOUT_MS);
        buffers.idle = { origin, connection: conn };
      } else conn.socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(response!);
    };
    const timer = setTimeout(() => finish(new PlainHttpError('context deadline exceeded')), req.timeoutMs);
    const onAbort = (): void => finish(new PlainHttpError('context canceled'));
    if (req.signal?.aborted === true) return onAbort();
    req.signal?.addEventListener('abort', onAbort);
    const limitExceeded = (bodyBytes: number): boolean => req.bodySizeLimit > 0 && bodyBytes > req.bodySizeLimit;
    const complete = (bodyEnd: number, keepAlive: boolean): void => {
      const h = head!;
      finish(undefined, { status: h.status, statusMessage: h.statusMessage, headers: h.headers, body: buf.subarray(h.start, bodyEnd) }, keepAlive);
    };
    /** Looks at what arrived: the head once it is whole, then whether the body is. */
    const progress = (): void => {
      if (head === undefined) {
        const end = buf.subarray(0, filled).indexOf('\r\n\r\n', 0, 'latin1');
        if (end < 0) {
          if (filled > MAX_HEAD_BYTES) finish(new PlainHttpError('net/http: server response headers exceeded 1048576 bytes; aborted'));
          return;
        }
        const parsed = parseHead(buf.toString('latin1', 0, end));
        if (typeof parsed === 'string') return finish(new PlainHttpError(`net/http: HTTP/1.x transport connection broken: ${parsed}`));
        if (parsed.status < 200) {
          // An informational answer (103 Early Hints...): the real one follows.
          buf.copyWithin(0, end + 4, filled);
          filled -= end + 4;
          return progress();
        }
        head = { ...parsed, start: end + 4 };
        if (head.framing.kind === 'length' && limitExceeded(head.framing.length)) return finish(new PlainHttpError(`body size limit exceeded: more than ${req.bodySizeLimit} bytes`, true));
      }
      const h = head;
      const got = filled - h.start;
      switch (h.framing.kind) {
        case 'none':
          return complete(h.start, h.keepAlive && got === 0);
        case 'length':
          if (got >= h.framing.length) complete(h.start + h.framing.length, h.keepAlive && got === h.framing.length);
          return;
        case 'chunked': {
          const r = chunked.decode(buf, h.start, filled);
          if (typeof r === 'string') return finish(new PlainHttpError(`net/http: HTTP/1.x transport connection broken: ${r}`));
          filled = r.filled;
          if (limitExceeded(r.bodyEnd - h.start)) return finish(new PlainHttpError(`body size limit exceeded: more than ${req.bodySizeLimit} bytes`, true));
          if (r.done) complete(r.bodyEnd, h.keepAlive && r.bodyEnd === filled);
          return;
        }
        case 'close':
          if (limitExceeded(got)) finish(new PlainHttpError(`body size limit exceeded: more than ${req.bodySizeLimit} bytes`, true));
          return;
      }
    };
    const reader: Reader = {
      room: (atLeast = 0) => {
        // With a Content-Length the buffer grows to the response's size at once, else by doubling.
        const expectedEnd = head?.framing.kind === 'length' ? head.start + head.framing.length : undefined;
        // Without one, room grows with what arrived (4 KiB to 64 KiB a read), so a small target's
        // buffer stays small: every target keeps its own.
        const unknownRoom = Math.min(READ_ROOM, Math.max(4096, filled));
        const need = filled + Math.max(atLeast, expectedEnd !== undefined ? Math.max(expectedEnd - filled, 1024) : unknownRoom);
        if (buf.length < need) {
          const grown = Buffer.allocUnsafe(expectedEnd !== undefined ? need : Math.max(buf.length * 2, need));
          buf.copy(grown, 0, 0, filled);
          buf = grown;
        }
        return buf.subarray(filled);
      },
      arrived: (data) => {
        if (data.buffer !== buf.buffer || data.byteOffset !== buf.byteOffset + filled) {
          reader.room(data.length);
          data.copy(buf, filled);
        }
        filled += data.length;
        progress();
      },
      ended: (error) => {
        if (settled) return;
        if (head?.framing.kind === 'close' && error === undefined) return complete(filled, false);
        if (reused && filled === 0) return finish(new StaleConnection());
        if (error !== undefined && error.message !== 'connection closed') return finish(new PlainHttpError(req.describe(error)));
        finish(new PlainHttpError('unexpected EOF'));
      },
    };
    conn.reader = reader;
    conn.socket.ref();
    conn.socket.setTimeout(0);
    const path = `${req.url.pathname}${req.url.search}`;
    let request = `GET ${path === '' ? '/' : path} HTTP/1.1\r\nHost: ${req.url.host}\r\n`;
    for (const [name, value] of Object.entries(req.headers)) request += `${name}: ${value}\r\n`;
    conn.socket.write(`${request}\r\n`, 'latin1');
  });
}

/** The status line and headers, or what is wrong with them. */
function parseHead(text: string): { status: number; statusMessage: string; headers: Map<string, string>; framing: Framing; keepAlive: boolean } | string {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (m === null) return `malformed HTTP response ${JSON.stringify(lines[0]!.slice(0, 100))}`;
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return `malformed MIME header line: ${line.slice(0, 100)}`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers.get(name);
    headers.set(name, had === undefined ? value : `${had}, ${value}`);
  }
  const status = Number(m[2]);
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  const te = headers.get('transfer-encoding');
  const cl = headers.get('content-length');
  let framing: Framing;
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) framing = { kind: 'none' };
  else if (te !== undefined && te.toLowerCase() !== 'identity') {
    if (te.toLowerCase().split(',').pop()!.trim() !== 'chunked') return `unsupported transfer encoding: ${JSON.stringify(te)}`;
    framing = { kind: 'chunked' };
  } else if (cl !== undefined) {
    // Repeated identical lengths are joined above ("5, 5"); differing ones are an error, as in Go.
    const values = new Set(cl.split(',').map((v) => v.trim()));
    const only = values.size === 1 ? [...values][0]! : '';
    if (!/^\d{1,15}$/.test(only)) return `bad Content-Length ${JSON.stringify(cl)}`;
    framing = { kind: 'length', length: Number(only) };
  } else framing = { kind: 'close' };
  return { status, statusMessage: m[3] ?? '', headers, framing, keepAlive: keepAlive && framing.kind !== 'close' };
}

/**
 * Decodes `Transfer-Encoding: chunked` in place, as bytes arrive: chunk data moves down to the
 * end of the body decoded so far, and the bytes not yet decodable (a partial size line) follow it.
 */
export class ChunkedDecoder {
  /** Where the decoded body ends in the buffer (0 before the first call: the body's start then). */
  private bodyEnd = -1;
  /** Data bytes left in the current chunk; -1 while a size line is expected. */
  private left = -1;
  /** The CRLF after a chunk's data is still to come. */
  private dataEnd = false;
  /** Past the last (empty) chunk: reading trailer lines until an empty one. */
  private trailers = false;

  /** `buf[start..filled)` holds the body decoded so far then raw bytes; answers the new `filled`. */
  decode(buf: Buffer, start: number, filled: number): { bodyEnd: number; filled: number; done: boolean } | string {
    if (this.bodyEnd < 0) this.bodyEnd = start;
    let at = this.bodyEnd;
    let out = this.bodyEnd;
    for (;;) {
      if (this.left > 0) {
        const n = Math.min(this.left, filled - at);
        if (n === 0) break;
        if (out !== at) buf.copyWithin(out, at, at + n);
        out += n;
        at += n;
        this.left -= n;
        if (this.left === 0) this.dataEnd = true;
        continue;
      }
      const eol = buf.indexOf('\r\n', at, 'latin1');
      if (eol < 0 || eol >= filled) {
        if (filled - at > 4096) return 'chunk header too long';
        break;
      }
      const line = buf.toString('latin1', at, eol);
      at = eol + 2;
      if (this.dataEnd) {
        if (line !== '') return 'malformed chunked encoding';
        this.dataEnd = false;
        this.left = -1;
      } else if (this.trailers) {
        if (line === '') {
          this.bodyEnd = out;
          if (out !== at) buf.copyWithin(out, at, filled);
          return { bodyEnd: out, filled: out + (filled - at), done: true };
        }
      } else {
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (size === null) return 'invalid byte in chunk length';
        const n = parseInt(size[1]!, 16);
        if (n === 0) this.trailers = true;
        else this.left = n;
      }
    }
    // Keep the undecoded tail right after the body, so reads continue where it ends.
    if (out !== at) buf.copyWithin(out, at, filled);
    this.bodyEnd = out;
    return { bodyEnd: out, filled: out + (filled - at), done: false };
  }
}
