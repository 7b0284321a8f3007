// The web app's schema compilers (src/web/lazy-schema-compilers.ts): ajv loads with the first
// request a schema must check, not when the routes are registered, and the answers are those of
// fastify's own compilers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { lazySchemaCompilers } from '../../src/web/lazy-schema-compilers.js';
import { formParams, noParams, queryParams } from '../../src/web/api/schemas.js';

const requireCache = createRequire(import.meta.url).cache;
const ajvLoaded = (): boolean => Object.keys(requireCache).some((f) => f.includes('/node_modules/ajv/'));

async function app(lazy: boolean): Promise<FastifyInstance> {
  const a = Fastify(lazy ? { schemaController: { compilersFactory: lazySchemaCompilers } } : {});
  await a.register(formbody);
  a.get('/idle', { schema: noParams }, async () => 'ok');
  a.get('/q', { schema: queryParams(['query'], { stats: { type: 'string', enum: ['all'] } }) }, async (req) => req.query);
  a.post('/q', { schema: formParams(['query']) }, async (req) => ({ query: req.query, body: req.body }));
  a.get<{ Params: { name: string } }>('/p/:name', { schema: { ...noParams, params: { type: 'object', properties: { name: { type: 'string', minLength: 2 } } } } }, async (req) => req.params.name);
  a.get('/r', { schema: { ...noParams, response: { 200: { type: 'object', properties: { kept: { type: 'string' } } } } } }, async () => ({ kept: 'yes', dropped: 'by the serializer' }));
  await a.ready();
  return a;
}

test('no schema is compiled, and ajv not loaded, until a request needs one', async () => {
  const a = await app(true);
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

test('the answers are those of fastify\'s own compilers: coercion, errors, response serialization', async () => {
  const [lazy, eager] = await Promise.all([app(true), app(false)]);
  try {
    const requests = [
      { method: 'GET', url: '/idle' },
      { method: 'GET', url: '/q?query=up&query=down' },
      { method: 'GET', url: '/q?stats=none' },
      { method: 'GET', url: '/q?stats=all' },
      { method: 'POST', url: '/q?query=a', payload: 'query=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'POST', url: '/q', payload: { query: 5 } },
      { method: 'POST', url: '/q', payload: 'plain', headers: { 'content-type': 'text/plain' } },
      { method: 'GET', url: '/p/x' },
      { method: 'GET', url: '/p/xy' },
      { method: 'GET', url: '/r' },
    ] as const;
    for (const r of requests) {
      const [got, want] = await Promise.all([lazy.inject(r), eager.inject(r)]);
      assert.equal(got.statusCode, want.statusCode, `${r.method} ${r.url}`);
      assert.equal(got.body, want.body, `${r.method} ${r.url}`);
    }
  } finally {
    await Promise.all([lazy.close(), eager.close()]);
  }
});
