// Where the upstream conformance data (shared/conformance) is: $PROMETHIUM_CONFORMANCE_DIR, beside
// the repository (../shared/conformance), or the workplace's /work/shared/conformance. Tests that
// need it fail with this message when it is nowhere: the conformance data is the yardstick.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const candidates = [
  process.env['PROMETHIUM_CONFORMANCE_DIR'],
  new URL('../../../shared/conformance', import.meta.url).pathname,
  '/work/shared/conformance',
].filter((c): c is string => typeof c === 'string' && c !== '');

export function conformanceDir(sub: string): string {
  for (const c of candidates) {
    const d = join(c, sub);
    if (existsSync(d)) return d;
  }
  throw new Error(`conformance data ${sub} not found in ${candidates.join(', ')} (set PROMETHIUM_CONFORMANCE_DIR)`);
}
