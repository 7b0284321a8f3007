// The Alerts, Targets, Rules and Status pages: each fetches its API and renders it.
import { api } from './api.js';
import { ago, clear, formatSeconds, h, seriesName } from './dom.js';
import { formatDuration } from '../../model/duration.js';

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}
interface AlertingRule {
  type: 'alerting';
  name: string;
  query: string;
  duration: number;
  keepFiringFor?: number;
  state: 'inactive' | 'pending' | 'firing';
  alerts: Alert[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  health: string;
  lastError?: string;
  lastEvaluation: string;
  evaluationTime: number;
}
interface RecordingRule {
  type: 'recording';
  name: string;
  query: string;
  labels: Record<string, string>;
  health: string;
  lastError?: string;
  lastEvaluation: string;
  evaluationTime: number;
}
interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: (AlertingRule | RecordingRule)[];
  lastEvaluation: string;
  evaluationTime: number;
}

function labelBadges(labels: Record<string, string>): HTMLElement {
  return h('span', { class: 'labels' }, Object.keys(labels).sort().map((k) => h('span', { class: 'label-badge' }, `${k}="${labels[k]}"`)));
}

/** A rule's duration field (seconds in the API) as Prometheus writes it: `1m`, `1h30m`, `500ms`. */
function promDuration(seconds: number): string {
  return formatDuration(Math.round(seconds * 1000));
}

/** The YAML-ish definition of an alerting rule, as Prometheus's Alerts page prints it. */
function alertingRuleText(r: AlertingRule): string {
  const lines = [`alert: ${r.name}`, `expr: ${r.query}`];
  if (r.duration > 0) lines.push(`for: ${promDuration(r.duration)}`);
  if ((r.keepFiringFor ?? 0) > 0) lines.push(`keep_firing_for: ${promDuration(r.keepFiringFor!)}`);
  const block = (title: string, m: Record<string, string>): void => {
    const keys = Object.keys(m);
    if (keys.length > 0) lines.push(`${title}:`, ...keys.map((k) => `  ${k}: ${m[k]}`));
  };
  block('labels', r.labels);
  block('annotations', r.annotations);
  return lines.join('\n');
}

function errorBox(root: HTMLElement, e: unknown): void {
  clear(root);
  root.append(h('div', { class: 'alert error', role: 'alert' }, `Error fetching data: ${(e as Error).message}`));
}

export async function renderAlertsPage(root: HTMLElement): Promise<void> {
  root.append(h('h1', {}, 'Alerts'));
  const body = h('div', {});
  root.append(body);
  try {
    const { data } = await api<{ groups: RuleGroup[] }>('api/v1/rules', { type: 'alert' });
    const rules = data.groups.flatMap((g) => g.rules.filter((r): r is AlertingRule => r.type === 'alerting').map((r) => ({ g, r })));
    const counts = { inactive: 0, pending: 0, firing: 0 };
    for (const { r } of rules) counts[r.state]++;
    body.append(h('div', { class: 'summary' }, h('span', { class: 'state inactive' }, `Inactive (${counts.inactive})`), h('span', { class: 'state pending' }, `Pending (${counts.pending})`), h('span', { class: 'state firing' }, `Firing (${counts.firing})`)));
    if (rules.length === 0) {
      body.append(h('div', { class: 'empty-state' }, 'No alerting rules configured. Add rule files with "rule_files" in the configuration.'));
      return;
    }
    for (const g of data.groups) {
      const groupRules = g.rules.filter((r): r is AlertingRule => r.type === 'alerting');
      if (groupRules.length === 0) continue;
      body.append(h('h2', { class: 'group-title' }, `${g.file} > ${g.name}`));
      for (const r of groupRules) {
        const details = h(
          'details',
          { class: `alert-rule ${r.state}`, open: r.state !== 'inactive' },
          h('summary', {}, h('span', { class: `state ${r.state}` }, r.state.toUpperCase()), ' ', h('strong', {}, r.name), ` (${r.alerts.length} active)`),
          h('pre', { class: 'rule-def' }, alertingRuleText(r)),
          r.alerts.length > 0
            ? h(
                'table',
                { class: 'data-table' },
                h('tr', {}, h('th', {}, 'Labels'), h('th', {}, 'State'), h('th', {}, 'Active Since'), h('th', {}, 'Value'), h('th', {}, 'Annotations')),
                r.alerts.map((a) => h('tr', {}, h('td', {}, labelBadges(a.labels)), h('td', {}, h('span', { class: `state ${a.state}` }, a.state.toUpperCase())), h('td', {}, `${a.activeAt} (${ago(a.activeAt)})`), h('td', {}, a.value), h('td', {}, Object.entries(a.annotations).map(([k, v]) => h('div', {}, h('strong', {}, `${k}: `), v))))),
              )
            : null,
        );
        body.append(details);
      }
    }
  } catch (e) {
    errorBox(body, e);
  }
}

interface Target {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export async function renderTargetsPage(root: HTMLElement): Promise<void> {
  root.append(h('h1', {}, 'Targets'));
  const filter = h('div', { class: 'filters' });
  const body = h('div', {});
  root.append(filter, body);
  let onlyUnhealthy = new URLSearchParams(location.search).get('health') === 'unhealthy';
  let targets: Target[] = [];
  const draw = (): void => {
    clear(body);
    const pools = new Map<string, Target[]>();
    for (const t of targets) pools.set(t.scrapePool, [...(pools.get(t.scrapePool) ?? []), t]);
    if (pools.size === 0) body.append(h('div', { class: 'empty-state' }, 'No targets configured.'));
    for (const [pool, ts] of [...pools.entries()].sort()) {
      const up = ts.filter((t) => t.health === 'up').length;
      const shown = onlyUnhealthy ? ts.filter((t) => t.health !== 'up') : ts;
      if (shown.length === 0 && onlyUnhealthy) continue;
      body.append(
        h('h2', { class: 'pool-title' }, `${pool} (${up}/${ts.length} up)`),
        h(
          'table',
          { class: 'data-table targets' },
          h('tr', {}, h('th', {}, 'Endpoint'), h('th', {}, 'State'), h('th', {}, 'Labels'), h('th', {}, 'Last Scrape'), h('th', {}, 'Scrape Duration'), h('th', {}, 'Error')),
          shown.map((t) =>
            h(
              'tr',
              { class: `target ${t.health}` },
              h('td', {}, h('a', { href: t.scrapeUrl }, t.scrapeUrl)),
              h('td', {}, h('span', { class: `state ${t.health}` }, t.health.toUpperCase())),
              h('td', {}, labelBadges(t.labels)),
              h('td', {}, ago(t.lastScrape)),
              h('td', {}, t.lastScrape.startsWith('0001') ? '-' : formatSeconds(t.lastScrapeDuration)),
              h('td', { class: 'error-cell' }, t.lastError),
            ),
          ),
        ),
      );
    }
  };
  const button = (label: string, unhealthy: boolean): HTMLButtonElement =>
    h(
      'button',
      {
        class: `btn filter${onlyUnhealthy === unhealthy ? ' active' : ''}`,
        onclick: () => {
          onlyUnhealthy = unhealthy;
          for (const b of filter.querySelectorAll('button')) b.classList.toggle('active', b.textContent === label);
          draw();
        },
      },
      label,
    );
  filter.append(button('All', false), button('Unhealthy', true));
  try {
    const { data } = await api<{ activeTargets: Target[] }>('api/v1/targets', { state: 'active' });
    targets = data.activeTargets;
    draw();
  } catch (e) {
    errorBox(body, e);
  }
}

/** A rule's settings and labels/annotations as a definition list (only what is set). */
function ruleMeta(r: AlertingRule | RecordingRule): HTMLElement {
  const rows: [string, Node | string][] = [];
  if (r.type === 'alerting') {
    if (r.duration > 0) rows.push(['for', promDuration(r.duration)]);
    if ((r.keepFiringFor ?? 0) > 0) rows.push(['keep_firing_for', promDuration(r.keepFiringFor!)]);
  }
  if (Object.keys(r.labels).length > 0) rows.push(['labels', labelBadges(r.labels)]);
  if (r.type === 'alerting' && Object.keys(r.annotations).length > 0) rows.push(['annotations', h('div', {}, Object.keys(r.annotations).sort().map((k) => h('div', { class: 'annotation' }, h('strong', {}, `${k}: `), r.annotations[k]!)))]);
  return h('dl', { class: 'rule-meta' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', { class: `meta-${k}` }, v)]));
}

export async function renderRulesPage(root: HTMLElement): Promise<void> {
  root.append(h('h1', {}, 'Rules'));
  const body = h('div', {});
  root.append(body);
  try {
    const { data } = await api<{ groups: RuleGroup[] }>('api/v1/rules');
    if (data.groups.length === 0) {
      body.append(h('div', { class: 'empty-state' }, 'No rule groups configured. Add rule files with "rule_files" in the configuration.'));
      return;
    }
    for (const g of data.groups) {
      body.append(
        h('h2', { class: 'group-title' }, `${g.name}`, h('span', { class: 'muted' }, ` ${g.file} · every ${promDuration(g.interval)} · last evaluation ${ago(g.lastEvaluation)} · took ${formatSeconds(g.evaluationTime)}`)),
        h(
          'table',
          { class: 'data-table rules' },
          h('tr', {}, h('th', {}, 'Rule'), h('th', {}, 'Health'), h('th', {}, 'Last Error'), h('th', {}, 'Last Evaluation'), h('th', {}, 'Evaluation Time')),
          g.rules.map((r) =>
            h(
              'tr',
              { class: `rule ${r.type}`, 'data-name': r.name },
              h('td', {}, h('pre', { class: 'rule-def' }, `${r.type === 'alerting' ? 'alert' : 'record'}: ${r.name}\nexpr: ${r.query}`), ruleMeta(r)),
              h('td', {}, h('span', { class: `health ${r.health}` }, r.health.toUpperCase())),
              h('td', { class: 'error-cell' }, r.lastError ?? ''),
              h('td', { class: 'last-evaluation', title: r.lastEvaluation }, ago(r.lastEvaluation)),
              h('td', { class: 'evaluation-time' }, formatSeconds(r.evaluationTime)),
            ),
          ),
        ),
      );
    }
  } catch (e) {
    errorBox(body, e);
  }
}

function kvTable(obj: Record<string, unknown>): HTMLElement {
  return h('table', { class: 'data-table kv' }, Object.entries(obj).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, String(v)))));
}

export async function renderStatusPage(root: HTMLElement, which: string): Promise<void> {
  const body = h('div', {});
  try {
    if (which === 'status') {
      root.append(h('h1', {}, 'Runtime & Build Information'));
      const [rt, b] = await Promise.all([api<Record<string, unknown>>('api/v1/status/runtimeinfo'), api<Record<string, unknown>>('api/v1/status/buildinfo')]);
      body.append(h('h2', {}, 'Runtime Information'), kvTable(rt.data), h('h2', {}, 'Build Information'), kvTable(b.data));
      body.append(await remoteWriteSection());
    } else if (which === 'tsdb-status') {
      root.append(h('h1', {}, 'TSDB Status'));
      const { data } = await api<{ headStats: Record<string, number>; [k: string]: unknown }>('api/v1/status/tsdb');
      body.append(h('h2', {}, 'Head Stats'), kvTable({ ...data.headStats, minTime: new Date(data.headStats.minTime ?? 0).toISOString(), maxTime: new Date(data.headStats.maxTime ?? 0).toISOString() }));
      for (const [key, title] of [
        ['seriesCountByMetricName', 'Top 10 series count by metric names'],
        ['labelValueCountByLabelName', 'Top 10 label names with value count'],
        ['memoryInBytesByLabelName', 'Top 10 label names with high memory usage'],
        ['seriesCountByLabelValuePair', 'Top 10 series count by label value pairs'],
      ] as const) {
        const rows = (data[key] as { name: string; value: number }[] | undefined) ?? [];
        body.append(h('h2', {}, title), h('table', { class: 'data-table' }, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Count')), rows.map((r) => h('tr', {}, h('td', {}, r.name), h('td', {}, r.value)))));
      }
    } else if (which === 'flags') {
      root.append(h('h1', {}, 'Command-Line Flags'));
      const { data } = await api<Record<string, string>>('api/v1/status/flags');
      body.append(kvTable(data));
    } else if (which === 'config') {
      root.append(h('h1', {}, 'Configuration'));
      const { data } = await api<{ yaml: string }>('api/v1/status/config');
      body.append(h('pre', { class: 'config' }, data.yaml));
    } else if (which === 'service-discovery') {
      root.append(h('h1', {}, 'Service Discovery'));
      const { data } = await api<{ activeTargets: Target[]; droppedTargets: { discoveredLabels: Record<string, string>; scrapePool?: string }[] }>('api/v1/targets');
      const pools = new Set([...data.activeTargets.map((t) => t.scrapePool), ...data.droppedTargets.map((t) => t.scrapePool ?? t.discoveredLabels.job ?? '')]);
      for (const p of [...pools].sort()) {
        const active = data.activeTargets.filter((t) => t.scrapePool === p);
        const dropped = data.droppedTargets.filter((t) => (t.scrapePool ?? t.discoveredLabels.job) === p);
        body.append(
          h('h2', {}, `${p} (${active.length} / ${active.length + dropped.length} active targets)`),
          h(
            'table',
            { class: 'data-table' },
            h('tr', {}, h('th', {}, 'Discovered Labels'), h('th', {}, 'Target Labels')),
            active.map((t) => h('tr', {}, h('td', {}, labelBadges(t.discoveredLabels)), h('td', {}, labelBadges(t.labels)))),
            dropped.map((t) => h('tr', {}, h('td', {}, labelBadges(t.discoveredLabels)), h('td', { class: 'muted' }, 'Dropped'))),
          ),
        );
      }
    }
  } catch (e) {
    errorBox(body, e);
  }
  root.append(body);
}

/** Each remote_write queue: where it sends, its shards, backlog, savepoint and counts. */
async function remoteWriteSection(): Promise<HTMLElement> {
  type Queue = { name: string; url: string; protocol: string; shards: number; desiredShards: number; minShards: number; maxShards: number; samplesPending: number; savepoint: { segment: number; offset: number }; highestSentTimestampSeconds: number; samplesSent: number; samplesFailed: number; samplesRetried: number; lastError: string };
  const section = h('div', {}, h('h2', {}, 'Remote Write'));
  let queues: Queue[] = [];
  try {
    queues = (await api<{ queues: Queue[] }>('api/v1/status/remote-write')).data.queues;
  } catch {
    return section;
  }
  if (queues.length === 0) section.append(h('p', { class: 'muted' }, 'No remote_write queues are configured.'));
  else
    section.append(
      h(
        'table',
        { class: 'data-table' },
        h('tr', {}, ...['Name', 'URL', 'Protocol', 'Shards (desired, min–max)', 'Pending samples', 'Sent', 'Retried', 'Failed', 'Last sent sample', 'Savepoint (segment:offset)', 'Last error'].map((t) => h('th', {}, t))),
        queues.map((q) => h('tr', {}, h('td', {}, q.name), h('td', {}, q.url), h('td', {}, q.protocol), h('td', {}, `${q.shards} (${q.desiredShards}, ${q.minShards}–${q.maxShards})`), h('td', {}, q.samplesPending), h('td', {}, q.samplesSent), h('td', {}, q.samplesRetried), h('td', {}, q.samplesFailed), h('td', {}, q.highestSentTimestampSeconds > 0 ? new Date(q.highestSentTimestampSeconds * 1000).toISOString() : '-'), h('td', {}, `${q.savepoint.segment}:${q.savepoint.offset}`), h('td', {}, q.lastError))),
      ),
    );
  return section;
}

export { seriesName };
