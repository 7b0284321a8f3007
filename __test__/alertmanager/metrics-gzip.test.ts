// The Alertmanager's /metrics gzip-compressed when the scraper accepts it, as Alertmanager 0.25's
// promhttp handler sends it; as it is otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startAlertmanager } from '../helpers/alertmanager.js';

function get(url: string, headers: Record<string, string>): Promise<{ encoding: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

test('Alertmanager /metrics: gzip when accepted, the text format either way', async (t) => {
  const base = await startAlertmanager(t, 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
  const zipped = await get(`${base}/metrics`, { 'accept-encoding': 'gzip' });
  assert.equal(zipped.encoding, 'gzip');
  assert.match(gunzipSync(zipped.body).toString('utf8'), /^# TYPE alertmanager_alerts gauge$/m);
  const plain = await get(`${base}/metrics`, {});
  assert.equal(plain.encoding, undefined);
  assert.match(plain.body.toString('utf8'), /^# TYPE alertmanager_alerts gauge$/m);
});
