// The storage side of restoring `for` state: the last ALERTS_FOR_STATE sample of each of an
// alert's series within the outage tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { storageForState } from '../../src/rules/engine-deps.js';

test('lastForState finds the last ALERTS_FOR_STATE sample per series of the alert', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-forstate-'));
  const storage = Storage.open(dir);
  t.after(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const app = storage.appender();
  const a = { __name__: 'ALERTS_FOR_STATE', alertname: 'InstanceDown', instance: 'a:9100', severity: 'page' };
  const b = { __name__: 'ALERTS_FOR_STATE', alertname: 'InstanceDown', instance: 'b:9100', severity: 'page' };
  const other = { __name__: 'ALERTS_FOR_STATE', alertname: 'Other', instance: 'a:9100' };
  for (let ts = 100_000; ts <= 400_000; ts += 60_000) {
    app.add(a, ts, 90);
    app.add(other, ts, 5);
  }
  app.add(b, 50_000, 40); // before the outage tolerance window
  app.commit();
  const fs = storageForState(storage, 3600_000, 600_000);
  const got = await fs.lastForState('InstanceDown', 60_000, 1_000_000);
  assert.deepEqual(got, [{ labels: { alertname: 'InstanceDown', instance: 'a:9100', severity: 'page' }, t: 400_000, v: 90 }]);
  assert.equal(fs.gracePeriodMs, 600_000);
});
