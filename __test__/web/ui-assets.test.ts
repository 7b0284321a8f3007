// The UI bundle's files: an ETag, a 304 when the browser's copy is current, the build's gzip copy
// to a browser that accepts gzip (never a copy older than the file), the file itself otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { uiPlugin } from '../../src/web/ui-plugin.js';

test('UI bundle files: ETag and 304, the gzip copy when accepted and current, the file otherwise', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-ui-assets-'));
  const js = Buffer.from(`console.log(${JSON.stringify('x'.repeat(5000))});\n`);
  writeFileSync(join(dir, 'app.js'), js);
  writeFileSync(join(dir, 'app.js.gz'), gzipSync(js));
  writeFileSync(join(dir, 'app.css'), 'body { color: black }\n');
  const app = Fastify();
  t.after(() => app.close());
  await app.register(uiPlugin({ title: 'T', routePrefix: '', dir }));

  const plain = await app.inject({ url: '/ui/app.js' });
  assert.equal(plain.statusCode, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(plain.rawPayload, js);
  assert.match(String(plain.headers['content-type']), /^text\/javascript/);
  const etag = String(plain.headers.etag);
  assert.match(etag, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  assert.match(String(plain.headers.vary), /Accept-Encoding/);

  const zipped = await app.inject({ url: '/ui/app.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.equal(zipped.headers.etag, etag);
  assert.deepEqual(gunzipSync(zipped.rawPayload), js);
  assert.ok(zipped.rawPayload.length < js.length / 10);

  // The browser's copy is current: nothing but the answer that says so.
  for (const tag of [etag, etag.slice(2), `"nope", ${etag}`, '*']) {
    const again = await app.inject({ url: '/ui/app.js', headers: { 'if-none-match': tag, 'accept-encoding': 'gzip' } });
    assert.equal(again.statusCode, 304, tag);
    assert.equal(again.rawPayload.length, 0, tag);
  }
  assert.equal((await app.inject({ url: '/ui/app.js', headers: { 'if-none-match': '"other"' } })).statusCode, 200);

  // No gzip copy (app.css): the file as it is, even when gzip is accepted.
  const css = await app.inject({ url: '/ui/app.css', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(css.statusCode, 200);
  assert.equal(css.headers['content-encoding'], undefined);
  assert.equal(css.body, 'body { color: black }\n');

  // A bundle rebuilt without its gzip copy: the stale copy is not sent, and the ETag changed.
  const rebuilt = Buffer.from('console.log("new");\n');
  writeFileSync(join(dir, 'app.js'), rebuilt);
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(dir, 'app.js'), later, later);
  const fresh = await app.inject({ url: '/ui/app.js', headers: { 'accept-encoding': 'gzip', 'if-none-match': etag } });
  assert.equal(fresh.statusCode, 200);
  assert.equal(fresh.headers['content-encoding'], undefined);
  assert.deepEqual(fresh.rawPayload, rebuilt);
  assert.notEqual(fresh.headers.etag, etag);

  // Anything else under /ui/ is not there.
  assert.equal((await app.inject({ url: '/ui/app.js.gz' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/ui/app.js.map' })).statusCode, 404);
});

test('UI page: 503 saying how to build while the bundle is missing, the page once it is built', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-ui-shell-'));
  const app = Fastify();
  t.after(() => app.close());
  await app.register(uiPlugin({ title: 'T', routePrefix: '', dir, paths: ['/query'] }));
  const missing = await app.inject({ url: '/query' });
  assert.equal(missing.statusCode, 503);
  assert.match(missing.body, /web UI is not built: run `npm run build`/);
  writeFileSync(join(dir, 'app.js'), 'console.log(1);\n');
  const built = await app.inject({ url: '/query' });
  assert.equal(built.statusCode, 200);
  assert.match(String(built.headers['content-type']), /^text\/html/);
  assert.match(built.body, /<script type="module" src="\/ui\/app\.js"><\/script>/);
});
