// HostFiles reads sysfs attributes with one read() when the kernel's answer is shorter than a
// page; every file must still come back whole, whatever its size relative to that page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFiles } from '../../src/node-exporter/context.js';

test('files under sysfs and procfs read whole at sizes around a page and beyond the read buffer', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'host-files-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const files = new HostFiles({ procfs: join(root, 'proc'), sysfs: join(root, 'sys'), rootfs: root, udevData: join(root, 'udev') });
  mkdirSync(files.sys('class', 'net', 'eth0'), { recursive: true });
  mkdirSync(files.proc('net'), { recursive: true });
  for (const size of [0, 1, 4095, 4096, 4097, 8192, 70_000, 140_001]) {
    // Distinct content per position, so a repeated or missing chunk would not compare equal.
    const text = Array.from({ length: size }, (_, i) => String.fromCharCode(97 + ((i * 7 + (i >> 12)) % 26))).join('');
    const sys = files.sys('class', 'net', 'eth0', `attr${size}`);
    const proc = files.proc('net', `table${size}`);
    writeFileSync(sys, text);
    writeFileSync(proc, text);
    assert.equal(await files.read(sys), text, `sysfs file of ${size} bytes`);
    assert.equal(await files.readOptional(proc), text, `procfs file of ${size} bytes`);
  }
  // A missing file is undefined; its error is made without a stack, and the limit is put back.
  const limit = Error.stackTraceLimit;
  assert.equal(await files.readOptional(files.sys('class', 'net', 'eth0', 'missing')), undefined);
  assert.equal(Error.stackTraceLimit, limit);
  await assert.rejects(files.read(files.proc('missing')), (e: Error) => (e as NodeJS.ErrnoException).code === 'ENOENT' && e.stack !== undefined && e.stack.includes('\n'));
});
