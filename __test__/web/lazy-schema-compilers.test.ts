// The web app's schema compilers (src/web/lazy-schema-compilers.ts): ajv loads with the first
// request a schema must check, not when the routes are registered, or not at all for validators
// generated at build time (src/web/generated-validators.ts); the answers are those of fastify's
// own compilers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions, InjectOptions } from 'fastify';
import formbody from '@fastify/formbody';
import { lazySchemaCompilers, schemaCompilers, validatorWriter } from '../../src/web/lazy-schema-compilers.js';
import { loadValidators, writeValidators } from '../../src/web/generated-validators.js';
import type { GeneratedValidators } from '../../src/web/generated-validators.js';
import { formParams, noParams, queryParams } from '../../src/web/api/schemas.js';

const requireCache = createRequire(import.meta.url).cache;
const ajvLoaded = (): boolean => Object.keys(requireCache).some((f) => f.includes('/node_modules/ajv/'));

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/** The test app, with `compilers` (fastify's own without), and with one more route when `laterRoute`. */
async function app(compilers?: Compilers, laterRoute = false): Promise<FastifyInstance> {
  const a = Fastify(compilers !== undefined ? { schemaController: { compilersFactory: compilers } } : {});
  await a.register(formbody);
  a.get('/idle', { schema: noParams }, async () => 'ok');
  a.get('/q', { schema: queryParams(['query'], { stats: { type: 'string', enum: ['all'] } }) }, async (req) => req.query);
  a.post('/q', { schema: formParams(['query']) }, async (req) => ({ query: req.query, body: req.body }));
  a.get<{ Params: { name: string } }>('/p/:name', { schema: { ...noParams, params: { type: 'object', properties: { name: { type: 'string', minLength: 2 } } } } }, async (req) => req.params.name);
  a.get('/r', { schema: { ...noParams, response: { 200: { type: 'object', properties: { kept: { type: 'string' } } } } } }, async () => ({ kept: 'yes', dropped: 'by the serializer' }));
  if (laterRoute) a.get('/later', { schema: queryParams(['level'], { level: { type: 'string', maxLength: 3 } }) }, async (req) => req.query);
  await a.ready();
  return a;
}

test('no schema is compiled, and ajv not loaded, until a request needs one', async () => {
  const a = await app(lazySchemaCompilers);
  try {
    // Registered and ready: fastify's own compilers would have loaded ajv by now.
    assert.equal(ajvLoaded(), false);
    // A route without parameters takes any query string without ajv.
    const idle = await a.inject({ method: 'GET', url: '/idle?anything=1&anything=2' });
    assert.equal(idle.statusCode, 200);
    assert.equal(ajvLoaded(), false);
    const q = await a.inject({ method: 'GET', url: '/q?query=up' });
    assert.equal(q.statusCode, 200);
    assert.equal(ajvLoaded(), true);
  } finally {
    await a.close();
  }
});

const requests = [
  { method: 'GET', url: '/idle' },
  { method: 'GET', url: '/q?query=up&query=down' },
  { method: 'GET', url: '/q?stats=none' },
  { method: 'GET', url: '/q?stats=all' },
  { method: 'POST', url: '/q?query=a', payload: 'query=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { method: 'POST', url: '/q', payload: { query: 5 } },
  { method: 'POST', url: '/q', payload: { query: { nested: 1 } } },
  { method: 'POST', url: '/q', payload: 'plain', headers: { 'content-type': 'text/plain' } },
  { method: 'GET', url: '/p/x' },
  { method: 'GET', url: '/p/xy' },
  { method: 'GET', url: '/r' },
] as const;

/** Asserts that `a` answers each request as `b` does. */
async function sameAnswers(a: FastifyInstance, b: FastifyInstance, asked: readonly InjectOptions[]): Promise<void> {
  for (const r of asked) {
    const [got, want] = await Promise.all([a.inject(r), b.inject(r)]);
    const what = JSON.stringify(r);
    assert.equal(got.statusCode, want.statusCode, what);
    assert.equal(got.body, want.body, what);
  }
}

test('the answers are those of fastify\'s own compilers: coercion, errors, response serialization', async () => {
  const [lazy, eager] = await Promise.all([app(lazySchemaCompilers), app()]);
  try {
    await sameAnswers(lazy, eager, requests);
  } finally {
    await Promise.all([lazy.close(), eager.close()]);
  }
});

test('validators generated at build time answer as fastify\'s own compilers; a schema the build did not see is compiled with ajv', async (t) => {
  // What scripts/build-validators.mjs does with the server's app.
  const sources = new Map<string, string>();
  await (await app(validatorWriter((key, source) => sources.set(key, source)))).close();
  assert.ok(sources.size >= 4, `one per distinct schema (${sources.size})`);
  const dir = mkdtempSync(join(tmpdir(), 'promethium-validators-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Installed as in a package: ajv's run-time helpers (the minLength check uses one) are found
  // from there through fastify.
  symlinkSync(new URL('../../node_modules', import.meta.url).pathname, join(dir, 'node_modules'));
  const validators = join(dir, 'generated-validators');
  assert.equal(writeValidators(validators, sources), sources.size);
  const generated = loadValidators(validators);
  // Which lookups found a generated validator.
  const found: boolean[] = [];
  const counted: GeneratedValidators = { has: (key) => generated.has(key), get: (key) => (found.push(generated.has(key)), generated.get(key)) };
  const [restored, eager] = await Promise.all([app(schemaCompilers(() => counted), true), app(undefined, true)]);
  try {
    await sameAnswers(restored, eager, [...requests, { method: 'GET', url: '/later?level=abc' }, { method: 'GET', url: '/later?level=abcd' }]);
    assert.ok(found.length > 4);
    // Only the route added after the build missed: its schema is compiled with ajv, and still checked.
    assert.equal(found.filter((hit) => !hit).length, 1, JSON.stringify(found));
    assert.equal((await restored.inject({ method: 'GET', url: '/later?level=abcd' })).statusCode, 400);
  } finally {
    await Promise.all([restored.close(), eager.close()]);
  }
});

test('generated validators load one module each, on their first lookup only, and once', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-validators-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Sources that count their own runs (a validator's standalone source runs when its module loads).
  const counting = (name: string) => `(globalThis.__validatorLoads ??= []).push(${JSON.stringify(name)});\nmodule.exports = function validate(data) { return data === ${JSON.stringify(name)}; };`;
  writeValidators(dir, [['a', counting('a')], ['b', counting('b')]]);
  const g = globalThis as { __validatorLoads?: string[] };
  delete g.__validatorLoads;
  t.after(() => delete g.__validatorLoads);
  const generated = loadValidators(dir);
  assert.equal(generated.has('a'), true);
  assert.equal(generated.has('c'), false);
  assert.equal(g.__validatorLoads, undefined, 'listing and has() load none');
  const a = generated.get('a');
  assert.equal(a?.('a'), true);
  assert.equal(a?.('b'), false);
  assert.equal(generated.get('a'), a, 'the same function again');
  assert.equal(generated.get('c'), undefined);
  assert.deepEqual(g.__validatorLoads, ['a']);
  // Written again, the directory holds exactly the new set.
  writeValidators(dir, [['b', counting('b')]]);
  assert.equal(loadValidators(dir).has('a'), false);
});
