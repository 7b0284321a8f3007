// Two helpers beside the editor: the metrics explorer (every metric name with its type, help and
// unit from /api/v1/metadata, searchable, a click inserts the name) and the query history (the
// recent queries, kept in the browser's localStorage, a click puts one back in the editor).
import { api } from './api.js';
import { clear, h } from './dom.js';

const HISTORY_KEY = 'promethium.queryHistory';
const HISTORY_MAX = 50;

/** The recent queries, newest first. */
export function queryHistory(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((q): q is string => typeof q === 'string') : [];
  } catch {
    return [];
  }
}

/** Puts a query on top of the history (once: a repeated query moves up). */
export function rememberQuery(query: string): void {
  const q = query.trim();
  if (q === '') return;
  const list = [q, ...queryHistory().filter((x) => x !== q)].slice(0, HISTORY_MAX);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(list));
  } catch {
    /* storage full or disabled: history is a convenience */
  }
}

interface Metadata {
  type: string;
  help: string;
  unit: string;
}

/** A modal list with a search box; `rows` draws the items for a search text. */
function openDialog(title: string, className: string, rows: (search: string, list: HTMLElement, close: () => void) => void | Promise<void>): void {
  const list = h('div', { class: 'dialog-list' });
  const search = h('input', { type: 'search', class: 'dialog-search', placeholder: 'Search', 'aria-label': `Search ${title.toLowerCase()}` });
  const dialog = h('dialog', { class: `tool-dialog ${className}`, 'aria-label': title });
  const close = (): void => {
    dialog.close();
    dialog.remove();
  };
  dialog.append(h('div', { class: 'dialog-head' }, h('h2', {}, title), h('button', { class: 'btn dialog-close', type: 'button', 'aria-label': 'Close', onclick: close }, '×')), search, list);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  search.addEventListener('input', () => void rows(search.value, list, close));
  void rows('', list, close);
  search.focus();
}

/** Case-insensitive match of every space-separated word of the search. */
function matches(search: string, ...texts: string[]): boolean {
  const hay = texts.join(' ').toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '')
    .every((w) => hay.includes(w));
}

export function openMetricsExplorer(insert: (name: string) => void): void {
  let loaded: Promise<{ names: string[]; meta: Map<string, Metadata> }> | undefined;
  const load = async (): Promise<{ names: string[]; meta: Map<string, Metadata> }> => {
    const [names, md] = await Promise.all([api<string[]>('api/v1/label/__name__/values'), api<Record<string, Metadata[]>>('api/v1/metadata')]);
    const meta = new Map<string, Metadata>();
    for (const [name, list] of Object.entries(md.data)) if (list[0]) meta.set(name, list[0]);
    return { names: names.data, meta };
  };
  openDialog('Metrics Explorer', 'metrics-explorer', async (search, list, close) => {
    loaded ??= load();
    try {
      const { names, meta } = await loaded;
      const shown = names.filter((n) => matches(search, n, meta.get(n)?.help ?? '', meta.get(n)?.type ?? ''));
      clear(list);
      list.append(h('div', { class: 'muted' }, `${shown.length} of ${names.length} metrics`));
      const table = h('table', { class: 'data-table metrics-table' }, h('tr', {}, h('th', {}, 'Metric'), h('th', {}, 'Type'), h('th', {}, 'Help'), h('th', {}, 'Unit')));
      for (const name of shown.slice(0, 500)) {
        const m = meta.get(name);
        table.append(
          h(
            'tr',
            { class: 'metric-row' },
            h('td', {}, h('button', { type: 'button', class: 'link-button metric-name', onclick: () => (insert(name), close()) }, name)),
            h('td', { class: 'metric-type' }, m?.type ?? ''),
            h('td', { class: 'metric-help' }, m?.help ?? ''),
            h('td', { class: 'metric-unit' }, m?.unit ?? ''),
          ),
        );
      }
      list.append(table);
    } catch (e) {
      clear(list);
      list.append(h('div', { class: 'alert error', role: 'alert' }, (e as Error).message));
    }
  });
}

export function openQueryHistory(use: (query: string) => void): void {
  openDialog('Query History', 'query-history', (search, list, close) => {
    const shown = queryHistory().filter((q) => matches(search, q));
    clear(list);
    if (shown.length === 0) list.append(h('div', { class: 'muted empty' }, 'No queries run in this browser yet.'));
    list.append(h('ul', { class: 'history-list' }, shown.map((q) => h('li', {}, h('button', { type: 'button', class: 'link-button history-item', onclick: () => (use(q), close()) }, q)))));
  });
}
