// Validating a web config file as `promtool check web-config` does: read, validated and its
// certificates loaded. The command's argument handling is in cli/check-web-config.ts.
import { readWebConfig } from './config.js';
import { loadTls } from './tls.js';

/** Throws with the reason when the file would be refused at start-up. */
export function validateWebConfig(file: string): void {
  const c = readWebConfig(file);
  if (c.tls !== undefined) loadTls(c.tls);
}
