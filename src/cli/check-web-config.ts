// `promethium check web-config FILE...`: what `promtool check web-config` does — each file read,
// validated and its certificates loaded; `FILE SUCCESS` or `FILE FAILED: reason`, exit 1 if any failed.
import { validateWebConfig } from '../web-config/check.js';

export async function main(files: string[], err: (s: string) => void = (s) => console.error(s)): Promise<number> {
  if (files.length === 0 || files[0] === '--help' || files[0] === '-h') {
    err('usage: promethium check web-config FILE...\n\n  Check that web config files (--web.config.file) are valid: keys, values, bcrypt hashes, certificates.');
    return files.length === 0 ? 2 : 0;
  }
  let failed = 0;
  for (const file of files) {
    try {
      validateWebConfig(file);
      err(`${file} SUCCESS`);
    } catch (e) {
      failed++;
      err(`${file} FAILED: ${(e as Error).message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
