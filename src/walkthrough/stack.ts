// The walkthrough stack's supervisor: starts each component as its own process, announces it only
// once its readiness endpoint answers, and tells plainly what went wrong — a component that fails
// at start is named with the reason (its last log lines) and the others are stopped; one that dies
// later is reported loudly. A component can be stopped and started again while the rest run (the
// node exporter, to watch the `up == 0` alert fire and resolve).
import { spawn, type ChildProcess } from 'node:child_process';

export interface ComponentSpec {
  name: string;
  /** ANSI colour of its log prefix. */
  color: string;
  /** The command line: the executable and its arguments. */
  command: string[];
  /** Answers 2xx once the component serves. */
  readyUrl: string;
  /** What to print once it is ready. */
  announce: string;
}

export interface StackOptions {
  /** Where the stack's own lines and the components' prefixed output go. */
  write: (line: string) => void;
  /** How long a component may take to answer its readiness endpoint. */
  readyTimeoutMs?: number;
  pollMs?: number;
}

interface Running {
  spec: ComponentSpec;
  child: ChildProcess;
  /** The last lines it wrote, and the last error lines, to say why it failed. */
  tail: string[];
  errors: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stopped on purpose (stop command, shutdown): its exit is no failure. */
  stopping: boolean;
}

const TAIL_LINES = 8;
/** A log line that says what went wrong (logfmt `level=error`, a thrown error's first line). */
const ERROR_LINE = /level=(error|fatal)|^\s*(\w*Error|error):/i;

export class StartError extends Error {}

export class Stack {
  private readonly running = new Map<string, Running>();
  private readonly specs = new Map<string, ComponentSpec>();
  private shuttingDown = false;

  constructor(specs: ComponentSpec[], private readonly options: StackOptions) {
    for (const s of specs) this.specs.set(s.name, s);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** `running (pid N)` or `stopped` for each component. */
  status(): Record<string, string> {
    const out = Object.create(null) as Record<string, string>;
    for (const name of this.specs.keys()) {
      const r = this.running.get(name);
      out[name] = r === undefined ? 'stopped' : `running (pid ${r.child.pid})`;
    }
    return out;
  }

  /** Starts every component in order, each announced once ready; on a failure stops the others and throws. */
  async startAll(): Promise<void> {
    for (const name of this.specs.keys()) {
      try {
        await this.start(name);
      } catch (e) {
        await this.stopAll();
        throw e;
      }
    }
  }

  /** Starts one component and waits for its readiness endpoint. */
  async start(name: string): Promise<void> {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new StartError(`no component "${name}" (there are: ${this.names().join(', ')})`);
    if (this.running.has(name)) throw new StartError(`${name} is already running`);
    const [exe, ...args] = spec.command;
    const child = spawn(exe!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const r: Running = { spec, child, tail: [], errors: [], stopping: false, exited: new Promise((res) => child.once('exit', (code, signal) => res({ code, signal }))) };
    child.once('error', (e) => r.errors.push(e.message));
    this.running.set(name, r);
    this.pipe(r);
    const failure = r.exited.then(({ code, signal }) => ({ code, signal }));
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void failure.then((f) => (exited = f));
    for (;;) {
      if (exited !== undefined || child.exitCode !== null) {
        this.running.delete(name);
        const ex = exited ?? { code: child.exitCode, signal: child.signalCode };
        throw new StartError(`${name} failed to start: it exited (${ex.signal ?? `code ${ex.code}`}) before answering ${spec.readyUrl}${this.reason(r)}`);
      }
      if (await answers(spec.readyUrl)) break;
      if (Date.now() > deadline) {
        r.stopping = true;
        child.kill('SIGTERM');
        await r.exited;
        this.running.delete(name);
        throw new StartError(`${name} failed to start: ${spec.readyUrl} did not answer within ${Math.round((this.options.readyTimeoutMs ?? 60_000) / 1000)}s${this.reason(r)}`);
      }
      await new Promise((res) => setTimeout(res, this.options.pollMs ?? 200));
    }
    this.options.write(`\x1b[1m✔ ${name} is ready\x1b[0m: ${spec.announce}`);
    // From now on an exit nobody asked for is news.
    void r.exited.then(({ code, signal }) => {
      if (this.running.get(name) === r) this.running.delete(name);
      if (r.stopping || this.shuttingDown) {
        this.options.write(`${name} stopped`);
        return;
      }
      this.options.write(`\x1b[1;31m✘ ${name} died (${signal ?? `exit code ${code}`})\x1b[0m; the rest of the stack keeps running${this.reason(r)}`);
    });
  }

  /** Stops one component (SIGTERM) and waits for it to exit. */
  async stop(name: string): Promise<void> {
    if (!this.specs.has(name)) throw new StartError(`no component "${name}" (there are: ${this.names().join(', ')})`);
    const r = this.running.get(name);
    if (r === undefined) throw new StartError(`${name} is not running`);
    r.stopping = true;
    r.child.kill('SIGTERM');
    await r.exited;
  }

  /** Stops everything still running (in reverse order of start). */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    const all = [...this.running.values()].reverse();
    for (const r of all) {
      r.stopping = true;
      r.child.kill('SIGTERM');
    }
    await Promise.all(all.map((r) => r.exited));
    this.running.clear();
  }

  /** Why it stopped: its error lines if it logged any (the reason is usually there), else its last lines. */
  private reason(r: Running): string {
    if (r.errors.length > 0) return `: ${r.errors.join('\n    ')}`;
    const lines = r.tail.filter((l) => l.trim() !== '');
    return lines.length === 0 ? '' : `; its last output:\n${lines.map((l) => `    ${l}`).join('\n')}`;
  }

  private pipe(r: Running): void {
    const prefix = `\x1b[${r.spec.color}m${r.spec.name.padEnd(13)}|\x1b[0m `;
    for (const stream of [r.child.stdout, r.child.stderr]) {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          r.tail.push(line);
          if (r.tail.length > TAIL_LINES) r.tail.shift();
          if (ERROR_LINE.test(line)) {
            r.errors.push(line);
            if (r.errors.length > 3) r.errors.shift();
          }
          this.options.write(prefix + line);
        }
      });
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
