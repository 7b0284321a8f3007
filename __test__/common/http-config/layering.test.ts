// Issue 17: the HTTP client settings live in one shared room below config/, scrape/ and
// alertmanager/, and the import loops they caused (config/config.ts -> util/http-dispatcher.ts ->
// config/index.ts, scrape/http-client.ts <-> scrape/http-options.ts) stay gone. Type-only imports
// count: they are how the loops were made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Each source file (relative to src/) and the source files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms)) {
      const target = resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      targets.push(relative(SRC, target));
    }
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** The strongly connected components with more than one file (import loops), Tarjan's way. */
function importLoops(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) loops.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return loops;
}

test('the HTTP client config room imports only util, model, regex and version', () => {
  const graph = importGraph();
  const room = [...graph.keys()].filter((f) => f.startsWith('common/http-config/'));
  assert.ok(room.includes('common/http-config/reader.ts'), 'the shared http_config reader is in common/http-config/');
  const upward = room.flatMap((f) => graph.get(f)!.filter((t) => !/^(common|util|model|regex)\//.test(t) && t !== 'version.ts').map((t) => `${f} -> ${t}`));
  assert.deepEqual(upward, []);
});

test('no import loop runs through the HTTP client config or the config readers', () => {
  const watched = (f: string): boolean =>
    f.startsWith('common/') || f === 'config/config.ts' || f === 'config/index.ts' || f.startsWith('scrape/http-') || f === 'alertmanager/config.ts' || f.startsWith('alertmanager/config/') || f.startsWith('alertmanager/integrations/');
  const loops = importLoops(importGraph()).filter((c) => c.some(watched));
  assert.deepEqual(loops, []);
});

test('one http_config reader: neither config/ nor alertmanager/ reads tls_config or basic_auth keys themselves', () => {
  for (const f of ['config/config.ts', 'alertmanager/config.ts', 'alertmanager/config/fields.ts']) {
    const text = readFileSync(join(SRC, f), 'utf8');
    assert.doesNotMatch(text, /'config\.(TLSConfig|BasicAuth|Authorization|OAuth2)'/, `${f} reads an http config section itself`);
  }
});
