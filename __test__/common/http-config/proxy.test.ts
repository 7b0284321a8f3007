// Which proxy a request takes: proxy_url minus no_proxy, or the environment (Go's rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { excludedByNoProxy, proxyFor } from '../../../src/common/http-config/proxy.js';
import { parseConfig } from '../../../src/config/index.js';
import { createServer } from 'node:http';
import { httpDispatcher } from '../../../src/common/http-config/dispatcher.js';

test('no_proxy: hosts, domains, IPs, CIDRs, ports and *', () => {
  const no = 'example.com, .internal, 10.0.0.0/8, 192.168.1.5, metrics.svc:8080, ::1';
  const ex = (u: string): boolean => excludedByNoProxy(new URL(u), no);
  assert.ok(ex('http://example.com/metrics') && ex('http://a.example.com/') && ex('https://x.internal/'));
  assert.ok(!ex('http://notexample.com/') && !ex('http://internal.com/'));
  assert.ok(ex('http://10.1.2.3:9100/') && !ex('http://11.1.2.3/'));
  assert.ok(ex('http://192.168.1.5/') && !ex('http://192.168.1.6/'));
  assert.ok(ex('http://metrics.svc:8080/') && !ex('http://metrics.svc:9090/'));
  assert.ok(ex('http://[::1]:9090/'));
  assert.ok(excludedByNoProxy(new URL('http://anything/'), '*'));
  assert.ok(!excludedByNoProxy(new URL('http://anything/'), undefined));
});

test('proxy_url with no_proxy, and proxy_from_environment', () => {
  assert.equal(proxyFor(new URL('http://a:1/'), { proxyUrl: 'http://p:3128', noProxy: 'b' }), 'http://p:3128');
  assert.equal(proxyFor(new URL('http://b:1/'), { proxyUrl: 'http://p:3128', noProxy: 'b' }), undefined);
  const saved = { ...process.env };
  try {
    process.env['HTTP_PROXY'] = 'http://envproxy:1';
    process.env['HTTPS_PROXY'] = 'http://envsecure:1';
    process.env['NO_PROXY'] = 'skip.me';
    assert.equal(proxyFor(new URL('http://a/'), { proxyFromEnvironment: true }), 'http://envproxy:1');
    assert.equal(proxyFor(new URL('https://a/'), { proxyFromEnvironment: true }), 'http://envsecure:1');
    assert.equal(proxyFor(new URL('http://skip.me/'), { proxyFromEnvironment: true }), undefined);
    assert.equal(proxyFor(new URL('http://localhost:9090/'), { proxyFromEnvironment: true }), undefined, 'loopback is never proxied');
    assert.equal(proxyFor(new URL('http://a/'), {}), undefined);
  } finally {
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('the proxy settings are checked as Prometheus checks them', () => {
  const job = (extra: string): string => `scrape_configs:\n  - job_name: j\n${extra}    static_configs: [{targets: ['x:1']}]\n`;
  assert.throws(() => parseConfig(job('    no_proxy: a\n'), 'p.yml'), /if no_proxy is configured, proxy_url must also be configured/);
  assert.throws(() => parseConfig(job('    proxy_url: http://p:1\n    proxy_from_environment: true\n'), 'p.yml'), /proxy_url must not be configured/);
  assert.throws(() => parseConfig(job('    proxy_connect_header: {X-A: [b]}\n'), 'p.yml'), /proxy_url or proxy_from_environment must also be configured/);
  const h = parseConfig(job('    proxy_url: http://p:1\n    no_proxy: a,b\n    proxy_connect_header: {X-A: [b, c]}\n'), 'p.yml').scrapeConfigs[0]!.http;
  assert.deepEqual([h.noProxy, h.proxyConnectHeader], ['a,b', { 'X-A': ['b', 'c'] }]);
});

test('fetch dispatchers (Alertmanagers, HTTP discovery) honor no_proxy and proxy_from_environment', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const tls = { insecureSkipVerify: false };
  try {
    // The proxy is not there: only bypassing it reaches the server.
    const direct = httpDispatcher({ tls, proxyUrl: 'http://127.0.0.1:1', noProxy: '127.0.0.1' });
    assert.equal(await (await fetch(url, { dispatcher: direct } as RequestInit)).text(), 'ok');
    const viaDead = httpDispatcher({ tls, proxyUrl: 'http://127.0.0.1:1' });
    await assert.rejects(fetch(url, { dispatcher: viaDead } as RequestInit));
  } finally {
    server.close();
  }
});
