// `promethium` from the TypeScript sources (under tsx), so a benchmark measures the current code
// without a dist/ build.
import { run } from '../src/cli.js';

process.exitCode = await run(process.argv.slice(2));
