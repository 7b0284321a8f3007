// Scraped label names that are also names of Object.prototype's members (`__proto__`, `constructor`,
// `hasOwnProperty`) are labels like any other, as in Prometheus: kept from the scrape through
// metric relabeling and the storage to the query API's JSON, in the text format (the native scrape
// path) and in OpenMetrics (the JavaScript path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

type ApiSeries = Record<string, string>;

test('__proto__, constructor and hasOwnProperty labels are kept end to end, and absent ones read as empty in relabeling', async (t) => {
  const sample = 'm{__proto__="p",constructor="c",hasOwnProperty="h"} 1\nplain 2\n';
  const target = createServer((req, res) => {
    if (req.url === '/om') {
      res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
      res.end(`${sample}# EOF\n`);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(sample);
    }
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => target.close());
  const targetAddress = `127.0.0.1:${(target.address() as { port: number }).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-proto-labels-'));
  // Relabeling reads the names as source labels: __proto__ is copied; on `plain` no constructor
  // label exists, so nothing may be read from Object.prototype for it.
  const relabel = '    metric_relabel_configs:\n      - source_labels: [__proto__]\n        target_label: copied\n      - source_labels: [constructor]\n        regex: "(.+)"\n        target_label: from_constructor\n';
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: text\n    static_configs: [{targets: ['${targetAddress}']}]\n${relabel}  - job_name: om\n    metrics_path: /om\n    static_configs: [{targets: ['${targetAddress}']}]\n${relabel}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => server.kill('SIGKILL'));
  const query = async (q: string): Promise<ApiSeries[]> => {
    const body = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: ApiSeries }[] } };
    return body.data.result.map((r) => r.metric);
  };
  // Two scrapes of each job: the second one of the text job goes through the native steady state.
  await waitFor('two scrapes of both jobs', async () => ((await query('count_over_time(m[1m]) >= 2')).length === 2 ? true : undefined), 300);
  const ms = await query('m');
  const byJob = (job: string): ApiSeries | undefined => ms.find((x) => x['job'] === job);
  for (const job of ['text', 'om']) {
    // JSON.parse makes `__proto__` an own key (an object literal would set the prototype).
    const want = JSON.parse(JSON.stringify({ __name__: 'm', constructor: 'c', hasOwnProperty: 'h', copied: 'p', from_constructor: 'c', instance: targetAddress, job }).replace('{', '{"__proto__":"p",')) as ApiSeries;
    assert.deepEqual(byJob(job), want, job);
  }
  assert.deepEqual((await query('m{__proto__="p",job="text"}')).length, 1, 'a matcher on __proto__');
  const series = (await (await fetch(`${base}/api/v1/series?match[]=plain`)).json()) as { data: ApiSeries[] };
  for (const s of series.data) assert.deepEqual(Object.keys(s).sort(), ['__name__', 'instance', 'job'], 'no label made up from Object.prototype');
  const names = (await (await fetch(`${base}/api/v1/labels`)).json()) as { data: string[] };
  assert.ok(names.data.includes('__proto__') && names.data.includes('constructor') && names.data.includes('hasOwnProperty'), names.data.join(','));
});
