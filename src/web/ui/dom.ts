// A tiny DOM helper: `h('div', { class: 'x', onclick: f }, child, 'text')`. Enough for our pages
// without a framework, and it never sets innerHTML, so labels from targets cannot inject markup.

import { formatEvalDuration } from './format.js';

type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;
export type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** `metric{a="1", b="2"}` as Prometheus prints a series. */
export function seriesName(labels: Record<string, string>): string {
  const name = labels.__name__ ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
  return `${name}{${rest}}`;
}

/** "3.2s ago", "5m ago" for timestamps. */
export function ago(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return 'never';
  const s = (Date.now() - t) / 1000;
  if (s < 60) return `${s.toFixed(1)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s ago`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
}

/** A measured duration (evaluation, scrape) in seconds, with sub-millisecond granularity. */
export function formatSeconds(s: number): string {
  return formatEvalDuration(s);
}
