export { freePort } from '../../src/util/free-port.js';

export async function waitFor<T>(what: string, f: () => Promise<T | undefined>, tries = 200, delayMs = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
