// Values Alertmanager 0.25 refuses in alertmanager.yml that Promethium used to accept: URL settings
// (Go's url.Parse plus an http(s) scheme and a host), label names in group_by/equal/match/matchers,
// time interval ranges and zones, duplicate e-mail headers, basic_auth with two passwords. Each
// case has 0.25's message; when amtool is installed its verdict on the same file is compared too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAlertmanagerConfig } from '../../src/alertmanager/config.js';
import { AlertmanagerServer } from '../../src/alertmanager/server.js';
import { parseMatcher } from '../../src/alertmanager/matchers.js';
import { Logger } from '../../src/util/logger.js';

const base = 'route:\n  receiver: w\nreceivers:\n- name: w\n';
const withReceiver = (integration: string): string => `${base}  ${integration.replace(/\n/g, '\n  ')}\n`;
const withIntervals = (spec: string): string => `${base}time_intervals:\n- name: t\n  time_intervals:\n  - ${spec}\n`;

/** [file text, Alertmanager 0.25's message (undefined: accepted)]. */
const cases: [string, string | undefined][] = [
  [withReceiver('webhook_configs:\n- url: "not a url"'), 'unsupported scheme "" for URL'],
  [withReceiver('webhook_configs:\n- url: "ftp://h/x"'), 'unsupported scheme "ftp" for URL'],
  [withReceiver('webhook_configs:\n- url: "http://"'), 'missing host for URL'],
  [withReceiver('webhook_configs:\n- url: "http://h:port/"'), 'parse "http://h:port/": invalid port ":port" after host'],
  [withReceiver('webhook_configs:\n- url: "http://a b/"'), 'parse "http://a b/": invalid character " " in host name'],
  [withReceiver('webhook_configs:\n- url: "http://h/%zz"'), 'parse "http://h/%zz": invalid URL escape "%zz"'],
  [withReceiver('webhook_configs:\n- url: "http://[::1"'), `parse "http://[::1": missing ']' in host`],
  [withReceiver('webhook_configs:\n- url: " http://h/"'), 'parse " http://h/": first path segment in URL cannot contain colon'],
  [withReceiver('webhook_configs:\n- url: "HTTP://user@h:9/x?y#z"'), undefined],
  [withReceiver('webhook_configs:\n- url: "http://[::1]:9/x"'), undefined],
  [withReceiver('slack_configs:\n- api_url: "h/x"'), 'unsupported scheme "" for URL'],
  [withReceiver('slack_configs:\n- api_url: "<secret>"'), undefined],
  [withReceiver('opsgenie_configs:\n- api_key: x\n  api_url: ""'), 'unsupported scheme "" for URL'],
  [withReceiver('victorops_configs:\n- api_key: x\n  routing_key: y\n  api_url: "h/x"'), 'unsupported scheme "" for URL'],
  [withReceiver('pagerduty_configs:\n- routing_key: x\n  url: "h/x"'), 'unsupported scheme "" for URL'],
  [withReceiver('telegram_configs:\n- bot_token: x\n  chat_id: 1\n  api_url: "http://"'), 'missing host for URL'],
  [withReceiver('wechat_configs:\n- api_secret: x\n  corp_id: y\n  api_url: "wechat"'), 'unsupported scheme "" for URL'],
  [`global:\n  slack_api_url: 'not a url'\n${base}`, 'unsupported scheme "" for URL'],
  [`global:\n  pagerduty_url: 'ftp://x/'\n${base}`, 'unsupported scheme "ftp" for URL'],
  [withReceiver('webhook_configs:\n- url: http://h/\n  http_config:\n    basic_auth: {username: u, password: p, password_file: /etc/hosts}'), 'at most one of basic_auth password & password_file must be configured'],
  [withReceiver('webhook_configs:\n- url: http://h/\n  max_alerts: -1'), 'cannot unmarshal !!int `-1` into uint64'],
  [withReceiver('email_configs:\n- to: a@b\n  from: c@d\n  smarthost: h:25\n  headers: {Subject: a, subject: b}'), 'duplicate header "Subject" in email config'],
  [`route:\n  receiver: w\n  group_by: ['a-b']\nreceivers:\n- name: w\n`, 'invalid label name "a-b" in group_by list'],
  [`route:\n  receiver: w\n  routes:\n  - match: {a-b: x}\nreceivers:\n- name: w\n`, 'invalid label name "a-b"'],
  [`route:\n  receiver: w\n  routes:\n  - match_re: {a-b: x}\nreceivers:\n- name: w\n`, 'invalid label name "a-b"'],
  [`route:\n  receiver: w\n  routes:\n  - matchers: ['a-b="x"']\nreceivers:\n- name: w\n`, 'bad matcher format: a-b="x"'],
  [`${base}inhibit_rules:\n- source_matchers: ['a="1"']\n  target_matchers: ['b="1"']\n  equal: ['a-b']\n`, '"a-b" is not a valid label name'],
  [withIntervals("times: [{start_time: '10:00', end_time: '09:00'}]"), 'start time cannot be equal or greater than end time'],
  [withIntervals("times: [{start_time: '1:00', end_time: '02:00'}]"), "couldn't parse timestamp 1:00, invalid format"],
  [withIntervals("times: [{start_time: '00:00', end_time: '24:00'}]"), undefined],
  [withIntervals("days_of_month: ['0']"), '0 is not a valid day of the month: out of range'],
  [withIntervals("days_of_month: ['1:32']"), '32 is not a valid day of the month: out of range'],
  [withIntervals("days_of_month: ['5:3']"), 'end day 3 is always before start day 5'],
  [withIntervals("days_of_month: ['-3:5']"), 'end day must be negative if start day is negative'],
  [withIntervals("days_of_month: ['3:-5']"), undefined],
  [withIntervals("months: ['may:march']"), 'end month march is before start month may'],
  [withIntervals("weekdays: ['friday:monday']"), 'start day cannot be before end day'],
  [withIntervals("years: ['2030:2020']"), 'end year 2020 is before start year 2030'],
  [withIntervals("location: 'Mars/Base'"), 'unknown time zone Mars/Base'],
  [withIntervals("location: 'Europe/Berlin'"), undefined],
  [withIntervals("weekdays: ['1']"), '1 is not a valid weekday'],
  [withIntervals("weekdays: ['monday:friday']"), undefined],
  [withReceiver('webhook_configs:\n- url: http://h/\n  http_config:\n    authorization: {type: Basic, credentials: x}'), 'authorization type cannot be set to "basic", use "basic_auth" instead'],
  [withReceiver('email_configs:\n- to: a@b\n  from: c@d\n  smarthost: host'), 'address host: missing port in address'],
  [`${base}templates: ['[']\n`, 'syntax error in pattern'],
  [`route:\n  receiver: w\n  routes:\n  - matchers: ['{a=b}', 'c=d,e=~"f.*"']\nreceivers:\n- name: w\n`, undefined],
];

test('a matchers entry is a matcher list, braces and commas included, as Alertmanager reads it', async () => {
  const { matchRoutes } = await import('../../src/alertmanager/route.js');
  const cfg = parseAlertmanagerConfig(`route:\n  receiver: w\n  routes:\n  - matchers: ['{a="b"}']\n    receiver: braces\n  - matchers: ['a=c,b=~"d.*"']\n    receiver: list\nreceivers:\n- name: w\n- name: braces\n- name: list\n`, 'am.yml');
  const to = (labels: Record<string, string>): string[] => matchRoutes(cfg.core.route, labels).map((r) => r.receiver);
  assert.deepEqual(to({ a: 'b' }), ['braces']);
  assert.deepEqual(to({ a: 'c', b: 'dd' }), ['list']);
  assert.deepEqual(to({ a: 'c' }), ['w']);
});

test('alertmanager.yml values Alertmanager 0.25 refuses are refused with its message', () => {
  const wrong: string[] = [];
  for (const [text, want] of cases) {
    let got: string | undefined;
    try {
      parseAlertmanagerConfig(text, 'am.yml');
    } catch (e) {
      got = (e as Error).message;
    }
    if (want === undefined ? got !== undefined : !got?.includes(want)) wrong.push(`${JSON.stringify(text)}\n  want ${want ?? 'accepted'}\n  got  ${got ?? 'accepted'}`);
  }
  assert.deepEqual(wrong, []);
});

test('amtool check-config gives the same verdicts on the same files', { skip: !existsSync('/usr/bin/amtool') && 'amtool not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-checks-'));
  const wrong: string[] = [];
  cases.forEach(([text, want], i) => {
    const file = join(dir, `c${i}.yml`);
    writeFileSync(file, text);
    let out = '';
    try {
      out = execFileSync('amtool', ['check-config', file], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? '');
    }
    const refused = out.includes('FAILED');
    if (refused !== (want !== undefined) || (want !== undefined && !out.includes(want))) wrong.push(`${JSON.stringify(text)}: amtool says ${out.trim()}`);
  });
  assert.deepEqual(wrong, []);
});

test('a reload with a bad URL keeps the running configuration', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-reload-url-'));
  const file = join(dir, 'alertmanager.yml');
  const good = withReceiver('webhook_configs:\n- url: "http://127.0.0.1:1/hook"');
  writeFileSync(file, good);
  const { readFileSync } = await import('node:fs');
  const server = new AlertmanagerServer({
    listenHost: '127.0.0.1',
    listenPort: 0,
    routePrefix: '',
    externalUrl: 'http://am',
    storagePath: join(dir, 'data'),
    retentionMs: 3600_000,
    logger: new Logger({ write: () => undefined }),
    loadConfig: () => parseAlertmanagerConfig(readFileSync(file, 'utf8'), file).core,
    parseMatcher,
  });
  const { port } = await server.start();
  t.after(() => server.stop());
  writeFileSync(file, withReceiver('webhook_configs:\n- url: "not a url"'));
  const res = await fetch(`http://127.0.0.1:${port}/-/reload`, { method: 'POST' });
  assert.equal(res.status, 500);
  assert.match(await res.text(), /unsupported scheme "" for URL/);
  const status = (await (await fetch(`http://127.0.0.1:${port}/api/v2/status`)).json()) as { config: { original: string } };
  assert.equal(status.config.original, good);
});
