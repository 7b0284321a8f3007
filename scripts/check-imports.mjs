#!/usr/bin/env node
// Checks the import structure of src/**/*.ts (issue 17): no import loops between files, and no
// import from a lower room into a higher one per the layer table in scripts/import-layers.json
// (explained in docs/design/layers.md). Known violations that other branches are removing are
// listed, each with its reason, in scripts/import-allow.json; everything else fails (exit 1).
//
// Only static, relative imports count: `import ... from '...'`, `import '...'` and
// `export ... from '...'` (type-only ones too: they are dependencies of the design even if
// erased at run time). Dynamic `import()` is left out on purpose: it is how the dispatcher
// loads commands lazily.
//
// Usage: node scripts/check-imports.mjs [--root DIR] [--layers FILE] [--allow FILE]
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const scriptDir = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { root: resolve(scriptDir, '..'), layers: join(scriptDir, 'import-layers.json'), allow: join(scriptDir, 'import-allow.json') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if ((k === '--root' || k === '--layers' || k === '--allow') && v !== undefined) {
      o[k.slice(2)] = resolve(v);
      i++;
    } else {
      throw new Error(`check-imports: unknown argument ${JSON.stringify(k)} (usage: [--root DIR] [--layers FILE] [--allow FILE])`);
    }
  }
  return o;
}

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// A statement that starts a line with `import` or `export` and reaches `from '...'` without a
// quote or semicolon in between (so multi-line specifier lists match, strings and other
// statements do not); plus bare side-effect imports.
const FROM_RE = /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE_RE = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;

function specifiers(text) {
  const out = [];
  for (const re of [FROM_RE, BARE_RE]) {
    re.lastIndex = 0;
    for (let m; (m = re.exec(text)) !== null; ) out.push(m[1]);
  }
  return out;
}

/** Whether a specifier names code (`.js`, `.ts`, `.mjs` or no extension), not a stylesheet or data file the bundler handles. */
function isCodeSpecifier(spec) {
  const last = spec.split('/').pop();
  return !/\.[A-Za-z0-9]+$/.test(last) || /\.(?:js|ts|mjs|mts)$/.test(last);
}

/** The .ts file a relative specifier names (`./x.js` is `./x.ts` under NodeNext), or undefined. */
function resolveSpecifier(fromFile, spec) {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  if (!isCodeSpecifier(spec)) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/** The room of a file: its first directory under src/, or the file's own name at src/'s top. */
function roomOf(srcRel) {
  return srcRel.split('/')[0];
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function loops(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  // Iterative to keep deep graphs off the call stack.
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work = [[start, 0]];
    idx.set(start, index);
    low.set(start, index);
    index++;
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      const succ = [...(graph.get(v) ?? [])];
      if (i < succ.length) {
        frame[1]++;
        const w = succ[i];
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index);
          index++;
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === idx.get(v)) {
        const comp = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || graph.get(v)?.has(v)) out.push(comp.sort());
      }
    }
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One concrete cycle through the component's first file, for the message. */
function cycleIn(graph, comp) {
  const members = new Set(comp);
  const start = comp[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const srcDir = join(o.root, 'src');
  const table = JSON.parse(readFileSync(o.layers, 'utf8'));
  const allow = existsSync(o.allow) ? JSON.parse(readFileSync(o.allow, 'utf8')) : { loops: [], layers: [] };

  const layerOf = new Map();
  table.layers.forEach((layer, n) => {
    for (const room of layer.rooms) layerOf.set(room, n);
  });

  const rel = (f) => relative(o.root, f).split(sep).join('/');
  const graph = new Map();
  const problems = [];
  const layerViolations = [];
  for (const file of tsFiles(srcDir)) {
    const from = rel(file);
    const targets = new Set();
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, spec);
      if (target === undefined) {
        if (spec.startsWith('.') && isCodeSpecifier(spec)) problems.push(`${from}: cannot resolve import '${spec}'`);
        continue;
      }
      if (!target.startsWith(srcDir + sep)) continue;
      targets.add(rel(target));
    }
    graph.set(from, targets);
  }

  for (const [from, targets] of graph) {
    const fromRoom = roomOf(from.slice('src/'.length));
    const fromLayer = layerOf.get(fromRoom);
    if (fromLayer === undefined) {
      problems.push(`${from}: room "${fromRoom}" has no row in the layer table (${rel(o.layers)}); add it`);
      continue;
    }
    for (const to of targets) {
      const toRoom = roomOf(to.slice('src/'.length));
      const toLayer = layerOf.get(toRoom);
      if (toLayer === undefined || toLayer <= fromLayer) continue;
      layerViolations.push({ from, to, text: `${from} (${fromRoom}, layer ${fromLayer}) imports ${to} (${toRoom}, layer ${toLayer})` });
    }
  }

  const allowedEdges = new Map((allow.layers ?? []).map((a) => [`${a.from} -> ${a.to}`, a]));
  const allowedLoops = new Map((allow.loops ?? []).map((a) => [[...a.files].sort().join(' '), a]));
  // A loop is known when all its files are in one allowed loop: a known loop that shrinks (part of
  // it removed by another branch) is progress, not a new violation; one that grows is new.
  const knownLoopOf = (comp) => [...allowedLoops.keys()].find((k) => comp.every((f) => k.split(' ').includes(f)));
  const usedAllowances = new Set();

  const failures = [...problems];
  const known = [];
  for (const v of layerViolations) {
    const key = `${v.from} -> ${v.to}`;
    if (allowedEdges.has(key)) {
      usedAllowances.add(`layer ${key}`);
      known.push(`layer: ${v.text} (allowed: ${allowedEdges.get(key).why})`);
    } else failures.push(`layer: ${v.text}`);
  }
  for (const comp of loops(graph)) {
    const key = knownLoopOf(comp);
    const text = `loop of ${comp.length} files: ${cycleIn(graph, comp).join(' -> ')}${comp.length > 2 ? `\n    files: ${comp.join(', ')}` : ''}`;
    if (key !== undefined) {
      usedAllowances.add(`loop ${key}`);
      known.push(`${text} (allowed: ${allowedLoops.get(key).why})`);
    } else failures.push(text);
  }
  // An allowance that matches nothing is reported (not failed): another branch may already have
  // removed the violation; the entry should then be deleted.
  const stale = [
    ...[...allowedEdges.keys()].filter((k) => !usedAllowances.has(`layer ${k}`)).map((k) => `layer ${k}`),
    ...[...allowedLoops.keys()].filter((k) => !usedAllowances.has(`loop ${k}`)).map((k) => `loop ${k}`),
  ];

  console.log(`check-imports: ${graph.size} files, ${[...graph.values()].reduce((a, s) => a + s.size, 0)} imports`);
  if (known.length > 0) console.log(`known violations, allowed by ${rel(o.allow)} (${known.length}):\n  ${known.join('\n  ')}`);
  if (stale.length > 0) console.log(`allow-list entries that match nothing now (delete them):\n  ${stale.join('\n  ')}`);
  if (failures.length > 0) {
    console.error(`check-imports: ${failures.length} violation(s):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check-imports: ok');
}

main();
