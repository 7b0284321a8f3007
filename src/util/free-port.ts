// A TCP port on 127.0.0.1 for a server that tests, benchmarks and tools start side by side.
//
// Binding port 0 and releasing it is not enough when several test processes run at once: between the
// release and the child's own bind (a second or more for a child that loads TypeScript), another
// process can be handed the same port by its own bind(0), and a test then talks to the wrong server.
// So ports come from below the kernel's ephemeral range, which bind(0) and outgoing connections never
// use, and each is claimed for the life of this process by creating a file named after it with
// O_EXCL in a directory every process shares. A bind probe still skips ports other software listens on.
import { createServer } from 'node:net';
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLAIMS_DIR = join(tmpdir(), 'promethium-port-claims');
/** A claim older than this whose process is gone is removed (not reused in the same call). */
const STALE_MS = 10 * 60 * 1000;
const LOWEST = 10000;
const claimed = new Set<number>();
let exitHookSet = false;

/** The ports below the ephemeral range: [LOWEST, low bound of ip_local_port_range). */
function portRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > LOWEST + 1000) ephemeralLow = low;
  } catch {
    /* not Linux: keep the IANA default */
  }
  return [LOWEST, ephemeralLow];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; false when another live process holds it. */
function claim(port: number): boolean {
  const file = join(CLAIMS_DIR, String(port));
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (!alive(pid) && Date.now() - statSync(file).mtimeMs > STALE_MS) unlinkSync(file);
  } catch {
    /* gone meanwhile, or being written: leave it */
  }
  return false;
}

function releaseAll(): void {
  for (const port of claimed) {
    try {
      unlinkSync(join(CLAIMS_DIR, String(port)));
    } catch {
      /* already gone */
    }
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  mkdirSync(CLAIMS_DIR, { recursive: true, mode: 0o1777 });
  if (!exitHookSet) {
    process.once('exit', releaseAll);
    exitHookSet = true;
  }
  const [low, high] = portRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (claimed.has(port) || !claim(port)) continue;
    claimed.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port claimed between ${low} and ${high} after 200 tries (claims in ${CLAIMS_DIR})`);
}
