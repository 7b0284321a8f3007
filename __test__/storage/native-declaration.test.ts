// Issue 17: the TypeScript declaration of the native addon (src/storage/native.ts) against what the
// built addon really exports. The declaration's side is NATIVE_EXPORTS / NATIVE_CLASS_METHODS, which
// tsc ties to the interfaces; this test ties them to the addon, so a function either side gains
// alone (a Rust export never declared, a declared method the addon lacks) fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative } from '../../src/storage/native.js';
import { NATIVE_CLASS_METHODS, NATIVE_EXPORTS } from '../../src/storage/native-exports.js';

interface Surface {
  exports: Record<string, string>;
  classes: Record<string, string[]>;
}

/** The addon's exports by kind, and each class's prototype methods, sorted. */
function surfaceOf(addon: object): Surface {
  const exports: Record<string, string> = Object.create(null) as Record<string, string>;
  const classes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const name of Object.getOwnPropertyNames(addon).sort()) {
    const value: unknown = (addon as Record<string, unknown>)[name];
    if (typeof value !== 'function') {
      exports[name] = typeof value;
      continue;
    }
    // N-API plain functions have a prototype holding only `constructor`; classes have their methods there.
    const proto = (value as { prototype?: object }).prototype;
    const methods = proto === undefined ? [] : Object.getOwnPropertyNames(proto).filter((m) => m !== 'constructor');
    if (methods.length === 0) {
      exports[name] = 'function';
    } else {
      exports[name] = 'class';
      classes[name] = methods.sort();
    }
  }
  return { exports, classes };
}

/** The same picture from the lists the TypeScript declaration is tied to. */
function declaredSurface(): Surface {
  const exports: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(NATIVE_EXPORTS).sort()) exports[name] = NATIVE_EXPORTS[name as keyof typeof NATIVE_EXPORTS];
  const classes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, methods] of Object.entries(NATIVE_CLASS_METHODS).sort(([a], [b]) => (a < b ? -1 : 1))) classes[name] = Object.keys(methods).sort();
  return { exports, classes };
}

test('the addon exports exactly the functions, classes and methods src/storage/native.ts declares', () => {
  assert.deepEqual(surfaceOf(loadNative()), declaredSurface());
});

test('an export or a method only one side has is seen as a difference', () => {
  const addon = loadNative();
  // The addon gains a function the declaration lacks.
  const withExtraFunction = Object.assign(Object.create(null) as object, addon, { compactNow: () => undefined });
  assert.notDeepEqual(surfaceOf(withExtraFunction), declaredSurface());
  // A class gains a method (its prototype, copied so the real one stays as it is).
  class Db {}
  for (const m of Object.getOwnPropertyNames(addon.NativeDb.prototype)) if (m !== 'constructor') Object.defineProperty(Db.prototype, m, { value: () => undefined });
  Object.defineProperty(Db.prototype, 'vacuum', { value: () => undefined });
  assert.notDeepEqual(surfaceOf(Object.assign(Object.create(null) as object, addon, { NativeDb: Db })), declaredSurface());
  // The addon loses one.
  const { endQuery: _dropped, ...withoutOne } = addon;
  assert.notDeepEqual(surfaceOf(withoutOne), declaredSurface());
});
