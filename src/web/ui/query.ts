// The Query page (expression browser): panels with a PromQL editor (highlighting, completion of
// metric names, labels, values and functions, inline syntax errors via codemirror-promql against our
// own API), a Table (console) view at an evaluation time, a Graph view over a range (drag to zoom)
// and an Explain view (the query's tree); beside the editor, the metrics explorer and the query
// history. The state of every panel lives in the URL, in Prometheus's `g0.expr=...&g0.tab=...`
// form, so links from Prometheus (and alerts' generator URLs) open the same view.
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { EditorState, Prec } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, closeBrackets, closeCompletion, completionKeymap } from '@codemirror/autocomplete';
import { bracketMatching, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { api, apiBase } from './api.js';
import { clear, h, seriesName } from './dom.js';
import { drawGraph, type Exemplar, type GraphSeries } from './graph.js';
import { renderExplain } from './explain.js';
import { openMetricsExplorer, openQueryHistory, rememberQuery } from './panel-tools.js';
import { formatUtcTime } from './format.js';
import { formatDuration, parseLooseDuration } from '../../model/duration.js';
import { histogramGraphNotice, renderHistogram, type HistogramValue } from './histogram-view.js';

export interface PanelState {
  expr: string;
  tab: 'table' | 'graph' | 'explain';
  /** Range for the graph, a Prometheus duration such as `1h`. */
  range: string;
  /** End of the graph range / evaluation time of the table; '' = now. */
  endTime: string;
  /** Resolution in seconds; '' = automatic. */
  step: string;
  stacked: boolean;
}

const defaultPanel = (): PanelState => ({ expr: '', tab: 'table', range: '1h', endTime: '', step: '', stacked: false });

/** Panels from the URL: Prometheus 2's and 3's `gN.*` parameters. */
export function panelsFromUrl(search: URLSearchParams): PanelState[] {
  const panels: PanelState[] = [];
  for (let i = 0; ; i++) {
    const expr = search.get(`g${i}.expr`);
    if (expr === null) break;
    const tab = search.get(`g${i}.tab`);
    panels.push({
      expr,
      // Prometheus 2 used 0 = graph, 1 = table; Prometheus 3 uses the names.
      tab: tab === '0' || tab === 'graph' ? 'graph' : tab === 'explain' ? 'explain' : 'table',
      range: search.get(`g${i}.range_input`) ?? '1h',
      endTime: search.get(`g${i}.end_input`) ?? search.get(`g${i}.moment_input`) ?? '',
      step: search.get(`g${i}.step_input`) ?? '',
      stacked: search.get(`g${i}.stacked`) === '1',
    });
  }
  return panels.length > 0 ? panels : [defaultPanel()];
}

export function panelsToUrl(panels: PanelState[]): string {
  const p = new URLSearchParams();
  panels.forEach((s, i) => {
    p.set(`g${i}.expr`, s.expr);
    p.set(`g${i}.tab`, s.tab);
    p.set(`g${i}.range_input`, s.range);
    if (s.endTime !== '') p.set(`g${i}.end_input`, s.endTime);
    if (s.step !== '') p.set(`g${i}.step_input`, s.step);
    if (s.stacked) p.set(`g${i}.stacked`, '1');
  });
  return p.toString();
}

function parseEnd(s: string): number {
  if (s === '') return Date.now();
  const t = Date.parse(s.includes('T') || s.includes(' ') ? s.replace(' ', 'T') + (/(Z|[+-]\d\d:?\d\d)$/.test(s) ? '' : 'Z') : s);
  return Number.isNaN(t) ? Date.now() : t;
}

/** A sample: a float (`value`) or a native histogram (`histogram`). */
interface VectorItem {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: [number, HistogramValue];
}
/** A range series: float points (`values`) and/or native-histogram points (`histograms`). */
interface MatrixItem {
  metric: Record<string, string>;
  values?: [number, string][];
  histograms?: [number, HistogramValue][];
}
type QueryData = { resultType: 'vector'; result: VectorItem[] } | { resultType: 'matrix'; result: MatrixItem[] } | { resultType: 'scalar' | 'string'; result: [number, string] };

interface ExemplarsData {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

/** PromQL highlighting in the theme's colours (CSS variables, so it follows a theme switch and keeps AA contrast). */
const promqlHighlight = HighlightStyle.define([
  { tag: [tags.operatorKeyword, tags.modifier, tags.logicOperator], color: 'var(--hl-keyword)' },
  { tag: tags.function(tags.variableName), color: 'var(--hl-function)' },
  { tag: tags.labelName, color: 'var(--hl-label)' },
  { tag: tags.string, color: 'var(--hl-string)' },
  { tag: tags.number, color: 'var(--hl-number)' },
  { tag: tags.comment, color: 'var(--muted)', fontStyle: 'italic' },
  { tag: tags.invalid, color: 'var(--down)' },
]);

const promql = new PromQLExtension().activateCompletion(true).activateLinter(true);
/** How far back the editor looks for label names and values to complete: series seen in the last 12 hours. */
const COMPLETION_LOOKBACK_MS = 12 * 3600_000;

export function renderQueryPage(root: HTMLElement): void {
  const panels = panelsFromUrl(new URLSearchParams(location.search));
  const list = h('div', { class: 'panels' });
  const save = (): void => window.history.replaceState(null, '', `${location.pathname.replace(/\/graph$/, '/query')}?${panelsToUrl(panels)}`);
  const addPanel = (state: PanelState): void => {
    list.appendChild(
      renderPanel(state, save, (el) => {
        const i = panels.indexOf(state);
        if (i >= 0) panels.splice(i, 1);
        el.remove();
        save();
      }),
    );
  };
  panels.forEach(addPanel);
  root.append(
    list,
    h(
      'button',
      {
        class: 'btn add-panel',
        onclick: () => {
          const s = defaultPanel();
          panels.push(s);
          addPanel(s);
          save();
        },
      },
      'Add query',
    ),
  );
  // The editor's Prometheus client, on our API: metric names, label names and, inside a selector,
  // the values of the label being typed (filtered by the selector's other matchers).
  promql.setComplete({
    remote: {
      url: new URL(apiBase(), location.href).href.replace(/\/$/, ''),
      lookbackInterval: COMPLETION_LOOKBACK_MS,
      httpErrorHandler: (e: unknown) => console.warn('completion:', e),
      cache: { maxAge: 60_000 },
    },
  });
}

function renderPanel(state: PanelState, save: () => void, remove: (el: HTMLElement) => void): HTMLElement {
  const result = h('div', { class: 'result' });
  const status = h('div', { class: 'status-line' });
  let controller: AbortController | undefined;
  /** The range and end before the first drag-zoom, for the double-click that resets it. */
  let zoomBase: { range: string; endTime: string } | undefined;
  const refreshControls = (): void => controls.replaceWith((controls = renderControls()));
  const zoom = (from: number, to: number): void => {
    zoomBase ??= { range: state.range, endTime: state.endTime };
    state.range = formatDuration(Math.max(Math.round(to - from), 1) * 1000);
    state.endTime = formatUtcTime(Math.round(to) * 1000);
    refreshControls();
    void execute();
  };
  const resetZoom = (): void => {
    if (zoomBase === undefined) return;
    ({ range: state.range, endTime: state.endTime } = zoomBase);
    zoomBase = undefined;
    refreshControls();
    void execute();
  };

  const execute = async (): Promise<void> => {
    // The completion list has no business over the result once the query runs.
    closeCompletion(view);
    state.expr = view.state.doc.toString();
    save();
    controller?.abort();
    controller = new AbortController();
    clear(result);
    clear(status);
    if (state.expr.trim() === '') return;
    rememberQuery(state.expr);
    const started = performance.now();
    result.append(h('div', { class: 'muted' }, 'Loading...'));
    try {
      const end = parseEnd(state.endTime);
      if (state.tab === 'table') {
        const r = await api<QueryData>('api/v1/query', { query: state.expr, time: (end / 1000).toString() }, controller.signal);
        clear(result);
        renderTable(result, r.data);
        renderWarnings(status, r.warnings, performance.now() - started, resultCount(r.data));
      } else if (state.tab === 'explain') {
        clear(result);
        renderExplain(result, state.expr, end, (target, data) => renderTable(target, data as QueryData));
      } else {
        const rangeMs = parseLooseDuration(state.range) ?? 3600_000;
        const stepS = state.step !== '' ? Number(state.step) : Math.max(Math.floor(rangeMs / 1000 / 250), 1);
        const start = end - rangeMs;
        const range = { query: state.expr, start: (start / 1000).toString(), end: (end / 1000).toString() };
        // Exemplars (stored with --enable-feature=exemplar-storage) come beside the series; without
        // them, or on an error, the graph simply has none.
        const exemplarsAnswer = api<ExemplarsData[]>('api/v1/query_exemplars', range, controller.signal).catch(() => undefined);
        const r = await api<QueryData>('api/v1/query_range', { ...range, step: stepS.toString() }, controller.signal);
        const exemplars: Exemplar[] = ((await exemplarsAnswer)?.data ?? []).flatMap((s) => s.exemplars.map((e) => ({ seriesLabels: s.seriesLabels, labels: e.labels, value: Number(e.value), timestamp: e.timestamp })));
        clear(result);
        if (r.data.resultType !== 'matrix') throw new Error(`expected a range vector, got ${r.data.resultType}`);
        // Histogram points have no line; series with only those are left out and the notice says why.
        const withHistograms = r.data.result.filter((m) => (m.histograms ?? []).length > 0).length;
        const series: GraphSeries[] = r.data.result.filter((m) => (m.values ?? []).length > 0).map((m) => ({ labels: m.metric, points: (m.values ?? []).map(([t, v]) => [t, Number(v)] as [number, number]) }));
        const notice = histogramGraphNotice(withHistograms);
        if (notice) result.append(notice);
        if (series.length > 0 || notice === null) drawGraph(result, series, { start: start / 1000, end: end / 1000, step: stepS, stacked: state.stacked, exemplars, onZoom: zoom, onResetZoom: resetZoom });
        renderWarnings(status, r.warnings, performance.now() - started, series.length);
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      clear(result);
      result.append(h('div', { class: 'alert error', role: 'alert' }, (e as Error).message));
    }
  };

  const view = new EditorView({
    parent: undefined,
    state: EditorState.create({
      doc: state.expr,
      extensions: [
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        syntaxHighlighting(promqlHighlight),
        placeholder('Expression (press Shift+Enter to execute)'),
        EditorView.contentAttributes.of({ 'aria-label': 'PromQL expression' }),
        promql.asExtension(),
        EditorView.lineWrapping,
        Prec.highest(keymap.of([{ key: 'Shift-Enter', run: () => (void execute(), true) }])),
        keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap]),
      ],
    }),
  });

  const tabButton = (tab: PanelState['tab'], label: string): HTMLButtonElement =>
    h(
      'button',
      {
        class: `tab${state.tab === tab ? ' active' : ''}`,
        'data-tab': tab,
        onclick: (ev: Event) => {
          state.tab = tab;
          for (const b of (ev.currentTarget as HTMLElement).parentElement!.querySelectorAll('.tab')) b.classList.toggle('active', b.getAttribute('data-tab') === tab);
          refreshControls();
          void execute();
        },
      },
      label,
    );

  const input = (value: string, attrs: Record<string, string>, onchange: (v: string) => void): HTMLInputElement => {
    const el = h('input', { value, ...attrs });
    el.addEventListener('change', () => {
      onchange(el.value);
      void execute();
    });
    return el;
  };
  const renderControls = (): HTMLElement =>
    state.tab !== 'graph'
      ? h('div', { class: 'controls' }, h('label', {}, 'Evaluation time ', input(state.endTime, { placeholder: 'now (YYYY-MM-DD HH:MM:SS, UTC)', class: 'time-input' }, (v) => (state.endTime = v))))
      : h(
          'div',
          { class: 'controls' },
          h('label', {}, 'Range ', input(state.range, { class: 'range-input', size: '6' }, (v) => (state.range = parseLooseDuration(v) === undefined ? '1h' : v))),
          h('label', {}, 'End ', input(state.endTime, { placeholder: 'now', class: 'time-input' }, (v) => (state.endTime = v))),
          h('label', {}, 'Resolution ', input(state.step, { placeholder: 'auto (s)', class: 'step-input', size: '8' }, (v) => (state.step = v))),
          h(
            'label',
            {},
            (() => {
              const c = h('input', { type: 'checkbox', class: 'stacked-input' });
              c.checked = state.stacked;
              c.addEventListener('change', () => {
                state.stacked = c.checked;
                void execute();
              });
              return c;
            })(),
            ' Stacked',
          ),
        );
  let controls = renderControls();

  const setExpr = (text: string, replace: boolean): void => {
    const { from, to } = view.state.selection.main;
    view.dispatch(replace ? { changes: { from: 0, to: view.state.doc.length, insert: text } } : { changes: { from, to, insert: text }, selection: { anchor: from + text.length } });
    view.focus();
  };
  const panel = h(
    'section',
    { class: 'panel' },
    h(
      'div',
      { class: 'editor-row' },
      h('div', { class: 'editor' }),
      h('button', { class: 'btn metrics-explorer-button', title: 'Open the metrics explorer', 'aria-label': 'Metrics explorer', onclick: () => openMetricsExplorer((name) => setExpr(name, false)) }, 'Metrics'),
      h('button', { class: 'btn history-button', title: 'Recent queries (kept in this browser)', 'aria-label': 'Query history', onclick: () => openQueryHistory((q) => setExpr(q, true)) }, 'History'),
      h('button', { class: 'btn primary execute', onclick: () => void execute() }, 'Execute'),
      h('button', { class: 'btn remove', title: 'Remove query', 'aria-label': 'Remove query', onclick: () => remove(panel) }, '×'),
    ),
    h('div', { class: 'tabs' }, tabButton('table', 'Table'), tabButton('graph', 'Graph'), tabButton('explain', 'Explain')),
    controls,
    status,
    result,
  );
  panel.querySelector('.editor')!.appendChild(view.dom);
  if (state.expr !== '') void execute();
  return panel;
}

function resultCount(d: QueryData): number {
  return d.resultType === 'vector' || d.resultType === 'matrix' ? d.result.length : 1;
}

function renderWarnings(el: HTMLElement, warnings: string[], ms: number, count: number): void {
  el.append(h('span', { class: 'muted' }, `Load time: ${ms.toFixed(0)}ms · Result series: ${count}`));
  for (const w of warnings) el.append(h('div', { class: 'alert warning' }, `Warning: ${w}`));
}

function renderTable(el: HTMLElement, d: QueryData): void {
  const table = h('table', { class: 'data-table' });
  if (d.resultType === 'vector') {
    if (d.result.length === 0) {
      el.append(h('div', { class: 'muted empty' }, 'Empty query result'));
      return;
    }
    for (const s of d.result) table.append(h('tr', {}, h('td', { class: 'series' }, seriesName(s.metric)), h('td', { class: 'value' }, s.histogram ? renderHistogram(s.histogram[1]) : (s.value?.[1] ?? ''))));
  } else if (d.resultType === 'matrix') {
    if (d.result.length === 0) {
      el.append(h('div', { class: 'muted empty' }, 'Empty query result'));
      return;
    }
    for (const s of d.result) {
      const floats = (s.values ?? []).map(([t, v]) => h('div', {}, `${v} @${t}`));
      const histograms = (s.histograms ?? []).map(([t, hv]) => h('div', { class: 'histogram-point' }, renderHistogram(hv), ` @${t}`));
      table.append(h('tr', {}, h('td', { class: 'series' }, seriesName(s.metric)), h('td', { class: 'value' }, floats, histograms)));
    }
  } else {
    table.append(h('tr', {}, h('td', { class: 'series' }, d.resultType), h('td', { class: 'value' }, d.result[1])));
  }
  el.append(table);
}
