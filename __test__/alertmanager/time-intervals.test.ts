import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intervalContains, routeTimeMuted } from '../../src/alertmanager/time-intervals.js';

const at = (iso: string): number => Date.parse(iso);

test('times of day are start-inclusive, end-exclusive', () => {
  const spec = { times: [{ startMinute: 9 * 60, endMinute: 17 * 60 }] };
  assert.ok(intervalContains(spec, at('2024-03-04T09:00:00Z')));
  assert.ok(intervalContains(spec, at('2024-03-04T16:59:00Z')));
  assert.ok(!intervalContains(spec, at('2024-03-04T17:00:00Z')));
});

test('weekdays, negative days of month, months, years', () => {
  assert.ok(intervalContains({ weekdays: [{ begin: 1, end: 5 }] }, at('2024-03-04T12:00:00Z'))); // Monday
  assert.ok(!intervalContains({ weekdays: [{ begin: 1, end: 5 }] }, at('2024-03-03T12:00:00Z'))); // Sunday
  assert.ok(intervalContains({ daysOfMonth: [{ begin: -1, end: -1 }] }, at('2024-02-29T12:00:00Z')));
  assert.ok(!intervalContains({ daysOfMonth: [{ begin: -1, end: -1 }] }, at('2024-02-28T12:00:00Z')));
  assert.ok(intervalContains({ months: [{ begin: 1, end: 3 }], years: [{ begin: 2024, end: 2024 }] }, at('2024-03-31T12:00:00Z')));
  assert.ok(!intervalContains({ months: [{ begin: 1, end: 3 }] }, at('2024-04-01T00:00:00Z')));
});

test('a location shifts the local time', () => {
  // 23:30 UTC on a Sunday is already Monday 08:30 in Tokyo.
  const spec = { weekdays: [{ begin: 1, end: 1 }], times: [{ startMinute: 8 * 60, endMinute: 9 * 60 }], location: 'Asia/Tokyo' };
  assert.ok(intervalContains(spec, at('2024-03-03T23:30:00Z')));
});

test('mute and active intervals of a route', () => {
  const intervals = new Map([['office', [{ times: [{ startMinute: 9 * 60, endMinute: 17 * 60 }] }]]]);
  assert.equal(routeTimeMuted(intervals, ['office'], [], at('2024-03-04T10:00:00Z')), true);
  assert.equal(routeTimeMuted(intervals, [], ['office'], at('2024-03-04T10:00:00Z')), false);
  assert.equal(routeTimeMuted(intervals, [], ['office'], at('2024-03-04T20:00:00Z')), true);
});
