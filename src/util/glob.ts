// Glob expansion for file names in configuration (`rule_files`, `file_sd_configs`' `files`,
// Alertmanager's `templates`): a file-system helper shared by config, rules, discovery and the
// Alertmanager, so it lives in the lowest room rather than in any one of them.
import { readdirSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a glob whose wildcards are in the last path element (as Prometheus requires). */
export function expandGlob(pattern: string, baseDir: string): string[] {
  const abs = resolve(baseDir, pattern);
  const dir = dirname(abs);
  const base = basename(abs);
  if (!/[*?[]/.test(base)) return [abs];
  const re = globToRegExp(base);
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}
