// Build information, shown by `--version`, `/api/v1/status/buildinfo` and the `*_build_info`
// metrics. The version comes from package.json; the revision from the git checkout when there is one.
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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

function gitRevision(root: string): { revision: string; branch: string } {
  if (!existsSync(join(root, '.git'))) return { revision: 'unknown', branch: 'unknown' };
  try {
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
  const { revision, branch } = gitRevision(root);
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
