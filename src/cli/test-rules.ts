// `promethium test rules FILE...`: runs rule unit tests written for `promtool test rules`, with its
// output layout and exit codes (0 all passed, 1 a test failed).
import { runRuleTestFile } from '../rule-tests/runner.js';

const USAGE = 'usage: promethium test rules FILE...\n\n  Unit tests for rules, in the format of `promtool test rules`.';

export async function main(argv: string[], out: (s: string) => void = (s) => console.log(s)): Promise<number> {
  const [what, ...files] = argv;
  if (what === '--help' || what === '-h') {
    out(USAGE);
    return 0;
  }
  if (what !== 'rules' || files.length === 0) {
    console.error(USAGE);
    return 2;
  }
  let failed = false;
  for (const file of files) {
    out(`Unit Testing:  ${file}`);
    const r = await runRuleTestFile(file);
    if (r.failures.length === 0) out('  SUCCESS\n');
    else {
      failed = true;
      out(`  FAILED:\n${r.failures.join('\n')}\n`);
    }
  }
  return failed ? 1 : 0;
}
