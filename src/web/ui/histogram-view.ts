// Native histograms in the Query page, as Prometheus 3's UI shows them: in the Table view a
// histogram sample is its count, its sum and a bar chart of its buckets, with an exponential scale
// (every bucket equally wide, as exponential buckets are meant to be read) and a linear one (bars
// placed at their real bounds, heights as density so areas stay proportional to counts), plus the
// bucket list. Heights are counts in both scales: as densities, the narrow zero bucket would dwarf
// every other bar. The Graph view cannot draw a histogram as a line and says so.
import { h } from './dom.js';

/** A histogram as the HTTP API writes it: count, sum and [boundaryRule, lower, upper, count] buckets. */
export interface HistogramValue {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

export type HistogramScale = 'exponential' | 'linear';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 480;
const HEIGHT = 120;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** `(a, b]`, `[a, b)`, `(a, b)` or `[a, b]` by boundary rule. */
export function bucketRange(rule: number, lower: string, upper: string): string {
  const open = rule === 1 || rule === 3 ? '[' : '(';
  const close = rule === 0 || rule === 3 ? ']' : ')';
  return `${open}${lower}, ${upper}${close}`;
}

/** Bar positions (0..1 across the chart) and heights (0..1) of the buckets in a scale. */
export function bucketBars(buckets: readonly [number, string, string, string][], scale: HistogramScale): { x: number; width: number; height: number }[] {
  if (buckets.length === 0) return [];
  const counts = buckets.map((b) => Number(b[3]));
  if (scale === 'exponential') {
    const max = Math.max(...counts);
    return counts.map((c, i) => ({ x: i / buckets.length, width: 1 / buckets.length, height: max > 0 ? c / max : 0 }));
  }
  // Linear: infinite bounds are clipped to the neighbouring finite bound's width so a bar stays drawable.
  const finite = buckets.flatMap((b) => [Number(b[1]), Number(b[2])]).filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi > lo ? hi - lo : 1;
  const bounds = buckets.map((b) => {
    let l = Number(b[1]);
    let u = Number(b[2]);
    if (!Number.isFinite(l)) l = Number.isFinite(u) ? u - span / buckets.length : lo;
    if (!Number.isFinite(u)) u = l + span / buckets.length;
    return [l, u] as const;
  });
  const min = Math.min(...bounds.map((b) => b[0]));
  const max = Math.max(...bounds.map((b) => b[1]));
  const total = max > min ? max - min : 1;
  const top = Math.max(...counts);
  return bounds.map(([l, u], i) => ({ x: (l - min) / total, width: (u - l) / total, height: top > 0 ? counts[i]! / top : 0 }));
}

function chart(buckets: readonly [number, string, string, string][], scale: HistogramScale): SVGSVGElement {
  const el = svg('svg', { class: 'histogram-chart', width: WIDTH, height: HEIGHT + 18, viewBox: `0 0 ${WIDTH} ${HEIGHT + 18}`, role: 'img', 'aria-label': `Bucket counts, ${scale} scale` });
  const bars = bucketBars(buckets, scale);
  bars.forEach((b, i) => {
    const [rule, lower, upper, count] = buckets[i]!;
    const height = Math.max(b.height * HEIGHT, count === '0' ? 0 : 1);
    // A bucket narrower than a few pixels (the zero bucket in the linear scale) stays visible.
    const rect = svg('rect', { class: 'histogram-bar', x: b.x * WIDTH, y: HEIGHT - height, width: Math.max(b.width * WIDTH - 1, 3), height });
    const title = svg('title', {});
    title.textContent = `${bucketRange(rule, lower, upper)}: ${count}`;
    rect.appendChild(title);
    el.appendChild(rect);
  });
  el.appendChild(svg('line', { x1: 0, x2: WIDTH, y1: HEIGHT, y2: HEIGHT, class: 'histogram-axis' }));
  if (buckets.length > 0) {
    const first = svg('text', { x: 0, y: HEIGHT + 14, class: 'histogram-tick' });
    first.textContent = buckets[0]![1];
    const last = svg('text', { x: WIDTH, y: HEIGHT + 14, 'text-anchor': 'end', class: 'histogram-tick' });
    last.textContent = buckets[buckets.length - 1]![2];
    el.append(first, last);
  }
  return el;
}

/** The Table view's cell for a histogram sample: count, sum, the bucket chart with its scale toggle, the buckets. */
export function renderHistogram(value: HistogramValue): HTMLElement {
  const buckets = value.buckets ?? [];
  let scale: HistogramScale = 'exponential';
  const holder = h('div', { class: 'histogram-chart-holder' }, chart(buckets, scale));
  const toggle = (s: HistogramScale, label: string): HTMLButtonElement =>
    h(
      'button',
      {
        type: 'button',
        class: `btn histogram-scale${s === scale ? ' active' : ''}`,
        'data-scale': s,
        'aria-pressed': s === scale ? 'true' : 'false',
        onclick: (ev: Event) => {
          scale = s;
          for (const b of (ev.currentTarget as HTMLElement).parentElement!.querySelectorAll('.histogram-scale')) {
            const on = b.getAttribute('data-scale') === s;
            b.classList.toggle('active', on);
            b.setAttribute('aria-pressed', on ? 'true' : 'false');
          }
          holder.replaceChildren(chart(buckets, scale));
        },
      },
      label,
    );
  return h(
    'div',
    { class: 'histogram' },
    h('div', { class: 'histogram-summary' }, h('span', {}, 'Count: ', h('strong', { class: 'histogram-count' }, value.count)), ' ', h('span', {}, 'Sum: ', h('strong', { class: 'histogram-sum' }, value.sum))),
    buckets.length > 0 ? h('div', { class: 'histogram-scales', role: 'group', 'aria-label': 'x axis scale' }, 'Scale: ', toggle('exponential', 'Exponential'), toggle('linear', 'Linear')) : h('div', { class: 'muted' }, 'No observations in any bucket'),
    buckets.length > 0 ? holder : null,
    buckets.length > 0
      ? h(
          'details',
          { class: 'histogram-buckets' },
          h('summary', {}, `Buckets (${buckets.length})`),
          h('table', { class: 'data-table' }, ...buckets.map(([rule, lower, upper, count]) => h('tr', {}, h('td', {}, bucketRange(rule, lower, upper)), h('td', { class: 'value' }, count)))),
        )
      : null,
  );
}

/** The Graph view's notice for series that hold native histograms, which have no line to draw. */
export function histogramGraphNotice(series: number): HTMLElement | null {
  if (series === 0) return null;
  return h(
    'div',
    { class: 'alert info histogram-notice', role: 'status' },
    `${series} series ${series === 1 ? 'holds' : 'hold'} native histograms, which cannot be drawn as a line. ` + 'Graph a function of them instead, e.g. histogram_quantile(0.9, rate(<metric>[5m])), histogram_count(...) or histogram_sum(...), or view the samples in the Table.',
  );
}
