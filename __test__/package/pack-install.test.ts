// What a user does: `npm install promethium` (here: the tarball `npm pack` makes, with the
// optionalDependencies the release writes, and this machine's platform package made from npm/<platform>/
// and the built addon), with no cargo on PATH; then the README's library examples (taken from
// README.md itself), the TypeScript types, every command's --help, --version, and `promethium start`
// until the server answers `up` and the node exporter answers /metrics.
// Uses the existing dist/ and native/ (built by `npm ci`): nothing is rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stampPackage } from '../../scripts/release/platform-packages.js';
import { platformTriple } from '../../src/storage/native.js';
import { commandNames } from '../../src/cli.js';
import { freePort, waitFor } from '../helpers/net.js';
import { readmeExample } from '../helpers/readme.js';

const root = new URL('../..', import.meta.url).pathname;
const npmCli = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const rustTools = /^(cargo|cargo-.*|rustc|rustup|rustdoc)$/;

/**
 * PATH without cargo or rustc: the install must not need Rust. A PATH directory that has them
 * (~/.cargo/bin, or /usr/bin with Debian's rustc) is replaced by a directory of links to its other
 * programs, so node, tar and the shell stay reachable.
 */
function pathWithoutRust(work: string): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && existsSync(dir))
    .map((dir, i) => {
      const names = readdirSync(dir);
      if (!names.some((n) => rustTools.test(n))) return dir;
      const shadow = join(work, `path-${i}`);
      mkdirSync(shadow);
      for (const n of names) if (!rustTools.test(n)) symlinkSync(join(dir, n), join(shadow, n));
      return shadow;
    })
    .join(delimiter);
}

function check(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** npm with this test's environment: no cargo, the shared cache, no audit or funding noise. */
function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const npmRun = existsSync(npmCli) ? [process.execPath, npmCli] : ['npm'];
  return check(spawnSync(npmRun[0]!, [...npmRun.slice(1), ...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env, encoding: 'utf8' }), `npm ${args.join(' ')}`);
}

/** `npm pack` of `dir` into `into`; the tarball's path. */
function pack(dir: string, into: string, env: NodeJS.ProcessEnv): string {
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', into], dir, env);
  const [info] = JSON.parse(out) as { filename: string }[];
  return join(into, info!.filename);
}

test('npm install from the packed tarballs gives a working package without Rust', { timeout: 240_000 }, async (t) => {
  const triple = platformTriple();
  const binary = join(root, 'native', `promethium.${triple}.node`);
  assert.ok(existsSync(join(root, 'dist', 'cli.js')), 'dist/ is built (npm ci builds it)');
  assert.ok(existsSync(binary), `${binary} is built (npm ci builds it)`);
  assert.ok(existsSync(join(root, 'npm', triple, 'package.json')), `npm/${triple}/ exists for this machine`);

  const work = mkdtempSync(join(tmpdir(), 'promethium-pack-'));
  // About 40 MB; the subtests' failure messages carry what they saw.
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutRust(work), npm_config_update_notifier: 'false' };
  delete env.CARGO_HOME;
  assert.equal(spawnSync('cargo', ['--version'], { env }).error?.message.includes('ENOENT'), true, 'cargo is not reachable');

  // The main package as the release publishes it: packed, then stamped with its optionalDependencies.
  const firstPack = pack(root, work, env);
  const staged = join(work, 'staged');
  mkdirSync(staged);
  execFileSync('tar', ['xzf', firstPack, '-C', staged]);
  stampPackage(root, join(staged, 'package'));
  const released = join(work, 'released');
  mkdirSync(released);
  const mainTarball = pack(join(staged, 'package'), released, env);
  const packed = execFileSync('tar', ['tzf', mainTarball], { encoding: 'utf8' });
  assert.match(packed, /package\/examples\/walkthrough\/prometheus\.yml/);
  assert.doesNotMatch(packed, /\.node\n/, 'the addon comes from the platform package, not the main one');
  assert.doesNotMatch(packed, /\.map\n/, 'source maps stay out of the package (they were 2/3 of its size)');

  // This machine's platform package, as the release workflow assembles it in npm/<platform>/.
  const platformDir = join(work, 'platform');
  cpSync(join(root, 'npm', triple), platformDir, { recursive: true });
  cpSync(binary, join(platformDir, `promethium.${triple}.node`));
  const platformTarball = pack(platformDir, released, env);

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'promethium-user', version: '1.0.0', private: true, type: 'module' }));
  const started = process.hrtime.bigint();
  npm(['install', '--prefer-offline', mainTarball, platformTarball], app, env);
  const installSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  // One du per path: du counts a directory once, so node_modules after its parts would leave them out.
  const du = ['node_modules/promethium', 'node_modules/@promethium', 'node_modules'].map((p) => spawnSync('du', ['-sh', p], { cwd: app, encoding: 'utf8' }).stdout.trim()).join('; ');
  t.diagnostic(`npm install from the tarballs: ${installSeconds.toFixed(1)} s; du -sh: ${du}`);
  assert.deepEqual(readdirSync(join(app, 'node_modules', '@promethium')), [`native-${triple}`], 'only the platform package that fits is installed');
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'promethium', 'package.json'), 'utf8')) as { version: string; optionalDependencies: Record<string, string> };
  assert.equal(installed.optionalDependencies[`@promethium/native-${triple}`], installed.version, 'the platform packages are pinned to the exact version');
  assert.equal(Object.keys(installed.optionalDependencies).length, 7);

  const bin = join(app, 'node_modules', '.bin', 'promethium');
  const run = (args: string[], cwd = app): string => check(spawnSync(bin, args, { cwd, env, encoding: 'utf8' }), `promethium ${args.join(' ')}`);

  await t.test('--version names the package version and the addon from the platform package', () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const out = run(['--version']);
    assert.match(out, new RegExp(`^promethium, version ${version.replace(/\./g, '\\.')} `));
    assert.match(out, new RegExp(`native addon: +\\d+\\.\\d+\\.\\d+ \\(@promethium/native-${triple}\\)`));
  });

  await t.test('every command answers --help', () => {
    for (const name of commandNames()) {
      const out = run([name, '--help']);
      assert.match(out, /usage:|--help/i, name);
    }
  });

  await t.test("the README's library examples run against the installed package", () => {
    const cases: [string, RegExp[]][] = [
      ['## Use the native TSDB from your own code', [/appended: 2/, /name: 'http_requests_total', value: 2/]],
      ['## Query with PromQL from your own code', [/^vector \[/m, /\{ code: '200' \} \[\s+6\.666/]],
    ];
    for (const [i, [section, expected]] of cases.entries()) {
      const dir = join(app, `example-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'example.mjs'), readmeExample(section));
      const out = check(spawnSync(process.execPath, ['example.mjs'], { cwd: dir, env, encoding: 'utf8' }), section);
      for (const e of expected) assert.match(out, e, section);
    }
  });

  await t.test("the TypeScript types resolve for `import { Storage, Engine } from 'promethium'`", () => {
    writeFileSync(
      join(app, 'use.ts'),
      [
        "import { Storage, Engine } from 'promethium';",
        "const db: Storage = Storage.open('./typed-data');",
        'const engine = new Engine(db, { lookbackDeltaMs: 300_000 });',
        "const r = engine.instantQuery('up', Date.now());",
        'const kind: string = r.resultType;',
        'db.close();',
        'export { kind };',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] }, files: ['use.ts'] }),
    );
    check(spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, env, encoding: 'utf8' }), 'tsc');
    // And a wrong use is an error, so the check above is a real one.
    writeFileSync(join(app, 'use.ts'), "import { Storage } from 'promethium';\nconst n: number = Storage.open('./typed-data');\nexport { n };\n");
    const wrong = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, env, encoding: 'utf8' });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /TS2322/);
  });

  await t.test('the example systemd unit verifies against the installed command', (st) => {
    if (spawnSync('systemd-analyze', ['--version'], { env }).status !== 0) return st.skip('systemd-analyze is not installed');
    const unit = readFileSync(join(root, 'examples', 'systemd', 'promethium.service'), 'utf8');
    assert.match(unit, /ExecStart=\/usr\/local\/bin\/promethium server /);
    // Where `npm install -g` would put the command, here the local install's.
    const local = join(app, 'promethium.service');
    writeFileSync(local, unit.replace('/usr/local/bin/promethium', bin));
    const r = spawnSync('systemd-analyze', ['verify', local], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
    // And the server accepts the unit's flags.
    const flags = [...unit.matchAll(/^\s+(--[a-z.-]+)=/gm)].map((m) => m[1]!);
    assert.ok(flags.length >= 3, 'the unit passes flags');
    const help = run(['server', '--help']);
    for (const f of flags) assert.ok(help.includes(f), `promethium server knows ${f}`);
  });

  await t.test("the Dockerfile's entrypoint and default command are ones the installed server takes", () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const json = (instruction: string): string[] => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(dockerfile)![1]!) as string[];
    assert.deepEqual(json('ENTRYPOINT'), ['promethium', 'server']);
    assert.deepEqual(json('CMD'), ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus']);
    assert.match(dockerfile, /^EXPOSE 9090$/m);
    assert.match(dockerfile, /^USER nobody$/m);
    const help = run(['server', '--help']);
    for (const f of json('CMD')) assert.ok(help.includes(f.split('=')[0]!), f);
    // The default config the image ships is one the installed server's checker accepts.
    run(['check', 'config', join(root, 'examples', 'docker', 'prometheus.yml')]);
  });

  await t.test('`promethium start` runs the stack from node_modules: the server answers `up`, the node exporter /metrics', async (st) => {
    const [server, nodeExporter, alertmanager, smtp, control] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const args = ['start', '--listen.host=127.0.0.1', `--server.port=${server}`, `--node-exporter.port=${nodeExporter}`, `--alertmanager.port=${alertmanager}`, `--smtp.port=${smtp}`, `--control.port=${control}`, '--storage.path=stack-data'];
    // Its own process group, so a failing test can stop the whole stack.
    const stack = spawn(bin, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    stack.stdout.on('data', (d: Buffer) => (output += d.toString()));
    stack.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((res) => stack.once('exit', (code) => res(code)));
    st.after(() => {
      if (stack.exitCode === null && stack.signalCode === null) process.kill(-stack.pid!, 'SIGKILL');
    });

    const metrics = await waitFor('node exporter /metrics', async () => {
      const r = await fetch(`http://127.0.0.1:${nodeExporter}/metrics`).catch(() => undefined);
      return r?.status === 200 ? r.text() : undefined;
    }, 600, 100);
    assert.match(metrics, /^node_cpu_seconds_total\{/m);
    // The walkthrough scrapes every 10s: wait for both of the stack's targets to be up.
    const up = await waitFor('up from the server', async () => {
      const r = await fetch(`http://127.0.0.1:${server}/api/v1/query?query=up`).catch(() => undefined);
      if (r?.status !== 200) return undefined;
      const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      const jobs = body.data.result.filter((s) => s.value[1] === '1').map((s) => s.metric.job).sort();
      return jobs.includes('node') && jobs.includes('prometheus') ? body.data.result : undefined;
    }, 600, 100).catch((e: Error) => assert.fail(`${e.message}; the stack said:\n${output}`));
    assert.ok(up.some((s) => s.metric.instance === `127.0.0.1:${nodeExporter}`), 'the server scrapes this stack\'s node exporter');
    // The stack starts its components in order, the Alertmanager last: the server may scrape both
    // targets before the Alertmanager listens.
    await waitFor('the Alertmanager ready', async () => {
      const r = await fetch(`http://127.0.0.1:${alertmanager}/-/ready`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, 600, 100).catch((e: Error) => assert.fail(`${e.message}; the stack said:\n${output}`));
    // The web UI's page and bundle come from the package's dist/ too.
    for (const path of ['/graph', '/ui/app.js']) assert.equal((await fetch(`http://127.0.0.1:${server}${path}`)).status, 200, path);

    stack.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.doesNotMatch(output, /ENOENT/);
  });
});
