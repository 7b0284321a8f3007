// The life of a long-running command (`promethium server`, `alertmanager`, `node-exporter`) once its
// flags are read: start serving, then run until SIGTERM or SIGINT asks for a graceful stop, with
// SIGHUP reloading the configuration where the command has one. The exit code is what the upstream
// binaries give: 1 when serving cannot start, 0 after a graceful stop.
import type { Logger, LogFields } from './logger.js';

/**
 * One start-up step that may fail on bad input (a config file, a flag): its value, or undefined
 * after logging `message` at error with `fields` and the error, for the caller to exit 1.
 */
export function startupStep<T extends NonNullable<unknown>>(logger: Logger, message: string, fields: LogFields, step: () => T): T | undefined {
  try {
    return step();
  } catch (e) {
    logger.error(message, { ...fields, err: e as Error });
    return undefined;
  }
}

export interface LongRunning {
  logger: Logger;
  /** Starts serving. A throw is logged as `startError` and the command exits 1. */
  start(): Promise<unknown>;
  startError: string;
  /** Undoes a partial start before exiting 1 (e.g. releases the storage); not called otherwise. */
  abortStart?(): Promise<unknown>;
  /** The graceful stop a signal asks for. */
  stop(): Promise<unknown>;
  /**
   * Settles when the command has stopped for any reason (Prometheus's /-/quit too); the command
   * returns then. Without it, it returns when the stop a signal started has finished.
   */
  done?: Promise<unknown>;
  /**
   * SIGHUP: reload the configuration. Failures are the reload's to log; the running configuration
   * stays. Without it SIGHUP keeps Node's default (node_exporter has nothing to reload).
   */
  reload?(): unknown;
  /**
   * How a stop signal is logged: Prometheus logs it at warn with the signal's name (`terminated`,
   * `interrupt`); Alertmanager and node_exporter at info without it.
   */
  signalLog: 'warn-with-signal' | 'info';
}

const STOP_SIGNALS = [
  ['SIGTERM', 'terminated'],
  ['SIGINT', 'interrupt'],
] as const;

/** Starts `p` and resolves with the exit code once it has stopped. */
export async function runUntilSignal(p: LongRunning): Promise<number> {
  try {
    await p.start();
  } catch (e) {
    p.logger.error(p.startError, { err: e as Error });
    await p.abortStart?.();
    return 1;
  }
  const reload = p.reload;
  if (reload !== undefined) {
    process.on('SIGHUP', () => {
      try {
        Promise.resolve(reload()).catch(() => undefined);
      } catch {
        /* logged by the reload; the running configuration stays */
      }
    });
  }
  await new Promise<void>((resolve, reject) => {
    const onSignal = (signal: string): void => {
      if (p.signalLog === 'warn-with-signal') p.logger.warn('Received an OS signal, exiting gracefully...', { signal });
      else p.logger.info('Received an OS signal, exiting gracefully...');
      const stopping = p.stop();
      if (p.done === undefined) void stopping.then(() => resolve());
    };
    for (const [name, signal] of STOP_SIGNALS) process.once(name, () => onSignal(signal));
    if (p.done !== undefined) p.done.then(() => resolve(), reject);
  });
  return 0;
}
