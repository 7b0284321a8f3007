// `promethium check config FILE...` and `promethium check rules FILE...`: what `promtool check
// config` and `promtool check rules` do, with the same messages and exit codes (0 valid, 1 not), so
// CI jobs written for promtool can call this instead.
import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../config/config.js';
import { expandGlob } from '../util/glob.js';
import { parseRuleFile } from '../rules/rulefmt.js';
import { ruleValidators } from '../rules/validators.js';

const USAGE = `usage: promethium check <config|rules|alertmanager-config|web-config> FILE...

  config FILE...                Check that prometheus.yml files are valid, and the rule files they name.
  rules FILE...                 Check that rule files are valid.
  alertmanager-config FILE...   Check that alertmanager.yml files are valid (as amtool check-config).
  web-config FILE...            Check that web config files (--web.config.file) are valid (as promtool check web-config).`;

interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Checks rule files; returns how many failed. */
function checkRules(files: string[], o: Output): number {
  let failed = 0;
  for (const file of files) {
    o.out(`Checking ${file}`);
    try {
      const parsed = parseRuleFile(file, readFileSync(file, 'utf8'), ruleValidators);
      const n = parsed.groups.reduce((a, g) => a + g.rules.length, 0);
      o.out(`  SUCCESS: ${n} rules found`);
    } catch (e) {
      failed++;
      o.err(`  FAILED:\n${(e as Error).message}`);
    }
    o.out('');
  }
  return failed;
}

function checkConfigs(files: string[], o: Output): number {
  let failed = 0;
  for (const file of files) {
    o.out(`Checking ${file}`);
    let ruleFiles: string[];
    try {
      const cfg = loadConfigFile(file);
      for (const w of cfg.warnings) o.err(`  WARNING: ${w}`);
      ruleFiles = [...new Set(cfg.ruleFiles.flatMap((p) => (/[*?[]/.test(p) ? expandGlob(p, '/').sort() : [p])))];
    } catch (e) {
      failed++;
      o.err(`  FAILED: ${(e as Error).message}`);
      o.out('');
      continue;
    }
    o.out(`  SUCCESS: ${ruleFiles.length} rule files found`);
    o.out(` SUCCESS: ${file} is valid prometheus config file syntax`);
    o.out('');
    failed += checkRules(ruleFiles, o);
  }
  return failed;
}

async function checkAlertmanagerConfigs(files: string[], o: Output): Promise<number> {
  // Loaded on demand: the Alertmanager's modules are not needed for the other checks.
  const { loadAlertmanagerConfig } = await import('../alertmanager/config.js');
  let failed = 0;
  for (const file of files) {
    try {
      const cfg = loadAlertmanagerConfig(file);
      o.out(`Checking '${file}'  SUCCESS\nFound:\n - global config\n - route\n - ${cfg.core.inhibitRules.length} inhibit rules\n - ${cfg.receivers.length} receivers\n - ${cfg.templates.length} templates`);
    } catch (e) {
      failed++;
      o.err(`Checking '${file}'  FAILED: ${(e as Error).message}`);
    }
    o.out('');
  }
  return failed;
}

export async function main(argv: string[], o: Output = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [what, ...files] = argv;
  if (what === '--help' || what === '-h') {
    o.out(USAGE);
    return 0;
  }
  if ((what !== 'config' && what !== 'rules' && what !== 'alertmanager-config') || files.length === 0) {
    o.err(USAGE);
    return 2;
  }
  const failed = what === 'config' ? checkConfigs(files, o) : what === 'rules' ? checkRules(files, o) : await checkAlertmanagerConfigs(files, o);
  return failed > 0 ? 1 : 0;
}
