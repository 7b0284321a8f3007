// logind (disabled by default): sessions registered in org.freedesktop.login1, counted by seat,
// remote, type and class over the system bus, as node_exporter 1.5 counts them: every
// combination of the known values is a series (0 when no session has it), unknown types and
// classes count as "other", and the empty seat (SSH and other remote sessions) is always there.
import type { Collector } from './collector.js';
import { DBusSession, MAX_CALLS_IN_FLIGHT, mapLimited, reason, systemBusAddress } from './dbus.js';

const LOGIN1 = 'org.freedesktop.login1';
const MANAGER_PATH = '/org/freedesktop/login1';
const REMOTE_VALUES = ['true', 'false'];
/** As logind knows them since systemd 229. */
const TYPE_VALUES = ['other', 'unspecified', 'tty', 'x11', 'wayland', 'mir', 'web'];
const CLASS_VALUES = ['other', 'user', 'greeter', 'lock-screen', 'background'];

function knownOrOther(value: string, known: readonly string[]): string {
  return known.includes(value) ? value : 'other';
}

/** The `index`th field of each struct in a reply, checked to be a string. */
function stringFields(reply: unknown, index: number, what: string): string[] {
  if (!Array.isArray(reply)) throw new Error(`${what}: the reply is not an array`);
  return reply.map((entry: unknown, i) => {
    const v = Array.isArray(entry) ? entry[index] : undefined;
    if (typeof v !== 'string') throw new Error(`${what}: entry ${i} has no string in field ${index}`);
    return v;
  });
}

interface SessionKey {
  seat: string;
  remote: string;
  type: string;
  cls: string;
}

const sessionKey = (k: SessionKey): string => JSON.stringify([k.seat, k.remote, k.type, k.cls]);

/** A session's seat, remote, type and class; undefined (not counted) when logind does not tell them all. */
async function describeSession(bus: DBusSession, seat: string, path: string): Promise<SessionKey | undefined> {
  try {
    const get = (name: string): Promise<unknown> => bus.property(LOGIN1, path, `${LOGIN1}.Session`, name);
    const [remote, type, cls] = await Promise.all([get('Remote'), get('Type'), get('Class')]);
    if (typeof remote !== 'boolean' || typeof type !== 'string' || typeof cls !== 'string') return undefined;
    return { seat, remote: String(remote), type: knownOrOther(type, TYPE_VALUES), cls: knownOrOther(cls, CLASS_VALUES) };
  } catch {
    return undefined;
  }
}

export const logind: Collector = {
  name: 'logind',
  enabledByDefault: false,
  async collect(h, out) {
    let bus: DBusSession;
    try {
      bus = await DBusSession.open(systemBusAddress(), { peer: false });
    } catch (e) {
      throw new Error(`unable to connect to dbus: ${reason(e)}`);
    }
    try {
      const manager = `${LOGIN1}.Manager`;
      let seats: string[];
      try {
        seats = stringFields(await bus.call(LOGIN1, MANAGER_PATH, manager, 'ListSeats'), 0, 'ListSeats');
      } catch (e) {
        throw new Error(`unable to get seats: ${reason(e)}`);
      }
      // The empty seat: remote sessions such as SSH have none.
      seats.push('');
      let sessions: unknown;
      try {
        sessions = await bus.call(LOGIN1, MANAGER_PATH, manager, 'ListSessions');
      } catch (e) {
        throw new Error(`unable to get sessions: ${reason(e)}`);
      }
      // (session id, uid, user, seat, object path)
      const sessionSeats = stringFields(sessions, 3, 'ListSessions');
      const sessionPaths = stringFields(sessions, 4, 'ListSessions');
      const described = await mapLimited(sessionPaths.map((path, i) => ({ path, seat: sessionSeats[i]! })), MAX_CALLS_IN_FLIGHT, (s) => describeSession(bus, s.seat, s.path));
      const counts = new Map<string, number>();
      for (const k of described) if (k !== undefined) counts.set(sessionKey(k), (counts.get(sessionKey(k)) ?? 0) + 1);
      h.log?.('debug', 'logind sessions', { sessions: sessionPaths.length, counted: described.filter((k) => k !== undefined).length });
      for (const remote of REMOTE_VALUES) {
        for (const type of TYPE_VALUES) {
          for (const cls of CLASS_VALUES) {
            for (const seat of seats) {
              const n = counts.get(sessionKey({ seat, remote, type, cls })) ?? 0;
              out.add('node_logind_sessions', 'Number of sessions registered in logind.', 'gauge', n, { seat, remote, type, class: cls });
            }
          }
        }
      }
    } finally {
      await bus.close().catch(() => undefined);
    }
  },
};
