// The web UI's entry: navigation, light/dark theme, and a page per path. Paths follow Prometheus's
// (`/query`, `/alerts`, `/targets`, `/rules`, `/status`, ...; `/graph` opens the Query page) so
// bookmarks and links from Prometheus keep working.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { apiBase } from './api.js';
import { h } from './dom.js';
import { renderQueryPage } from './query.js';
import { renderAlertsPage, renderRulesPage, renderStatusPage, renderTargetsPage } from './pages.js';

type Theme = 'light' | 'dark';

function applyTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  localStorage.setItem('promethium.theme', t);
  // Canvas graphs read the theme's colours once per draw: tell them to redraw.
  document.dispatchEvent(new Event('promethium:theme'));
}

function currentTheme(): Theme {
  const saved = localStorage.getItem('promethium.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches === true ? 'dark' : 'light';
}

function nav(active: string): HTMLElement {
  const base = apiBase();
  const link = (path: string, label: string): HTMLElement => h('a', { href: `${base}${path}`, class: active === path ? 'active' : '' }, label);
  const themeButton = h('button', { class: 'btn theme-toggle', title: 'Toggle light/dark theme', 'aria-label': 'Toggle light/dark theme', onclick: () => applyTheme(currentTheme() === 'dark' ? 'light' : 'dark') }, '◐');
  return h(
    'nav',
    { class: 'navbar' },
    h('a', { class: 'brand', href: `${base}query` }, 'Promethium'),
    link('query', 'Query'),
    link('alerts', 'Alerts'),
    link('targets', 'Targets'),
    link('rules', 'Rules'),
    h(
      'details',
      { class: 'menu' },
      h('summary', {}, 'Status'),
      h('div', { class: 'menu-items' }, link('status', 'Runtime & Build Information'), link('tsdb-status', 'TSDB Status'), link('flags', 'Command-Line Flags'), link('config', 'Configuration'), link('targets', 'Targets'), link('rules', 'Rules'), link('service-discovery', 'Service Discovery')),
    ),
    h('span', { class: 'spacer' }),
    themeButton,
  );
}

async function route(): Promise<void> {
  applyTheme(currentTheme());
  const base = apiBase();
  let path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname.replace(/^\//, '');
  if (path === '' || path === 'graph') path = 'query';
  const main = h('main', { class: 'page' });
  document.body.replaceChildren(nav(path), main);
  document.title = `Promethium ${path.charAt(0).toUpperCase()}${path.slice(1)}`;
  switch (path) {
    case 'query':
      renderQueryPage(main);
      break;
    case 'alerts':
      await renderAlertsPage(main);
      break;
    case 'targets':
      await renderTargetsPage(main);
      break;
    case 'rules':
      await renderRulesPage(main);
      break;
    default:
      await renderStatusPage(main, path);
  }
  document.body.dataset.ready = 'true';
}

void route();
