// nerve_sd_configs and serverset_sd_configs: members registered in ZooKeeper (Airbnb's Nerve, or
// Finagle/Aurora serversets) under the configured paths, one target per znode whose data is a
// member document, with `__meta_nerve_*` / `__meta_serverset_*` labels. The tree under each path
// is read every refresh over ZooKeeper's own protocol (a session per refresh; Prometheus keeps
// one session and watches, so it hears of changes sooner).
import { Socket } from 'node:net';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName, targetGroupOf } from '../util.js';

/** How often the trees are read again (the configs have no refresh_interval). */
export const ZOOKEEPER_REFRESH_MS = 30_000;

const OP_GET_DATA = 4;
const OP_GET_CHILDREN = 8;
const OP_CLOSE = -11;
const ERR_NO_NODE = -101;

/** One ZooKeeper session over a socket: length-prefixed jute records, one request at a time. */
export class ZkSession {
  private buf = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void) | undefined;
  private failed: Error | undefined;
  private xid = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.deliver();
    });
    const fail = (e: Error): void => {
      this.failed = e;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(Buffer.alloc(0));
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Connects to the first server that answers (`host` or `host:port`, default 2181). */
  static async connect(servers: string[], timeoutMs: number, signal: AbortSignal): Promise<ZkSession> {
    let last: Error = new Error('no servers');
    for (const server of servers) {
      const m = /^\[?(.*?)\]?(?::(\d+))?$/.exec(server)!;
      const socket = new Socket();
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`dial ${server}: timeout`)), timeoutMs);
          const abort = (): void => reject(new Error('aborted'));
          signal.addEventListener('abort', abort, { once: true });
          socket.once('error', (e) => reject(new Error(`dial ${server}: ${e.message}`)));
          socket.connect(Number(m[2] ?? 2181), m[1]!, () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', abort);
            resolve();
          });
        });
        const s = new ZkSession(socket);
        // ConnectRequest: protocol version, last zxid, session timeout, session id, password.
        const req = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16);
        req.writeInt32BE(timeoutMs, 12);
        req.writeInt32BE(16, 24);
        await s.exchange(req);
        return s;
      } catch (e) {
        socket.destroy();
        last = e as Error;
      }
    }
    throw last;
  }

  private deliver(): void {
    if (this.waiting === undefined || this.buf.length < 4) return;
    const len = this.buf.readInt32BE(0);
    if (this.buf.length < 4 + len) return;
    const frame = this.buf.subarray(4, 4 + len);
    this.buf = this.buf.subarray(4 + len);
    const w = this.waiting;
    this.waiting = undefined;
    w(frame);
  }

  private exchange(payload: Buffer): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = (frame) => (this.failed !== undefined ? reject(this.failed) : resolve(frame));
      const head = Buffer.alloc(4);
      head.writeInt32BE(payload.length);
      this.socket.write(Buffer.concat([head, payload]));
      this.deliver();
    });
  }

  /** A request with its header; the reply's payload, or undefined when the node does not exist. */
  private async call(op: number, path: string): Promise<Buffer | undefined> {
    const p = Buffer.from(path, 'utf8');
    const req = Buffer.alloc(4 + 4 + 4 + p.length + 1);
    req.writeInt32BE(++this.xid, 0);
    req.writeInt32BE(op, 4);
    req.writeInt32BE(p.length, 8);
    p.copy(req, 12);
    const reply = await this.exchange(req);
    const err = reply.readInt32BE(12);
    if (err === ERR_NO_NODE) return undefined;
    if (err !== 0) throw new Error(`zookeeper ${path}: error ${err}`);
    return reply.subarray(16);
  }

  async children(path: string): Promise<string[] | undefined> {
    const r = await this.call(OP_GET_CHILDREN, path);
    if (r === undefined) return undefined;
    const out: string[] = [];
    let off = 4;
    for (let i = 0, n = r.readInt32BE(0); i < n; i++) {
      const len = r.readInt32BE(off);
      out.push(r.toString('utf8', off + 4, off + 4 + len));
      off += 4 + len;
    }
    return out;
  }

  async data(path: string): Promise<Buffer | undefined> {
    const r = await this.call(OP_GET_DATA, path);
    if (r === undefined) return undefined;
    const len = r.readInt32BE(0);
    return len < 0 ? Buffer.alloc(0) : r.subarray(4, 4 + len);
  }

  async close(): Promise<void> {
    try {
      const req = Buffer.alloc(8);
      req.writeInt32BE(++this.xid, 0);
      req.writeInt32BE(OP_CLOSE, 4);
      await Promise.race([this.exchange(req), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      // closing anyway
    } finally {
      this.socket.destroy();
    }
  }
}

/** Go's case-insensitive JSON field matching, for member documents. */
function field(o: unknown, name: string): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k !== undefined ? (o as Record<string, unknown>)[k] : undefined;
}
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' ? Math.trunc(v) : 0);

export function serversetLabels(doc: unknown, path: string): Labels {
  const P = '__meta_serverset_';
  const ep = field(doc, 'serviceEndpoint');
  const l: Labels = { [`${P}path`]: path, __address__: joinHostPort(str(field(ep, 'host')), int(field(ep, 'port'))), [`${P}endpoint_host`]: str(field(ep, 'host')), [`${P}endpoint_port`]: String(int(field(ep, 'port'))) };
  const extra = field(doc, 'additionalEndpoints');
  for (const [name, e] of Object.entries(extra !== null && typeof extra === 'object' ? extra : {})) {
    l[`${P}endpoint_host_${sanitizeLabelName(name)}`] = str(field(e, 'host'));
    l[`${P}endpoint_port_${sanitizeLabelName(name)}`] = String(int(field(e, 'port')));
  }
  l[`${P}status`] = str(field(doc, 'status'));
  l[`${P}shard`] = String(int(field(doc, 'shard')));
  return l;
}

export function nerveLabels(doc: unknown, path: string): Labels {
  const P = '__meta_nerve_';
  return { [`${P}path`]: path, __address__: joinHostPort(str(field(doc, 'host')), int(field(doc, 'port'))), [`${P}endpoint_host`]: str(field(doc, 'host')), [`${P}endpoint_port`]: String(int(field(doc, 'port'))), [`${P}endpoint_name`]: str(field(doc, 'name')) };
}

/** Every znode under `path` (itself included) with its data. */
async function walk(zk: ZkSession, path: string, out: { path: string; data: Buffer }[]): Promise<void> {
  const data = await zk.data(path);
  if (data === undefined) return;
  out.push({ path, data });
  for (const child of (await zk.children(path)) ?? []) await walk(zk, `${path.replace(/\/$/, '')}/${child}`, out);
}

export function zookeeperRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as { servers: string[]; paths: string[]; timeout: number };
  const toLabels = c.mechanism === 'nerve' ? nerveLabels : serversetLabels;
  return async (signal) => {
    const zk = await ZkSession.connect(s.servers, s.timeout, signal);
    try {
      const nodes: { path: string; data: Buffer }[] = [];
      for (const p of s.paths) await walk(zk, p, nodes);
      const out: TargetGroup[] = [];
      for (const n of nodes) {
        let doc: unknown;
        try {
          doc = JSON.parse(n.data.toString('utf8'));
        } catch {
          continue; // not a member (e.g. the parent znode): skipped, as Prometheus skips what does not parse
        }
        if (doc === null || typeof doc !== 'object') continue;
        out.push(targetGroupOf(toLabels(doc, n.path), n.path));
      }
      return out;
    } finally {
      await zk.close();
    }
  };
}
