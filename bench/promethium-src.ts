// Runs the promethium CLI from the sources (benchmarks of code that needs no build).
import { run } from '../src/cli.js';

process.exitCode = await run(process.argv.slice(2));
