// Runs the promethium CLI from the sources (tests do not depend on a build in dist/).
import { run } from '../../src/cli.js';

process.exitCode = await run(process.argv.slice(2));
