// The remote-write receiver (`--web.enable-remote-write-receiver`) over HTTP, against a real
// server process. One test per Remote-Write 2.0 MUST the receiver implements (prometheus/docs
// `remote_write_spec_2_0.md`), plus 1.0 and Prometheus's own answers:
//   - content negotiation by Content-Type: no proto / proto=prometheus.WriteRequest is 1.0,
//     proto=io.prometheus.write.v2.Request is 2.0 (the receiver MUST support 2.0);
//   - 415 for an unsupported content type or proto, and for a content encoding other than snappy;
//   - the X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written headers, with the
//     numbers really written, also on a partial write;
//   - symbol table: the first symbol MUST be "", references MUST point into the table -> else 400;
//   - series labels MUST be sorted and unique, label names non-empty -> else 400;
//   - a partial write (invalid or refused samples) MUST NOT be answered 2xx: 400 with a readable
//     reason saying how many samples were refused and why;
//   - invalid samples (timestamps out of range) -> 400;
//   - metadata, exemplars and created timestamps are taken (exemplars queryable).
// Prometheus's own: 204 on success, missing __name__ -> 400, snappy bomb -> 413, 404 when disabled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { body as asBody, encodeV1, seriesV1, V2Builder, type Body } from './proto.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const V2_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';
let base = '';
let server: ChildProcess;
let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promethium-rw-recv-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1h\nstorage:\n  exemplars:\n    max_exemplars: 100\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage,st-storage'], { stdio: 'ignore' });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined));
});

after(() => {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** `encoding` null: no Content-Encoding header. */
async function post(body: Body, contentType: string | undefined, encoding: string | null = 'snappy'): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  if (encoding !== null) headers['Content-Encoding'] = encoding;
  const r = await fetch(`${base}/api/v1/write`, { method: 'POST', headers, body });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

async function instant(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${Date.now() / 1000}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return r.data.result;
}

const now = (): number => Date.now() - 1000;

test('1.0 without a proto parameter and with proto=prometheus.WriteRequest: 204, samples queryable', async () => {
  const t = now();
  const a = await post(encodeV1([seriesV1([['__name__', 'rw_v1'], ['k', 'a']], [[t, 1.5]])]), 'application/x-protobuf');
  assert.equal(a.status, 204, a.text);
  // 1.0 answers carry no written-count headers.
  assert.equal(a.headers.get('x-prometheus-remote-write-samples-written'), null);
  const b = await post(encodeV1([seriesV1([['__name__', 'rw_v1'], ['k', 'b']], [[t, 2.5]])]), 'application/x-protobuf;proto=prometheus.WriteRequest');
  assert.equal(b.status, 204, b.text);
  const got = await instant('rw_v1');
  assert.deepEqual(got.map((s) => [s.metric['k'], s.value[1]]).sort(), [['a', '1.5'], ['b', '2.5']]);
});

test('2.0: negotiated by Content-Type, 204 with the written-count headers; exemplars stored', async () => {
  const t = now();
  const b = new V2Builder();
  b.series([['__name__', 'rw_v2_total'], ['job', 'x']], [[t - 1000, 3], [t, 4]], {
    exemplars: [{ labels_refs: b.refs([['trace_id', 'abc']]), value: 1, timestamp: t }],
    metadata: { type: 1, help_ref: b.ref('Total of things.') },
    created_timestamp: t - 60_000,
  });
  const r = await post(b.encode(), V2_TYPE);
  assert.equal(r.status, 204, r.text);
  assert.equal(r.headers.get('x-prometheus-remote-write-samples-written'), '2');
  assert.equal(r.headers.get('x-prometheus-remote-write-histograms-written'), '0');
  assert.equal(r.headers.get('x-prometheus-remote-write-exemplars-written'), '1');
  assert.deepEqual((await instant('rw_v2_total')).map((s) => s.value[1]), ['4']);
  const ex = (await (await fetch(`${base}/api/v1/query_exemplars?query=rw_v2_total&start=0&end=${Date.now() / 1000 + 10}`)).json()) as { data: { exemplars: { labels: Record<string, string> }[] }[] };
  assert.deepEqual(ex.data[0]?.exemplars[0]?.labels, { trace_id: 'abc' });
});

test('415 for an unknown proto message, a foreign media type and a missing or unknown Content-Encoding', async () => {
  const body = new V2Builder().series([['__name__', 'x']], [[now(), 1]]).encode();
  const unknownProto = await post(body, 'application/x-protobuf;proto=io.prometheus.write.v3.Request');
  assert.equal(unknownProto.status, 415);
  assert.match(unknownProto.text, /unknown remote write proto message/);
  assert.equal((await post(body, 'application/json')).status, 415);
  const gzip = await post(body, V2_TYPE, 'gzip');
  assert.equal(gzip.status, 415);
  assert.match(gzip.text, /snappy/);
  assert.equal((await post(body, V2_TYPE, null)).status, 415);
});

test('2.0 symbol table: a reference outside it and a first symbol that is not empty are 400', async () => {
  const b = new V2Builder().series([['__name__', 'x']], [[now(), 1]]);
  (b.timeseries[0] as { labels_refs: number[] }).labels_refs = [1, 99];
  const r = await post(b.encode(), V2_TYPE);
  assert.equal(r.status, 400);
  assert.match(r.text, /symbol reference 99 out of range/);
  assert.equal(r.headers.get('x-prometheus-remote-write-samples-written'), '0');
  const c = new V2Builder().series([['__name__', 'x']], [[now(), 1]]);
  c.symbols[0] = 'oops';
  const r2 = await post(c.encode(), V2_TYPE);
  assert.equal(r2.status, 400);
  assert.match(r2.text, /must start with the empty string/);
});

test('labels unsorted, duplicated, with an empty name, or without __name__ are 400 and nothing is written', async () => {
  const t = now();
  const cases: [[string, string][], RegExp][] = [
    [[['job', 'a'], ['__name__', 'bad_unsorted']], /labels not sorted/],
    [[['__name__', 'bad_dup'], ['a', '1'], ['a', '2']], /duplicate label name "a"/],
    [[['', 'v'], ['__name__', 'bad_empty']], /empty label name/],
    [[['job', 'a']], /missing metric name/],
  ];
  for (const [labels, why] of cases) {
    for (const [body, type] of [[encodeV1([seriesV1([['__name__', 'good_neighbour']], [[t, 1]]), seriesV1(labels, [[t, 1]])]), 'application/x-protobuf'], [new V2Builder().series([['__name__', 'good_neighbour']], [[t, 1]]).series(labels, [[t, 1]]).encode(), V2_TYPE]] as const) {
      const r = await post(body, type);
      assert.equal(r.status, 400, `${JSON.stringify(labels)}: ${r.text}`);
      assert.match(r.text, why);
    }
  }
  // Validation runs before anything is appended: the valid series of those requests is absent.
  assert.deepEqual(await instant('good_neighbour'), []);
});

test('a partial write (out of order and duplicate samples) is 400 with counts and the first offender; the rest is written', async () => {
  const t = now();
  assert.equal((await post(encodeV1([seriesV1([['__name__', 'rw_ooo']], [[t, 1]])]), 'application/x-protobuf')).status, 204);
  const b = new V2Builder().series([['__name__', 'rw_ooo']], [[t - 5000, 0], [t, 9]]).series([['__name__', 'rw_ooo_fresh']], [[t, 7]]);
  const r = await post(b.encode(), V2_TYPE);
  assert.equal(r.status, 400);
  assert.match(r.text, /2 of 3 samples not written \(1 out of order, 1 duplicate timestamp with a different value\); first: out of order sample for series \{__name__="rw_ooo"\} at timestamp/);
  assert.equal(r.headers.get('x-prometheus-remote-write-samples-written'), '1');
  assert.deepEqual((await instant('rw_ooo_fresh')).map((s) => s.value[1]), ['7']);
});

test('timestamps outside the representable range are 400', async () => {
  const r = await post(encodeV1([seriesV1([['__name__', 'rw_far']], [[9e15, 1]])]), 'application/x-protobuf');
  assert.equal(r.status, 400);
  assert.match(r.text, /outside the representable range/);
});

test('a snappy header declaring a huge size is 413 before decompressing; a corrupt body is 400', async () => {
  // uvarint(2^31) then one literal byte.
  const bomb = asBody(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x41]));
  const r = await post(bomb, V2_TYPE);
  assert.equal(r.status, 413);
  assert.match(r.text, /exceeds the limit/);
  const corrupt = await post(asBody(Buffer.from([0x10, 0xff, 0xff])), 'application/x-protobuf');
  assert.equal(corrupt.status, 400);
  assert.match(corrupt.text, /snappy/);
});

test('a 1.0 metadata-only request (as Prometheus sends them) is 204', async () => {
  const r = await post(encodeV1([], [{ type: 2, metric_family_name: 'rw_gauge', help: 'A gauge.', unit: '' }]), 'application/x-protobuf');
  assert.equal(r.status, 204, r.text);
});
