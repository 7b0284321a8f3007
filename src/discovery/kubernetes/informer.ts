// A local copy of one kind of Kubernetes resource, kept current the way client-go's informers
// keep it: list (paged), then watch from the list's resourceVersion; when the watch ends it is
// opened again from the last version seen, and when the server says that version is gone (410)
// or the connection fails, everything is listed again (with a backoff after failures).
import type { Logger } from '../../util/logger.js';
import type { KubeConnection } from './connection.js';
import { kubeGet } from './connection.js';
import type { KubeObject } from './objects.js';

const LIST_PAGE = 500;
const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** Where a resource is listed: `/api/v1` or `/apis/<group>/<version>`, its plural name, and whether it lives in namespaces. */
export interface ResourceKind {
  prefix: string;
  plural: string;
  namespaced: boolean;
}

export const RESOURCES = {
  pods: { prefix: '/api/v1', plural: 'pods', namespaced: true },
  services: { prefix: '/api/v1', plural: 'services', namespaced: true },
  endpoints: { prefix: '/api/v1', plural: 'endpoints', namespaced: true },
  nodes: { prefix: '/api/v1', plural: 'nodes', namespaced: false },
  namespaces: { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  endpointslices: { prefix: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  ingresses: { prefix: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  replicasets: { prefix: '/apis/apps/v1', plural: 'replicasets', namespaced: true },
  jobs: { prefix: '/apis/batch/v1', plural: 'jobs', namespaced: true },
} satisfies Record<string, ResourceKind>;

export function resourcePath(kind: ResourceKind, namespace: string): string {
  return kind.namespaced && namespace !== '' ? `${kind.prefix}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}` : `${kind.prefix}/${kind.plural}`;
}

/** The store key: `namespace/name`, or the name of a cluster-wide object. */
export function objectKey(o: KubeObject): string {
  const ns = o.metadata?.namespace ?? '';
  return ns === '' ? (o.metadata?.name ?? '') : `${ns}/${o.metadata?.name ?? ''}`;
}

interface ListDoc {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

interface WatchEvent {
  type?: string;
  object?: KubeObject & { code?: number; message?: string };
}

class Gone extends Error {}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export class Informer<T extends KubeObject> {
  readonly store = new Map<string, T>();
  /** True once the first list has arrived (targets are reported only when every informer has one). */
  synced = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly conn: KubeConnection,
    readonly path: string,
    private readonly selector: { label: string; field: string },
    private readonly onChange: () => void,
    private readonly logger: Logger,
    private readonly onEvent?: (event: 'add' | 'update' | 'delete') => void,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      try {
        let version = await this.list();
        backoff = MIN_BACKOFF_MS;
        while (!this.stopped) {
          const started = Date.now();
          version = await this.watch(version);
          // A watch the server (or a proxy) ends at once is not opened again in a tight loop.
          if (Date.now() - started < MIN_BACKOFF_MS) await sleep(MIN_BACKOFF_MS, this.abort.signal);
        }
      } catch (e) {
        if (this.stopped) return;
        if (!(e instanceof Gone)) {
          this.logger.error('Failed to list or watch Kubernetes resources', { path: this.path, err: (e as Error).message });
          await sleep(backoff, this.abort.signal);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
      }
    }
  }

  private query(): Record<string, string> {
    return { labelSelector: this.selector.label, fieldSelector: this.selector.field };
  }

  /** Lists every object (paged) and replaces the store; returns the list's resourceVersion. */
  private async list(): Promise<string> {
    const fresh = new Map<string, T>();
    let cont = '';
    let version = '';
    do {
      const res = await kubeGet(this.conn, this.path, { ...this.query(), limit: String(LIST_PAGE), continue: cont }, this.abort.signal, 60_000);
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET ${this.path}: server answered ${res.statusCode}: ${text.slice(0, 200)}`);
      const doc = JSON.parse(text) as ListDoc;
      for (const item of doc.items ?? []) fresh.set(objectKey(item), item as T);
      version = doc.metadata?.resourceVersion ?? '';
      cont = doc.metadata?.continue ?? '';
    } while (cont !== '');
    this.store.clear();
    for (const [k, v] of fresh) this.store.set(k, v);
    this.synced = true;
    this.onChange();
    return version;
  }

  /** Watches from `version` until the server ends the stream; returns the last version seen. Throws Gone when it must relist. */
  private async watch(version: string): Promise<string> {
    // The server closes the watch after timeoutSeconds (spread as client-go spreads it).
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const res = await kubeGet(this.conn, this.path, { ...this.query(), watch: 'true', resourceVersion: version, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) }, this.abort.signal, (timeoutSeconds + 60) * 1000);
    if (res.statusCode === 410) {
      await res.body.dump();
      throw new Gone();
    }
    if (res.statusCode !== 200) throw new Error(`watch ${this.path}: server answered ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
    let pending = '';
    for await (const chunk of res.body) {
      pending += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') version = this.apply(JSON.parse(line) as WatchEvent, version);
      }
    }
    if (pending.trim() !== '') version = this.apply(JSON.parse(pending) as WatchEvent, version);
    return version;
  }

  private apply(ev: WatchEvent, version: string): string {
    const o = ev.object;
    if (ev.type === 'ERROR') {
      if (o?.code === 410) throw new Gone();
      throw new Error(`watch ${this.path}: ${o?.message ?? 'error event'}`);
    }
    if (o === undefined) return version;
    const next = o.metadata?.resourceVersion ?? version;
    if (ev.type === 'BOOKMARK') return next;
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.store.set(objectKey(o), o as T);
    else if (ev.type === 'DELETED') this.store.delete(objectKey(o));
    else return next;
    this.onEvent?.(ev.type === 'ADDED' ? 'add' : ev.type === 'MODIFIED' ? 'update' : 'delete');
    this.onChange();
    return next;
  }
}
