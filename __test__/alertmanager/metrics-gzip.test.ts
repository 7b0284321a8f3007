// The Alertmanager's /metrics gzip-compressed when the scraper accepts it, as Alertmanager 0.25's
// promhttp handler sends it; as it is otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startAlertmanager } from '../helpers/alertmanager.js';
import { rawGet } from '../helpers/net.js';

const get = async (url: string, headers: Record<string, string>) => {
  const r = await rawGet(url, headers);
  return { encoding: r.headers['content-encoding'], body: r.body };
};


test('Alertmanager /metrics: gzip when accepted, the text format either way', async (t) => {
  const base = await startAlertmanager(t, 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
  const zipped = await get(`${base}/metrics`, { 'accept-encoding': 'gzip' });
  assert.equal(zipped.encoding, 'gzip');
  assert.match(gunzipSync(zipped.body).toString('utf8'), /^# TYPE alertmanager_alerts gauge$/m);
  const plain = await get(`${base}/metrics`, {});
  assert.equal(plain.encoding, undefined);
  assert.match(plain.body.toString('utf8'), /^# TYPE alertmanager_alerts gauge$/m);
});
