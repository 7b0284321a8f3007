// Silences and the notification log on disk: a change appends one line to <name>.log instead of
// rewriting the whole state; the log is folded into <name>.json when it grows and at shutdown; a
// torn last line is skipped with a warning; a kill -9 after the API answered keeps the silence; a
// corrupt file stops the start with an error naming the file and what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Silences } from '../../src/alertmanager/silences.js';
import { NotificationLog } from '../../src/alertmanager/nflog.js';
import { Logger } from '../../src/util/logger.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const HOUR = 3600_000;
const now = Date.now();
const input = (i: number) => ({ matchers: [{ name: 'instance', value: `host-${i}`, isRegex: false, isEqual: true }], startsAt: now, endsAt: now + HOUR, createdBy: 'ops', comment: `silence ${i}` });
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

function captureLogger(): { logger: Logger; text: () => string } {
  let out = '';
  return { logger: new Logger({ write: (s: string) => (out += s) }), text: () => out };
}

test('creating silences appends to silences.log and does not rewrite silences.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-state-'));
  const s = new Silences(dir, HOUR);
  for (let i = 0; i < 20; i++) s.set(input(i), now);
  assert.equal(existsSync(join(dir, 'silences.json')), false, 'no snapshot written per change');
  assert.equal(lines(join(dir, 'silences.log')).length, 20);
  // Another process (a restart without a clean shutdown) sees all of them.
  assert.equal(new Silences(dir, HOUR).list().length, 20);
  // Shutdown folds the log into the snapshot.
  s.close();
  assert.equal(lines(join(dir, 'silences.log')).length, 0);
  const again = new Silences(dir, HOUR);
  assert.deepEqual(again.list().map((x) => x.comment).sort(), s.list().map((x) => x.comment).sort());
});

test('the log is compacted once it outgrows the state, so it stays bounded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-state-'));
  const s = new Silences(dir, HOUR);
  for (let i = 0; i < 2500; i++) s.set(input(i), now);
  // Compacted when the log outgrew max(1000, state size): never longer than the state it describes.
  assert.ok(lines(join(dir, 'silences.log')).length <= 2500 - 1000, 'compacted at least once');
  assert.ok(existsSync(join(dir, 'silences.json')));
  // An expired silence's update is replayed over the snapshot.
  const id = s.list()[0]!.id;
  s.expire(id, now + 1);
  const after = new Silences(dir, HOUR);
  assert.equal(after.list().length, 2500);
  assert.equal(after.get(id)!.endsAt, now + 1);
});

test('a torn last line is skipped with a warning and the next change starts on its own line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-state-'));
  const s = new Silences(dir, HOUR);
  const kept = s.set(input(1), now);
  appendFileSync(join(dir, 'silences.log'), '{"set":{"id":"torn","matc');
  const log = captureLogger();
  const reopened = new Silences(dir, HOUR, log.logger);
  assert.deepEqual(reopened.list().map((x) => x.id), [kept]);
  assert.match(log.text(), /torn last record.*silences\.log/);
  const next = reopened.set(input(2), now);
  assert.deepEqual(new Silences(dir, HOUR).list().map((x) => x.id).sort(), [kept, next].sort());
});

test('a corrupt silences or nflog file gives an error naming the file and what is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['silences.json', 'garbage', /silences\.json: cannot read the silences snapshot: .*JSON/],
    ['silences.json', '{"version":1,"silences":[{"id":"a","matchers":"x"}]}', /silences\.json: record 0: field "matchers" must be a list/],
    ['silences.json', '[]', /silences\.json: cannot read the silences snapshot: expected \{"version": 1/],
    ['silences.log', '{"delete":"a"}\nnot json\n', /silences\.log:2: not a JSON record/],
    ['silences.log', '{"set":{"id":"a","matchers":[{"name":"x","value":"(","isRegex":true,"isEqual":true}],"startsAt":1,"endsAt":2,"updatedAt":1,"createdBy":"a","comment":"b"}}\n', /silences\.log:1: silence a: matcher 0: /],
  ];
  for (const [file, text, want] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'promethium-am-state-'));
    writeFileSync(join(dir, file), text);
    assert.throws(() => new Silences(dir, HOUR), (e: Error) => e.message.includes(join(dir, file)) && want.test(e.message), `${file}: ${text}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-state-'));
  writeFileSync(join(dir, 'nflog.json'), '{"not":"a list"}');
  assert.throws(() => new NotificationLog(dir, HOUR), new RegExp(`${join(dir, 'nflog.json')}: cannot read the nflog snapshot: expected a list`));
});

test('the notification log appends one line per notification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-state-'));
  const n = new NotificationLog(dir, HOUR);
  for (let i = 0; i < 5; i++) n.log(`{}:{g="${i}"}`, 'r', 'webhook[0]', ['fp'], [], now);
  assert.equal(existsSync(join(dir, 'nflog.json')), false);
  assert.equal(lines(join(dir, 'nflog.log')).length, 5);
  assert.deepEqual(new NotificationLog(dir, HOUR).get('{}:{g="3"}', 'r', 'webhook[0]')?.firing, ['fp']);
  n.close();
  assert.equal(new NotificationLog(dir, HOUR).get('{}:{g="4"}', 'r', 'webhook[0]')?.timestamp, now);
});

test('kill -9 right after the API answered keeps the silence; a corrupt file stops the start with its name', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-kill-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: r\nreceivers:\n  - name: r\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
  const start = async () => {
    const am = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    am.stderr?.resume();
    t.after(() => am.kill('SIGKILL'));
    await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
    return am;
  };
  const am = await start();
  const res = await fetch(`${base}/api/v2/silences`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'X', isRegex: false }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + HOUR).toISOString(), createdBy: 'ops', comment: 'kept' }),
  });
  const { silenceID } = (await res.json()) as { silenceID: string };
  const exited = new Promise((r) => am.once('exit', r));
  am.kill('SIGKILL');
  await exited;
  await start();
  const got = (await (await fetch(`${base}/api/v2/silence/${silenceID}`)).json()) as { comment: string };
  assert.equal(got.comment, 'kept');

  const bad = mkdtempSync(join(tmpdir(), 'promethium-am-corrupt-'));
  writeFileSync(join(bad, 'silences.json'), '{"version":1,"silences":[');
  const r = spawnSync(process.execPath, [...args.slice(0, -2), `--storage.path=${bad}`, `--web.listen-address=127.0.0.1:${await freePort()}`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${join(bad, 'silences.json')}: cannot read the silences snapshot`));
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
});
