// Build information, shown by `--version`, `/api/v1/status/buildinfo` and the `*_build_info`
// metrics. The version comes from package.json; the revision and branch from dist/build-info.json,
// written at build time (scripts/copy-assets.mjs), or, when running from the sources, from the git
// checkout when there is one.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  /** The runtime in place of upstream's Go version. */
  goVersion: string;
  platform: string;
}

function packageRoot(): string {
  // src/version.ts and dist/version.js both sit one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

interface Revision {
  revision: string;
  branch: string;
}

/** What the build recorded beside the compiled modules (absent when running from the sources). */
function recordedRevision(): Revision | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'build-info.json'), 'utf8')) as Partial<Revision>;
    return typeof r.revision === 'string' && typeof r.branch === 'string' ? { revision: r.revision, branch: r.branch } : undefined;
  } catch {
    return undefined;
  }
}

function gitRevision(root: string): Revision {
  if (!existsSync(join(root, '.git'))) return { revision: 'unknown', branch: 'unknown' };
  try {
    // Loaded only here: every command prints its version at startup, and spawning git twice (and
    // loading child_process for it) cost the node exporter startup time and memory.
    const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const opts = { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[], encoding: 'utf8' as const, timeout: 2000 };
    const revision = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim();
    const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], opts).trim();
    return { revision, branch };
  } catch {
    return { revision: 'unknown', branch: 'unknown' };
  }
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached;
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const { revision, branch } = recordedRevision() ?? gitRevision(root);
  cached = {
    version: pkg.version,
    revision,
    branch,
    buildUser: 'promethium',
    buildDate: 'unknown',
    goVersion: `node${process.versions.node}`,
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
  return cached;
}

/** `--version` text in the upstream tools' layout. */
export function versionText(program: string): string {
  const b = buildInfo();
  return [
    `${program}, version ${b.version} (branch: ${b.branch}, revision: ${b.revision})`,
    `  build user:       ${b.buildUser}`,
    `  build date:       ${b.buildDate}`,
    `  go version:       ${b.goVersion}`,
    `  platform:         ${b.platform}`,
  ].join('\n');
}
