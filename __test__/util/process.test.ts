// runUntilSignal: the start-up and signal handling the server, Alertmanager and node exporter share.
// Signals are delivered with process.emit, which runs the listeners without a real signal.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '../../src/util/logger.js';
import { runUntilSignal, startupStep } from '../../src/util/process.js';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ write: (l) => lines.push(l) }), lines };
}

/** Removes the SIGHUP listeners a test added, so later tests see only their own. */
function forgetSighup(t: TestContext): void {
  const before = new Set(process.listeners('SIGHUP'));
  t.after(() => {
    for (const l of process.listeners('SIGHUP')) if (!before.has(l)) process.off('SIGHUP', l);
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a start failure is logged, undone and exits 1', async () => {
  const { logger, lines } = capture();
  let aborted = 0;
  const code = await runUntilSignal({
    logger,
    start: () => Promise.reject(new Error('address in use')),
    startError: 'Error starting the thing',
    abortStart: async () => void aborted++,
    stop: async () => assert.fail('stop after a failed start'),
    signalLog: 'info',
  });
  assert.equal(code, 1);
  assert.equal(aborted, 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /level=error/);
  assert.match(lines[0]!, /msg="Error starting the thing"/);
  assert.match(lines[0]!, /address in use/);
});

test('SIGHUP reloads (a failing reload keeps running); SIGTERM stops gracefully and exits 0', async (t) => {
  forgetSighup(t);
  const { logger, lines } = capture();
  let reloads = 0;
  let stops = 0;
  const exit = runUntilSignal({
    logger,
    start: async () => undefined,
    startError: 'x',
    stop: async () => void stops++,
    reload: () => {
      reloads++;
      if (reloads === 1) throw new Error('bad config');
      return Promise.reject(new Error('bad config, async'));
    },
    signalLog: 'info',
  });
  await tick();
  process.emit('SIGHUP');
  process.emit('SIGHUP');
  await tick();
  assert.equal(reloads, 2);
  assert.equal(stops, 0);
  process.emit('SIGTERM');
  assert.equal(await exit, 0);
  assert.equal(stops, 1);
  assert.deepEqual(lines.map((l) => /level=(\w+) msg="([^"]*)"(.*)$/.exec(l)?.slice(1)), [['info', 'Received an OS signal, exiting gracefully...', '']]);
});

test('Prometheus style: the signal is logged at warn with its name, and the command returns when done settles', async () => {
  const { logger, lines } = capture();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let stops = 0;
  let returned = false;
  const exit = runUntilSignal({ logger, start: async () => undefined, startError: 'x', stop: async () => void stops++, done, signalLog: 'warn-with-signal' }).then((c) => {
    returned = true;
    return c;
  });
  await tick();
  process.emit('SIGINT');
  await tick();
  assert.equal(stops, 1);
  assert.equal(returned, false, 'waits for done, not for stop()');
  finish();
  assert.equal(await exit, 0);
  assert.match(lines[0]!, /level=warn msg="Received an OS signal, exiting gracefully\.\.\." signal=interrupt/);
});

test('done settling without a signal (e.g. /-/quit) ends the command', async () => {
  const before = new Map((['SIGTERM', 'SIGINT'] as const).map((s) => [s, new Set(process.listeners(s))]));
  const { logger } = capture();
  const code = await runUntilSignal({ logger, start: async () => undefined, startError: 'x', stop: async () => assert.fail('no signal'), done: Promise.resolve(), signalLog: 'warn-with-signal' });
  assert.equal(code, 0);
  // The stop-signal listeners of this run are still armed; take them off for the rest of the file.
  for (const [s, old] of before) for (const l of process.listeners(s)) if (!old.has(l)) process.off(s, l);
});

test('no reload: no SIGHUP listener is installed', async (t) => {
  forgetSighup(t);
  const before = process.listenerCount('SIGHUP');
  const { logger } = capture();
  const exit = runUntilSignal({ logger, start: async () => undefined, startError: 'x', stop: async () => undefined, signalLog: 'info' });
  await tick();
  assert.equal(process.listenerCount('SIGHUP'), before);
  process.emit('SIGTERM');
  assert.equal(await exit, 0);
});

test('startupStep: the value, or one error line with the fields and the error, then undefined', () => {
  const { logger, lines } = capture();
  assert.deepEqual(startupStep(logger, 'Error loading web config', { file: 'web.yml' }, () => ({ scheme: 'https' })), { scheme: 'https' });
  assert.deepEqual(lines, []);
  const failed = startupStep(logger, 'Error loading web config', { file: 'web.yml' }, () => {
    throw new Error('no such file');
  });
  assert.equal(failed, undefined);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /level=error msg="Error loading web config" file=web\.yml err="no such file"$/);
});
