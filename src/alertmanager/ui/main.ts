// The Alertmanager's web UI: alerts grouped as routed (with a "Silence" action), silences (active,
// pending, expired; expire; create with a matcher editor and a preview of the alerts it would
// mute) and a status page. Hash routes (`#/alerts`, `#/silences`, `#/silences/new`, `#/status`)
// as Alertmanager's own UI has them.
import '../../web/ui/style.css';
import './style.css';
import { h, clear } from '../../web/ui/dom.js';
import { amApi } from './api.js';
import type { AlertGroup, GettableAlert, Silence, Status } from './api.js';
import { formatMatcher, parseMatchersInput } from './matchers.js';

function labelBadges(labels: Record<string, string>): HTMLElement {
  return h('span', { class: 'labels' }, Object.keys(labels).sort().map((k) => h('span', { class: 'label-badge' }, `${k}="${labels[k]}"`)));
}

function errorBox(root: HTMLElement, e: unknown): void {
  root.append(h('div', { class: 'alert error', role: 'alert' }, (e as Error).message));
}

function ago(iso: string): string {
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 0) return `in ${Math.round(-s)}s`;
  if (s < 120) return `${Math.round(s)}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/** `alertname="X", job="y"` for a silence prefilled from an alert's labels. */
function matchersFor(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
}

function alertRow(a: GettableAlert): HTMLElement {
  const state = a.status.state === 'suppressed' ? (a.status.silencedBy.length > 0 ? 'silenced' : 'inhibited') : a.status.state;
  return h(
    'div',
    { class: `am-alert ${state}` },
    h(
      'div',
      { class: 'am-alert-head' },
      h('span', { class: `state ${state === 'active' ? 'firing' : state === 'unprocessed' ? 'pending' : 'unknown'}` }, state.toUpperCase()),
      h('span', { class: 'muted' }, ` since ${new Date(a.startsAt).toISOString()} (${ago(a.startsAt)}) `),
      a.generatorURL ? h('a', { href: a.generatorURL, class: 'source' }, 'Source') : null,
      h('a', { class: 'btn silence-alert', href: `#/silences/new?matchers=${encodeURIComponent(matchersFor(a.labels))}` }, 'Silence'),
    ),
    labelBadges(a.labels),
    Object.keys(a.annotations).length > 0 ? h('dl', { class: 'annotations' }, Object.entries(a.annotations).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : null,
  );
}

/** A filter checkbox kept in the page's hash query (`#/alerts?silenced=true`), as Alertmanager's UI. */
function hashToggle(params: URLSearchParams, key: string, label: string): HTMLElement {
  const box = h('input', { type: 'checkbox', class: `toggle-${key}` });
  box.checked = params.get(key) === 'true';
  box.addEventListener('change', () => {
    const next = new URLSearchParams(params);
    if (box.checked) next.set(key, 'true');
    else next.delete(key);
    const q = next.toString();
    location.hash = `#/alerts${q === '' ? '' : `?${q}`}`;
  });
  return h('label', { class: 'toggle' }, box, ` ${label}`);
}

async function alertsPage(root: HTMLElement, params: URLSearchParams): Promise<void> {
  // Silenced and inhibited alerts are hidden unless asked for, as in Alertmanager's own UI.
  const silenced = params.get('silenced') === 'true';
  const inhibited = params.get('inhibited') === 'true';
  root.append(h('h1', {}, 'Alerts'), h('div', { class: 'filters am-filters' }, hashToggle(params, 'silenced', 'Silenced'), hashToggle(params, 'inhibited', 'Inhibited')));
  const groups = await amApi<AlertGroup[]>(`api/v2/alerts/groups?silenced=${silenced}&inhibited=${inhibited}&active=true`);
  const nonEmpty = groups.filter((g) => g.alerts.length > 0);
  if (nonEmpty.length === 0) {
    root.append(h('div', { class: 'empty-state' }, silenced && inhibited ? 'No alerts.' : 'No alerts (silenced and inhibited ones are hidden unless their box is ticked).'));
    return;
  }
  for (const g of nonEmpty) {
    root.append(
      h(
        'section',
        { class: 'am-group' },
        h('h2', { class: 'group-title' }, Object.keys(g.labels).length > 0 ? labelBadges(g.labels) : 'Not grouped', h('span', { class: 'muted' }, ` receiver: ${g.receiver.name} · ${g.alerts.length} alert${g.alerts.length === 1 ? '' : 's'}`)),
        g.alerts.map(alertRow),
      ),
    );
  }
}

async function silencesPage(root: HTMLElement): Promise<void> {
  root.append(h('h1', {}, 'Silences'), h('a', { class: 'btn primary new-silence', href: '#/silences/new' }, 'New Silence'));
  const silences = await amApi<Silence[]>('api/v2/silences');
  for (const state of ['active', 'pending', 'expired'] as const) {
    const list = silences.filter((s) => s.status.state === state).sort((a, b) => (a.endsAt < b.endsAt ? 1 : -1));
    const section = h('section', { class: `silences ${state}` }, h('h2', {}, `${state.charAt(0).toUpperCase()}${state.slice(1)} (${list.length})`));
    if (list.length === 0) section.append(h('div', { class: 'muted empty' }, `No ${state} silences.`));
    for (const s of list) {
      section.append(
        h(
          'div',
          { class: 'silence', 'data-id': s.id },
          h('div', {}, s.matchers.map((m) => h('span', { class: 'label-badge' }, formatMatcher(m)))),
          h('div', { class: 'muted' }, `${new Date(s.startsAt).toISOString()} → ${new Date(s.endsAt).toISOString()} · by ${s.createdBy}: ${s.comment}`),
          state === 'expired'
            ? null
            : h('button', {
                class: 'btn expire',
                onclick: async () => {
                  await amApi(`api/v2/silence/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
                  void route();
                },
              }, 'Expire'),
        ),
      );
    }
    root.append(section);
  }
}

function newSilencePage(root: HTMLElement, params: URLSearchParams): void {
  root.append(h('h1', {}, 'New Silence'));
  const matchers = h('input', { class: 'matchers-input', size: '80', placeholder: 'alertname="InstanceDown", job=~"node|db"', value: params.get('matchers') ?? '' });
  const duration = h('input', { class: 'duration-input', size: '8', value: '2h' });
  const author = h('input', { class: 'author-input', size: '30', value: localStorage.getItem('promethium.am.author') ?? '' });
  const comment = h('input', { class: 'comment-input', size: '80' });
  const preview = h('div', { class: 'preview' });
  const message = h('div', {});
  const parse = (): ReturnType<typeof parseMatchersInput> => parseMatchersInput(matchers.value);
  const showPreview = async (): Promise<void> => {
    clear(preview);
    try {
      const ms = parse();
      const q = ms.map((m) => `filter=${encodeURIComponent(formatMatcher(m))}`).join('&');
      const alerts = await amApi<GettableAlert[]>(`api/v2/alerts?${q}`);
      preview.append(h('h3', {}, `Affected alerts: ${alerts.length}`), ...alerts.map((a) => h('div', { class: 'preview-alert' }, labelBadges(a.labels))));
    } catch (e) {
      errorBox(preview, e);
    }
  };
  const create = async (): Promise<void> => {
    clear(message);
    try {
      const ms = parse();
      const m = /^(\d+)([mhdw])$/.exec(duration.value.trim());
      if (!m) throw new Error('duration: a number with m, h, d or w, e.g. 2h');
      const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
      if (author.value.trim() === '') throw new Error('creator: who is silencing?');
      if (comment.value.trim() === '') throw new Error('comment: say why');
      localStorage.setItem('promethium.am.author', author.value.trim());
      const now = Date.now();
      const r = await amApi<{ silenceID: string }>('api/v2/silences', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ matchers: ms, startsAt: new Date(now).toISOString(), endsAt: new Date(now + Number(m[1]) * unit).toISOString(), createdBy: author.value.trim(), comment: comment.value.trim() }),
      });
      location.hash = `#/silences?created=${encodeURIComponent(r.silenceID)}`;
    } catch (e) {
      errorBox(message, e);
    }
  };
  root.append(
    h(
      'form',
      { class: 'silence-form', onsubmit: (ev: Event) => (ev.preventDefault(), void create()) },
      h('label', {}, 'Matchers ', matchers),
      h('label', {}, 'Duration ', duration),
      h('label', {}, 'Creator ', author),
      h('label', {}, 'Comment ', comment),
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'btn preview-button', onclick: () => void showPreview() }, 'Preview Alerts'), h('button', { type: 'submit', class: 'btn primary create' }, 'Create')),
    ),
    message,
    preview,
  );
  if (matchers.value !== '') void showPreview();
}

async function statusPage(root: HTMLElement): Promise<void> {
  root.append(h('h1', {}, 'Status'));
  const s = await amApi<Status>('api/v2/status');
  root.append(
    h('table', { class: 'data-table kv' }, h('tr', {}, h('th', {}, 'Uptime'), h('td', {}, `${new Date(s.uptime).toISOString()} (${ago(s.uptime)})`)), Object.entries(s.versionInfo).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
    h('h2', {}, 'Config'),
    h('pre', { class: 'config' }, s.config.original),
  );
}

function nav(active: string): HTMLElement {
  const link = (hash: string, label: string): HTMLElement => h('a', { href: `#/${hash}`, class: active === hash ? 'active' : '' }, label);
  const toggleTheme = (): void => {
    const next = document.documentElement.dataset['theme'] === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset['theme'] = next;
    localStorage.setItem('promethium.theme', next);
  };
  return h(
    'nav',
    { class: 'navbar' },
    h('a', { class: 'brand', href: '#/alerts' }, 'Alertmanager'),
    link('alerts', 'Alerts'),
    link('silences', 'Silences'),
    link('status', 'Status'),
    h('span', { class: 'spacer' }),
    h('button', { class: 'btn theme-toggle', type: 'button', title: 'Toggle light/dark theme', 'aria-label': 'Toggle light/dark theme', onclick: toggleTheme }, '◐'),
  );
}

async function route(): Promise<void> {
  const saved = localStorage.getItem('promethium.theme');
  document.documentElement.dataset.theme = saved === 'dark' || saved === 'light' ? saved : window.matchMedia?.('(prefers-color-scheme: dark)').matches === true ? 'dark' : 'light';
  const [path = 'alerts', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const page = path === '' ? 'alerts' : path;
  const main = h('main', { class: 'page' });
  document.body.dataset.ready = 'false';
  document.body.replaceChildren(nav(page.split('/')[0]!), main);
  document.title = `Alertmanager ${page}`;
  try {
    if (page === 'alerts') await alertsPage(main, new URLSearchParams(query));
    else if (page === 'silences') await silencesPage(main);
    else if (page === 'silences/new') newSilencePage(main, new URLSearchParams(query));
    else if (page === 'status') await statusPage(main);
    else main.append(h('div', { class: 'empty-state' }, `No page ${page}.`));
  } catch (e) {
    errorBox(main, e);
  }
  document.body.dataset.ready = 'true';
}

window.addEventListener('hashchange', () => void route());
void route();
