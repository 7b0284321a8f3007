// A short-lived D-Bus connection for the systemd and logind collectors: opened for one scrape and
// closed after it, as node_exporter does. The D-Bus library (~7 MiB resident once loaded) is
// imported on the first scrape that needs it, so an exporter without these collectors never pays
// for it (the exporter's goal is <= 50 MiB).
import type { MessageBus } from 'dbus-native';

type DBusLibrary = typeof import('dbus-native');

let library: Promise<DBusLibrary> | undefined;

function loadLibrary(): Promise<DBusLibrary> {
  // A CommonJS module: under ESM its exports are the default export.
  library ??= import('dbus-native').then((m) => ((m as { default?: DBusLibrary }).default ?? m) as DBusLibrary);
  return library;
}

/** Where the system bus listens unless DBUS_SYSTEM_BUS_ADDRESS says otherwise (libdbus's default). */
const DEFAULT_SYSTEM_BUS = 'unix:path=/var/run/dbus/system_bus_socket';
/** systemd's own socket, spoken to peer to peer without a bus (root only). */
export const SYSTEMD_PRIVATE_SOCKET = 'unix:path=/run/systemd/private';

export function systemBusAddress(): string {
  const fromEnv = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_SYSTEM_BUS;
}

/** How long connecting and each call may take: a hung bus must not hold a scrape forever. */
const TIMEOUT_MS = 10_000;
/**
 * Calls in flight at once. Pipelining the per-unit property reads is what keeps a scrape of a few
 * hundred units quick, but the system bus refuses more than 128 pending replies per connection,
 * and the systemd collector runs up to six such loops at once.
 */
export const MAX_CALLS_IN_FLIGHT = 16;

export class DBusSession {
  private constructor(private readonly bus: MessageBus) {}

  /**
   * Connects and authenticates; on a bus (not `peer`) also says Hello. Rejects with the reason
   * (no socket, refused, authentication failed) instead of leaving an 'error' event unhandled.
   */
  static async open(address: string, options: { peer: boolean }): Promise<DBusSession> {
    const dbus = await loadLibrary();
    // `direct` skips the library's own Hello, whose failure it throws from a callback; ours is awaited below.
    const bus = dbus.createClient({ busAddress: address, direct: true, timeout: TIMEOUT_MS });
    const conn = bus.connection;
    // Errors after the handshake fail the pending calls through 'close'; this listener only keeps
    // them from being an unhandled 'error' event, which would end the process.
    conn.on('error', () => undefined);
    // A throw while the library handles an incoming message would otherwise be rethrown as an
    // uncaught exception; a bus sending something odd must not take the exporter down.
    conn.on('handlerError', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`connecting to ${address}: no answer in ${TIMEOUT_MS / 1000}s`)), TIMEOUT_MS);
        const fail = (e?: Error): void => {
          clearTimeout(timer);
          reject(new Error(`connecting to ${address}: ${e?.message ?? 'connection closed'}`));
        };
        conn.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        conn.once('error', fail);
        conn.once('close', fail);
      });
      const session = new DBusSession(bus);
      if (!options.peer) await bus.invokeDbus({ member: 'Hello' });
      return session;
    } catch (e) {
      await bus.close().catch(() => undefined);
      throw e;
    }
  }

  /** Calls a method and returns its reply (the one value, or an array of them). */
  async call(destination: string, path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown> {
    return this.bus.invoke({ destination, path, interface: iface, member, ...(signature === '' ? {} : { signature, body }) });
  }

  /** One property through org.freedesktop.DBus.Properties.Get (the variant's value). */
  async property(destination: string, path: string, iface: string, name: string): Promise<unknown> {
    return this.call(destination, path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [iface, name]);
  }

  async close(): Promise<void> {
    await this.bus.close();
  }
}

/** Runs `fn` over `items` with at most `limit` at a time, results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A D-Bus unsigned integer as a JS number (64-bit ones arrive as bigint), or undefined for anything else. */
export function unsignedValue(v: unknown): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' ? v : undefined;
}

/** The error's message for a log line. */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
