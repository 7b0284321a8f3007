// Issue 16: notification templates cannot run code (defect 1), and template files Alertmanager 0.25
// refuses are refused at load and reload, naming the file, with the running configuration kept
// (defect 8, template part).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { ALERTMANAGER_FUNCS, makeRenderer } from '../../src/alertmanager/templates.js';
import { templateData } from '../../src/alertmanager/notify.js';
import { ConfigError, loadAlertmanagerConfig } from '../../src/alertmanager/config.js';
import { Template, TemplateError } from '../../src/template/template.js';
import { ALERTMANAGER_ESCAPES, pwnedCount } from '../template/escapes.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const EMPTYISH = /^(?:<no value>|&lt;no value&gt;|\\u003Cno value\\u003E|%3Cno\+value%3E|%!\w\(<nil>\)|<nil>|nil)*$/;

function data(): ReturnType<typeof templateData> {
  const labels = Object.create(null) as Record<string, string>;
  Object.assign(labels, { alertname: 'Evil', instance: 'h:9100', constructor: 'c' });
  const alert = { labels, annotations: { summary: 's' }, startsAt: 1_000, endsAt: 10_000_000, generatorURL: 'http://p/graph', updatedAt: 1_000, timeout: false };
  return templateData('r', { alertname: 'Evil' }, [{ fingerprint: 'f', alert: alert as never }], 'http://am', 2_000);
}

test('escape attempts in notification templates (and in template files) give a template error or nothing, never run code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-escapes-'));
  // The same attempts inside {{ define }}s of a configured template file.
  const parses = (text: string): boolean => {
    try {
      return new Template('f', text, ALERTMANAGER_FUNCS) !== undefined;
    } catch {
      return false;
    }
  };
  const defines = ALERTMANAGER_ESCAPES.map((t, i) => `{{ define "evil${i}" }}${t}{{ end }}`).filter(parses);
  assert.ok(defines.length > 80, `${defines.length} attempts parse`);
  writeFileSync(join(dir, 'evil.tmpl'), defines.join('\n'));
  const render = makeRenderer([join(dir, 'evil.tmpl')]);
  let tried = 0;
  for (const [i, text] of ALERTMANAGER_ESCAPES.entries()) {
    for (const t of [text, `{{ template "evil${i}" . }}`]) {
      let out: string;
      try {
        out = render(t, data());
      } catch (e) {
        assert.ok(e instanceof TemplateError, `${t}: ${String(e)}`);
        continue;
      }
      tried++;
      assert.match(out, EMPTYISH, t);
    }
  }
  assert.ok(tried > 0, `${tried} rendered without an error`);
  assert.equal(pwnedCount(), 0);
  // The ordinary methods still work.
  assert.equal(render('{{ .CommonLabels.constructor }}|{{ (.CommonLabels.Remove .GroupLabels.Names).Names | join "," }}|{{ .Alerts.Firing | len }}', data()), 'c|constructor,instance|1');
});

function amtoolVerdict(config: string): { ok: boolean; out: string } {
  const r = spawnSync('amtool', ['check-config', config], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'amtool (Debian package prometheus-alertmanager) must be installed');
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

test('template files Alertmanager refuses fail the load with file and line, as amtool says', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-badtmpl-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, 'route:\n  receiver: r\nreceivers:\n  - name: r\ntemplates: ["*.tmpl"]\n');
  const cases: [string, string, RegExp][] = [
    ['unclosed.tmpl', '{{ define "x" }}{{ .Foo', /template: unclosed\.tmpl:1: unclosed action/],
    ['noend.tmpl', 'a\n{{ define "x" }}hello', /template: noend\.tmpl:2: unexpected EOF/],
    ['nofunc.tmpl', '{{ define "x" }}{{ trimSpace "a" }}{{ end }}', /template: nofunc\.tmpl:1: function "trimSpace" not defined/],
    ['badstr.tmpl', '{{ define "x" }}{{ "\\q" }}{{ end }}', /template: badstr\.tmpl:1: .*string/],
  ];
  for (const [file, text, message] of cases) {
    writeFileSync(join(dir, file), text);
    assert.throws(() => loadAlertmanagerConfig(config), (e: unknown) => e instanceof ConfigError && message.test(e.message), file);
    const am = amtoolVerdict(config);
    assert.equal(am.ok, false, `amtool refuses ${file} too`);
    assert.match(am.out, new RegExp(`template: ${file.replace('.', '\\.')}`));
    spawnSync('rm', [join(dir, file)]);
  }
  writeFileSync(join(dir, 'good.tmpl'), '{{ define "x" }}{{ .CommonLabels.SortedPairs.Values | join " " }}{{ end }}');
  assert.doesNotThrow(() => loadAlertmanagerConfig(config));
  assert.equal(amtoolVerdict(config).ok, true);
});

test('a reload with a broken template file is refused and the running configuration stays', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-reload-tmpl-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, 'route:\n  receiver: first\nreceivers:\n  - name: first\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  am.stderr?.resume();
  t.after(() => am.kill('SIGKILL'));
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 200, 100);
  writeFileSync(join(dir, 'broken.tmpl'), '{{ define "x" }}{{ .Foo');
  writeFileSync(config, 'route:\n  receiver: second\nreceivers:\n  - name: second\ntemplates: ["broken.tmpl"]\n');
  const r = await fetch(`${base}/-/reload`, { method: 'POST' });
  assert.equal(r.status, 500);
  assert.match(await r.text(), /template: broken\.tmpl:1: unclosed action/);
  const status = (await (await fetch(`${base}/api/v2/status`)).json()) as { config: { original: string } };
  assert.match(status.config.original, /receiver: first/);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /^alertmanager_config_last_reload_successful 0$/m);
});
