// undici, loaded on first use: it costs ~18 MB of resident memory, and most processes never need
// it (only proxies and custom TLS settings for outgoing notifications do; plain requests use the
// global fetch).
import { createRequire } from 'node:module';

type Undici = typeof import('undici');

const requireCjs = createRequire(import.meta.url);
let loaded: Undici | undefined;

export function undici(): Undici {
  loaded ??= requireCjs('undici') as Undici;
  return loaded;
}
