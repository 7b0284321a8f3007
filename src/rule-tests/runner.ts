// Rule unit tests in `promtool test rules`'s format: input series in the expanding notation,
// the rule files evaluated step by step from time 0, then the alerts firing at each alert test's
// eval_time and PromQL expressions at theirs compared with what the test expects.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import client from 'prom-client';
import YAML from 'yaml';
import { Storage } from '../storage/index.js';
import { Engine } from '../promql/index.js';
import { STALE, expandValues, parseSeriesDesc } from '../promql/series-notation.js';
import { formatDuration, parsePromDuration } from '../model/duration.js';
import { formatLabels, labelsKey } from '../model/labels.js';
import type { Labels } from '../model/labels.js';
import { RuleManager } from '../rules/manager.js';
import { AlertingRule } from '../rules/alerting.js';
import { createRuleMetrics } from '../rules/metrics.js';
import { ruleValidators } from '../rules/validators.js';
import { engineRuleDeps } from '../rules/engine-deps.js';
import { Logger } from '../util/logger.js';

interface AlertExpectation {
  exp_labels?: Labels;
  exp_annotations?: Labels;
}

interface TestGroup {
  name?: string;
  interval?: string;
  input_series?: { series: string; values?: string }[];
  alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: AlertExpectation[] }[];
  promql_expr_test?: { expr: string; eval_time: string; exp_samples?: { labels?: string; value: number | string }[] }[];
  external_labels?: Labels;
  external_url?: string;
}

interface TestFile {
  rule_files?: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests?: TestGroup[];
}

const STALE_BITS = 0x7ff0000000000002n;

function duration(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return parsePromDuration(String(text));
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

function describe(items: { labels: Labels; annotations?: Labels }[]): string {
  if (items.length === 0) return '[]';
  const lines = items.map((a, i) => `            ${i}:\n              Labels:${formatLabels(a.labels)}${a.annotations !== undefined ? `\n              Annotations:${formatLabels(a.annotations)}` : ''}`);
  return `[\n${lines.join('\n')}\n            ]`;
}

function sameLabels(a: Labels, b: Labels): boolean {
  return labelsKey(a) === labelsKey(b);
}

/** A float from a test file: numbers, or the strings Go's ParseFloat takes (Inf, NaN). */
function expectedValue(v: number | string): number {
  if (typeof v === 'number') return v;
  const t = v.trim().toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan') return NaN;
  const n = Number(t);
  if (Number.isNaN(n)) throw new Error(`invalid expected value ${JSON.stringify(v)}`);
  return n;
}

/** Exact, as promtool compares (NaN equals NaN). */
function valuesEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return a === b;
}

/** Runs one test group; returns its failures (empty when it passes). */
async function runGroup(file: string, f: TestFile, g: TestGroup): Promise<string[]> {
  const evalInterval = duration(f.evaluation_interval, 'evaluation_interval', 60_000);
  const interval = duration(g.interval, 'interval', evalInterval);
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rule-test-'));
  const storage = Storage.open(dir, { retentionMs: 0 });
  try {
    // Input series: sample i at i x interval.
    const series = (g.input_series ?? []).map((s) => ({ labels: parseSeriesDesc(s.series), values: expandValues(s.values ?? '').values }));
    if (series.length > 0) {
      const refs = storage.seriesRefs(series.map((s) => s.labels));
      const total = series.reduce((n, s) => n + s.values.filter((v) => v !== undefined).length, 0);
      const r = new Uint32Array(total);
      const ts = new Float64Array(total);
      const vs = new Float64Array(total);
      let at = 0;
      series.forEach((s, k) =>
        s.values.forEach((v, i) => {
          if (v === undefined) return;
          r[at] = refs[k]!;
          ts[at] = i * interval;
          if (v === STALE) new BigUint64Array(vs.buffer, at * 8, 1)[0] = STALE_BITS;
          else vs[at] = v;
          at++;
        }),
      );
      storage.append(r, ts, vs);
    }

    const externalURL = g.external_url ?? 'http://localhost:9090';
    const engine = new Engine(storage, { lookbackDeltaMs: 300_000, timeoutMs: 120_000, defaultSubqueryStepMs: evalInterval });
    const manager = new RuleManager({
      deps: { ...engineRuleDeps(storage, engine, externalURL), externalLabels: g.external_labels ?? {}, externalURL, resendDelayMs: 60_000, metrics: createRuleMetrics(new client.Registry()) },
      validators: ruleValidators,
      notify: () => undefined,
      logger: new Logger({ level: 'error' }),
    });
    const base = dirname(resolve(file));
    let groups = manager.load({ patterns: (f.rule_files ?? []).map((p) => (isAbsolute(p) ? p : join(base, p))), baseDir: '/', evaluationIntervalMs: evalInterval });
    if (f.group_eval_order !== undefined) {
      const order = f.group_eval_order;
      groups = [...groups].sort((a, b) => order.indexOf(a.spec.name) - order.indexOf(b.spec.name));
    }

    const failures: string[] = [];
    const alertTests = [...(g.alert_rule_test ?? [])].map((t) => ({ ...t, at: duration(t.eval_time, 'eval_time', 0) })).sort((a, b) => a.at - b.at);
    const exprTests = (g.promql_expr_test ?? []).map((t) => ({ ...t, at: duration(t.eval_time, 'eval_time', 0) }));
    const maxT = Math.max(0, ...alertTests.map((t) => t.at), ...exprTests.map((t) => t.at));
    let next = 0;
    for (let ts = 0; ts <= maxT; ts += evalInterval) {
      for (const grp of groups) await grp.evaluate(ts);
      // Alert tests whose eval_time falls in this evaluation step.
      while (next < alertTests.length && alertTests[next]!.at < ts + evalInterval) {
        const t = alertTests[next++]!;
        const got: { labels: Labels; annotations: Labels }[] = [];
        for (const grp of groups) {
          for (const rule of grp.spec.rules) {
            if (!(rule instanceof AlertingRule) || rule.name !== t.alertname) continue;
            for (const a of rule.active.values()) if (a.state === 'firing') got.push({ labels: { ...a.labels }, annotations: { ...a.annotations } });
          }
        }
        const exp = (t.exp_alerts ?? []).map((e) => ({ labels: { ...(e.exp_labels ?? {}), alertname: t.alertname }, annotations: e.exp_annotations ?? {} }));
        const sort = (xs: typeof got): typeof got => xs.sort((a, b) => (labelsKey(a.labels) < labelsKey(b.labels) ? -1 : 1));
        sort(got);
        sort(exp);
        const same = got.length === exp.length && got.every((a, i) => sameLabels(a.labels, exp[i]!.labels) && sameLabels(a.annotations, exp[i]!.annotations));
        if (!same) failures.push(`    alertname: ${t.alertname}, time: ${formatDuration(t.at)}, \n        exp:${describe(exp)}, \n        got:${describe(got)}`);
      }
    }

    for (const t of exprTests) {
      let got: { labels: Labels; value: number }[];
      try {
        const r = engine.instantQuery(t.expr, t.at);
        if (r.resultType === 'vector') got = r.result.map((s) => ({ labels: s.metric, value: s.value }));
        else if (r.resultType === 'scalar') got = [{ labels: {}, value: r.result.value }];
        else throw new Error(`expression returned ${r.resultType}, which is not supported in promql_expr_test`);
      } catch (e) {
        failures.push(`    expr: ${JSON.stringify(t.expr)}, time: ${formatDuration(t.at)}, err: ${(e as Error).message}`);
        continue;
      }
      const exp = (t.exp_samples ?? []).map((s) => ({ labels: s.labels === undefined || s.labels === '' ? {} : parseSeriesDesc(s.labels), value: expectedValue(s.value) }));
      const key = (x: { labels: Labels }): string => labelsKey(x.labels);
      got.sort((a, b) => (key(a) < key(b) ? -1 : 1));
      exp.sort((a, b) => (key(a) < key(b) ? -1 : 1));
      const same = got.length === exp.length && got.every((s, i) => sameLabels(s.labels, exp[i]!.labels) && valuesEqual(s.value, exp[i]!.value));
      if (!same) {
        const show = (xs: { labels: Labels; value: number }[]): string => `[${xs.map((s) => `{Labels:${formatLabels(s.labels)} Value:${s.value}}`).join(' ')}]`;
        failures.push(`    expr: ${JSON.stringify(t.expr)}, time: ${formatDuration(t.at)},\n        exp: ${show(exp)}\n        got: ${show(got)}`);
      }
    }
    return failures;
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FileResult {
  file: string;
  /** Problems reading the file or its rules, or failed expectations, grouped per test group. */
  failures: string[];
}

export async function runRuleTestFile(file: string): Promise<FileResult> {
  let f: TestFile;
  try {
    const doc = YAML.parseDocument(readFileSync(file, 'utf8'));
    if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
    f = (doc.toJS() ?? {}) as TestFile;
  } catch (e) {
    return { file, failures: [`    ${(e as Error).message}`] };
  }
  const failures: string[] = [];
  for (const [i, g] of (f.tests ?? []).entries()) {
    try {
      const problems = await runGroup(file, f, g);
      if (problems.length > 0) failures.push(...(g.name ? [`    name: ${g.name},`] : []), ...problems);
    } catch (e) {
      failures.push(`    test ${g.name ?? i}: ${(e as Error).message}`);
    }
  }
  return { file, failures };
}
