import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { localZoneName, parseTzif, ruleNames, zoneFileFor, zoneNameAt } from '../../src/node-exporter/collectors/time-zone.js';

/** A version 1 TZif file with the given transitions, types (offset, dst, name). */
function tzifV1(transitions: number[], typeOfTransition: number[], types: [number, boolean, string][]): Buffer {
  const chars = Buffer.from(types.map((t) => `${t[2]}\0`).join(''), 'latin1');
  const header = Buffer.alloc(44);
  header.write('TZif', 0, 'latin1');
  [0, 0, 0, transitions.length, types.length, chars.length].forEach((n, i) => header.writeUInt32BE(n, 20 + 4 * i));
  const tx = Buffer.alloc(transitions.length * 4);
  transitions.forEach((t, i) => tx.writeInt32BE(t, i * 4));
  const ttinfo = Buffer.alloc(types.length * 6);
  let at = 0;
  types.forEach(([off, dst, name], i) => {
    ttinfo.writeInt32BE(off, i * 6);
    ttinfo[i * 6 + 4] = dst ? 1 : 0;
    ttinfo[i * 6 + 5] = at;
    at += name.length + 1;
  });
  return Buffer.concat([header, tx, Buffer.from(typeOfTransition), ttinfo, chars]);
}

test('a TZif file names the zone by the transition in effect', () => {
  const zone = parseTzif(tzifV1([1000, 2000, 3000], [1, 0, 1], [[3600, false, 'AAT'], [7200, true, 'AAST']]));
  assert.equal(zoneNameAt(zone, 500, 3600), 'AAT', 'before the first transition: the first standard type');
  assert.equal(zoneNameAt(zone, 1000, 7200), 'AAST');
  assert.equal(zoneNameAt(zone, 2500, 3600), 'AAT');
  assert.equal(zoneNameAt(zone, 9999, 7200), 'AAST', 'no footer rule: the last transition stays in effect');
});

test('a zone without transitions (UTC) has its one type', () => {
  assert.equal(zoneNameAt(parseTzif(tzifV1([], [], [[0, false, 'UTC']])), 1.7e9, 0), 'UTC');
});

test('truncated or foreign files are refused', () => {
  const good = tzifV1([1000], [0], [[0, false, 'UTC']]);
  assert.throws(() => parseTzif(good.subarray(0, good.length - 3)), /truncated/);
  assert.throws(() => parseTzif(Buffer.from('not a zone file at all, not at all, no no no')), /not a TZif/);
});

test('POSIX rules give standard and daylight names with offsets east of UTC', () => {
  assert.deepEqual(ruleNames('CET-1CEST,M3.5.0,M10.5.0/3'), { std: { name: 'CET', offsetSeconds: 3600, isDst: false }, dst: { name: 'CEST', offsetSeconds: 7200, isDst: true } });
  assert.deepEqual(ruleNames('<+0530>-5:30'), { std: { name: '+0530', offsetSeconds: 19800, isDst: false } });
  assert.deepEqual(ruleNames('EST5EDT4,M3.2.0,M11.1.0')?.dst, { name: 'EDT', offsetSeconds: -14400, isDst: true });
  assert.equal(ruleNames('5'), undefined);
});

test('TZ chooses the zone file as Go does', () => {
  const exists = (p: string): boolean => p === '/usr/share/zoneinfo/Europe/Berlin';
  assert.equal(zoneFileFor(undefined, exists), '/etc/localtime');
  assert.equal(zoneFileFor('', exists), undefined);
  assert.equal(zoneFileFor('UTC', exists), undefined);
  assert.equal(zoneFileFor(':/tmp/zone', exists), '/tmp/zone');
  assert.equal(zoneFileFor('Europe/Berlin', exists), '/usr/share/zoneinfo/Europe/Berlin');
  assert.equal(zoneFileFor('Nowhere/Atlantis', exists), undefined);
});

test('the system tzdata names Berlin CET in winter and CEST in summer (footer rule)', { skip: !existsSync('/usr/share/zoneinfo/Europe/Berlin') }, () => {
  const zone = parseTzif(readFileSync('/usr/share/zoneinfo/Europe/Berlin'));
  assert.match(zone.rule, /^CET-1CEST/);
  assert.equal(zoneNameAt(zone, Date.UTC(2040, 0, 15) / 1000, 3600), 'CET');
  assert.equal(zoneNameAt(zone, Date.UTC(2040, 6, 15) / 1000, 7200), 'CEST');
  assert.equal(zoneNameAt(zone, Date.UTC(1990, 6, 15) / 1000, 7200), 'CEST', 'inside the transitions');
  assert.equal(localZoneName(new Date(), 'Nowhere/Atlantis'), 'UTC', 'an unknown zone falls back to UTC');
});
