// The per-platform packages of the addon (npm/<platform>/), checked against package.json's
// `napi.targets`, and the release step that lists them as the main package's optionalDependencies.
//
// The optionalDependencies are written at release time (as `napi prepublish` does), not committed:
// until a version of the platform packages is in the registry, a committed entry would leave
// package-lock.json without it and make `npm ci` refuse to install.
//
//   npx tsx scripts/release/platform-packages.ts check
//   npx tsx scripts/release/platform-packages.ts stamp [packageDir] [--repository URL]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PlatformTarget {
  /** The Rust target triple, as in `napi.targets`. */
  rustTarget: string;
  /** napi-rs's platform part of file and package names, e.g. `linux-x64-gnu`. */
  platform: string;
  os: string;
  cpu: string;
  libc?: 'glibc' | 'musl';
}

const cpuByRustArch = new Map([
  ['x86_64', 'x64'],
  ['aarch64', 'arm64'],
]);

/** The npm platform of a Rust target triple, named the way napi-rs names them. */
export function platformOf(rustTarget: string): PlatformTarget {
  const [arch = '', , system = '', abi] = rustTarget.split('-');
  const cpu = cpuByRustArch.get(arch);
  if (cpu === undefined) throw new Error(`${rustTarget}: unsupported architecture ${arch}`);
  if (system === 'linux' && (abi === 'gnu' || abi === 'musl')) {
    return { rustTarget, platform: `linux-${cpu}-${abi}`, os: 'linux', cpu, libc: abi === 'gnu' ? 'glibc' : 'musl' };
  }
  if (system === 'darwin') return { rustTarget, platform: `darwin-${cpu}`, os: 'darwin', cpu };
  if (system === 'windows' && abi === 'msvc') return { rustTarget, platform: `win32-${cpu}-msvc`, os: 'win32', cpu };
  throw new Error(`${rustTarget}: unsupported target`);
}

interface RootPackage {
  name: string;
  version: string;
  napi: { binaryName: string; packageName: string; targets: string[] };
  optionalDependencies?: Record<string, string>;
  repository?: { type: string; url: string };
  [key: string]: unknown;
}

interface PlatformPackage {
  name: string;
  version: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  main?: string;
  files?: string[];
  repository?: { type: string; url: string };
  [key: string]: unknown;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

const sameList = (a: string[] | undefined, b: string[] | undefined): boolean => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** Every problem between package.json's targets and npm/<platform>/package.json; empty when they agree. */
export function checkPlatformPackages(root: string): string[] {
  const pkg = readJson<RootPackage>(join(root, 'package.json'));
  const problems: string[] = [];
  for (const rustTarget of pkg.napi.targets) {
    const t = platformOf(rustTarget);
    const path = join(root, 'npm', t.platform, 'package.json');
    if (!existsSync(path)) {
      problems.push(`${rustTarget}: ${path} is missing`);
      continue;
    }
    const p = readJson<PlatformPackage>(path);
    const where = `npm/${t.platform}/package.json`;
    const binary = `${pkg.napi.binaryName}.${t.platform}.node`;
    if (p.name !== `${pkg.napi.packageName}-${t.platform}`) problems.push(`${where}: name ${p.name}, expected ${pkg.napi.packageName}-${t.platform}`);
    if (p.version !== pkg.version) problems.push(`${where}: version ${p.version}, expected ${pkg.version} (the main package's)`);
    if (!sameList(p.os, [t.os])) problems.push(`${where}: os ${JSON.stringify(p.os)}, expected ["${t.os}"]`);
    if (!sameList(p.cpu, [t.cpu])) problems.push(`${where}: cpu ${JSON.stringify(p.cpu)}, expected ["${t.cpu}"]`);
    if (!sameList(p.libc, t.libc === undefined ? undefined : [t.libc])) problems.push(`${where}: libc ${JSON.stringify(p.libc)}, expected ${t.libc === undefined ? 'none' : `["${t.libc}"]`}`);
    if (p.main !== binary || !sameList(p.files, [binary])) problems.push(`${where}: main and files must name ${binary}`);
  }
  return problems;
}

/**
 * Writes the exact-version optionalDependencies (and, when given, the repository that npm's
 * provenance check compares with the building repository) into the package in `packageDir`;
 * the repository goes into the platform packages under `root`/npm too.
 */
export function stampPackage(root: string, packageDir: string, repositoryUrl?: string): Record<string, string> {
  const problems = checkPlatformPackages(root);
  if (problems.length > 0) throw new Error(`the platform packages do not match package.json:\n  ${problems.join('\n  ')}`);
  const path = join(packageDir, 'package.json');
  const pkg = readJson<RootPackage>(path);
  const optional: Record<string, string> = {};
  for (const rustTarget of pkg.napi.targets) optional[`${pkg.napi.packageName}-${platformOf(rustTarget).platform}`] = pkg.version;
  pkg.optionalDependencies = { ...(pkg.optionalDependencies ?? {}), ...optional };
  if (repositoryUrl !== undefined) pkg.repository = { type: 'git', url: repositoryUrl };
  writeJson(path, pkg);
  if (repositoryUrl !== undefined) {
    for (const rustTarget of pkg.napi.targets) {
      const platformPath = join(root, 'npm', platformOf(rustTarget).platform, 'package.json');
      writeJson(platformPath, { ...readJson<PlatformPackage>(platformPath), repository: { type: 'git', url: repositoryUrl } });
    }
  }
  return optional;
}

function cli(argv: string[]): number {
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const [command, ...rest] = argv;
  if (command === 'check') {
    const problems = checkPlatformPackages(root);
    for (const p of problems) console.error(p);
    return problems.length === 0 ? 0 : 1;
  }
  if (command === 'stamp') {
    const repoAt = rest.indexOf('--repository');
    const repositoryUrl = repoAt >= 0 ? rest[repoAt + 1] : undefined;
    if (repoAt >= 0 && repositoryUrl === undefined) throw new Error('--repository needs a URL');
    const positional = rest.filter((_, i) => repoAt < 0 || (i !== repoAt && i !== repoAt + 1));
    const written = stampPackage(root, resolve(positional[0] ?? root), repositoryUrl);
    console.log(JSON.stringify(written, null, 2));
    return 0;
  }
  console.error('usage: platform-packages.ts check | stamp [packageDir] [--repository URL]');
  return 2;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = cli(process.argv.slice(2));
