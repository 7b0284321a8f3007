// The Graph view: uPlot draws the range-query result. Axis labels are short SI values sized to
// fit, times are 24-hour UTC (as the End field), colours come from the theme resolved to real
// colours (a canvas cannot use CSS variables) and follow a theme switch. Dragging selects a new
// range (the panel re-queries it: Range, End and the URL follow), double-click goes back to the
// range before the first zoom. Exemplars are drawn as diamonds with their labels on hover.
import uPlot from 'uplot';
import { h, seriesName } from './dom.js';
import { formatSITicks, formatUtcTime } from './format.js';

export interface GraphSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export interface Exemplar {
  seriesLabels: Record<string, string>;
  labels: Record<string, string>;
  value: number;
  /** Seconds. */
  timestamp: number;
}

export interface GraphOptions {
  start: number;
  end: number;
  step: number;
  stacked: boolean;
  exemplars?: Exemplar[];
  /** A drag selected [start, end] (seconds). */
  onZoom?: (start: number, end: number) => void;
  /** A double-click on the plot. */
  onResetZoom?: () => void;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const AXIS_FONT_PX = 12;
const AXIS_FONT = `${AXIS_FONT_PX}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif`;
const TICK_SIZE = 6;
const LABEL_GAP = 5;
const EXEMPLAR_RADIUS = 5;

export interface ThemeColors {
  axis: string;
  grid: string;
  background: string;
  exemplar: string;
}

/** The theme's colours as the canvas needs them: computed values, not `var(--x)`. */
export function themeColors(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const get = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return { axis: get('--fg', '#1d2330'), grid: get('--grid-strong', '#d9dde5'), background: get('--panel', '#ffffff'), exemplar: get('--fg', '#1d2330') };
}

let measureCtx: CanvasRenderingContext2D | null = null;
function textWidth(text: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * AXIS_FONT_PX * 0.6;
  measureCtx.font = AXIS_FONT;
  return Math.max(...text.split('\n').map((line) => measureCtx!.measureText(line).width));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Time tick labels, 24-hour UTC; the date on a second line where the day changes (and at the first tick). */
export function timeTickLabels(splits: number[], incrSeconds: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const day = formatUtcTime(s * 1000).slice(0, 10);
    const newDay = day !== lastDay;
    lastDay = day;
    if (incrSeconds >= 86_400) return day;
    const time = incrSeconds >= 60 ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` : `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    return newDay ? `${time}\n${day}` : time;
  });
}

/** Where the drawn tick labels are, in CSS pixels of the graph (for tests and for checking overlap). */
interface LabelBox {
  text: string;
  left: number;
  right: number;
}

export function drawGraph(el: HTMLElement, series: GraphSeries[], o: GraphOptions): void {
  if (series.length === 0) {
    el.append(h('div', { class: 'muted empty' }, 'Empty query result'));
    return;
  }
  // One x axis for all series: the query's steps; a missing point is a gap.
  const xs: number[] = [];
  for (let t = o.start; t <= o.end + 1e-9; t += o.step) xs.push(Math.round(t * 1000) / 1000);
  const index = new Map(xs.map((t, i) => [t, i]));
  const raw = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (const [t, v] of s.points) {
      const i = index.get(Math.round(t * 1000) / 1000);
      if (i !== undefined) col[i] = Number.isFinite(v) ? v : null;
    }
    return col;
  });
  const ys = o.stacked ? raw.map((c) => [...c]) : raw;
  if (o.stacked) {
    for (let s = 1; s < ys.length; s++) for (let i = 0; i < xs.length; i++) if (ys[s]![i] !== null) ys[s]![i] = ys[s]![i]! + (ys[s - 1]![i] ?? 0);
  }
  const exemplars = o.exemplars ?? [];
  const tooltip = h('div', { class: 'graph-tooltip', hidden: true, role: 'status' });
  const legend = h('div', { class: 'graph-legend' });
  const container = h('div', { class: 'graph', role: 'img', 'aria-label': `Graph of ${series.length} series${exemplars.length > 0 ? ` and ${exemplars.length} exemplars` : ''}; drag to zoom, double-click to reset` });
  el.append(h('div', { class: 'graph-wrap' }, container, tooltip), legend);

  let colors = themeColors();
  const width = Math.max(el.clientWidth - 20, 400);
  // With many points, dimming the other series on hover means redrawing all of them at every mouse
  // move, and one cursor point per series is one DOM update each: both are left out so hovering
  // stays quick (the tooltip still names the nearest series).
  const big = series.length * xs.length > 200_000;
  let yLabels: string[] = [];
  let xLabels: string[] = [];
  let xSplits: number[] = [];
  let hoveredExemplar: Exemplar | undefined;

  const plot = new uPlot(
    {
      width,
      height: 360,
      legend: { show: false },
      cursor: { focus: { prox: big ? -1 : 30 }, points: { show: !big }, drag: { x: true, y: false, setScale: false } },
      focus: { alpha: big ? 1 : 0.3 },
      // Exemplars are drawn at their own value: the y range covers them too. A stacked graph
      // starts at 0, so the bands' areas compare.
      scales: {
        x: { time: true },
        y:
          exemplars.length === 0 && !o.stacked
            ? {}
            : {
                range: (_u: uPlot, min: number, max: number) => {
                  const values = exemplars.map((e) => e.value);
                  const lo = Math.min(min ?? 0, ...values, ...(o.stacked ? [0] : []));
                  const hi = Math.max(max ?? 0, ...values, ...(o.stacked ? [0] : []));
                  const [from, to] = uPlot.rangeNum(lo, hi, 0.1, true);
                  return [o.stacked && lo >= 0 ? 0 : from, to];
                },
              },
      },
      tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      axes: [
        {
          stroke: () => colors.axis,
          font: AXIS_FONT,
          grid: { stroke: () => colors.grid, width: 1 },
          ticks: { stroke: () => colors.grid, size: TICK_SIZE },
          gap: LABEL_GAP,
          // Room for `00:00:00` with a clear gap to the next: labels never touch.
          space: () => textWidth('00:00:00') + 28,
          size: () => AXIS_FONT_PX * 2 + TICK_SIZE + LABEL_GAP + 10,
          values: (_u: uPlot, splits: number[], _axis: number, _space: number, incr: number) => {
            xSplits = splits;
            xLabels = timeTickLabels(splits, incr);
            return xLabels;
          },
        },
        {
          stroke: () => colors.axis,
          font: AXIS_FONT,
          grid: { stroke: () => colors.grid, width: 1 },
          ticks: { stroke: () => colors.grid, size: TICK_SIZE },
          gap: LABEL_GAP,
          values: (_u: uPlot, splits: number[]) => (yLabels = formatSITicks(splits)),
          // As wide as the widest label needs, so none is cut off on the left.
          size: (_u: uPlot, values: string[] | null) => Math.ceil(Math.max(textWidth('0'), ...(values ?? []).map(textWidth))) + TICK_SIZE + LABEL_GAP + 8,
        },
      ],
      series: [{}, ...series.map((s, i) => ({ label: seriesName(s.labels), stroke: PALETTE[i % PALETTE.length], width: 1.5, fill: o.stacked ? `${PALETTE[i % PALETTE.length]}33` : undefined, spanGaps: false }))],
      hooks: {
        draw: [
          (u: uPlot) => {
            drawExemplars(u, exemplars, colors);
            recordLabelBoxes(u);
          },
        ],
        setSelect: [
          (u: uPlot) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            o.onZoom?.(from, to);
          },
        ],
        setCursor: [
          (u: uPlot) => {
            const idx = u.cursor.idx;
            hoveredExemplar = nearestExemplar(u, exemplars);
            if (hoveredExemplar) {
              showTooltip(u, [h('div', { class: 'muted' }, `Exemplar · ${formatUtcTime(hoveredExemplar.timestamp * 1000)}`), h('div', {}, seriesName(hoveredExemplar.seriesLabels)), h('div', { class: 'exemplar-labels' }, Object.keys(hoveredExemplar.labels).sort().map((k) => h('div', {}, `${k}: ${hoveredExemplar!.labels[k]}`))), h('div', { class: 'value' }, `value: ${hoveredExemplar.value}`)]);
              return;
            }
            const sIdx = focusedSeries(u);
            if (idx === null || idx === undefined || sIdx === null) {
              tooltip.hidden = true;
              return;
            }
            const s = series[sIdx - 1]!;
            const value = raw[sIdx - 1]![idx];
            showTooltip(u, [h('div', { class: 'muted' }, `${formatUtcTime(xs[idx]! * 1000)} UTC`), h('div', {}, seriesName(s.labels)), h('div', { class: 'value' }, `value: ${value === null || value === undefined ? '-' : value}`)]);
          },
        ],
      },
    },
    [xs, ...ys] as uPlot.AlignedData,
    container,
  );

  function showTooltip(u: uPlot, children: HTMLElement[]): void {
    tooltip.hidden = false;
    tooltip.replaceChildren(...children);
    // Right of the cursor, or left of it when it would run past the graph's right edge.
    const x = (u.cursor.left ?? 0) + u.bbox.left / uPlot.pxRatio;
    const right = x + 12 + tooltip.offsetWidth <= container.clientWidth;
    tooltip.style.left = `${right ? x + 12 : Math.max(x - 12 - tooltip.offsetWidth, 0)}px`;
    tooltip.style.top = `${(u.cursor.top ?? 0) + 10}px`;
  }

  /** The drawn tick labels' boxes, as data attributes: what a test checks for overlap and clipping. */
  function recordLabelBoxes(u: uPlot): void {
    const plotLeft = u.bbox.left / uPlot.pxRatio;
    const yBoxes: LabelBox[] = yLabels.map((text) => {
      const right = plotLeft - TICK_SIZE - LABEL_GAP;
      return { text, left: right - textWidth(text), right };
    });
    const xBoxes: LabelBox[] = xSplits.map((v, i) => {
      const text = xLabels[i] ?? '';
      const center = u.valToPos(v, 'x') + plotLeft;
      const w = textWidth(text);
      return { text, left: center - w / 2, right: center + w / 2 };
    });
    container.dataset['yLabels'] = JSON.stringify(yBoxes);
    container.dataset['xLabels'] = JSON.stringify(xBoxes.filter((b) => b.left >= 0 && b.right <= u.width));
    container.dataset['exemplarPoints'] = JSON.stringify(exemplars.map((e) => ({ x: u.valToPos(e.timestamp, 'x') + plotLeft, y: u.valToPos(e.value, 'y') + u.bbox.top / uPlot.pxRatio })));
    container.dataset['axisColor'] = colors.axis;
    container.dataset['axisBackground'] = colors.background;
  }

  plot.over.addEventListener('dblclick', () => o.onResetZoom?.());
  const onTheme = (): void => {
    colors = themeColors();
    plot.redraw(false, true);
  };
  document.addEventListener('promethium:theme', onTheme);
  // The panel replaces its result on every run: stop listening once the graph is gone.
  new MutationObserver((_m, obs) => {
    if (!container.isConnected) {
      document.removeEventListener('promethium:theme', onTheme);
      obs.disconnect();
    }
  }).observe(el, { childList: true });

  series.forEach((s, i) => {
    legend.append(
      h(
        'div',
        {
          class: 'legend-item',
          onclick: () => plot.setSeries(i + 1, { show: !plot.series[i + 1]!.show }),
        },
        h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }),
        seriesName(s.labels),
      ),
    );
  });
  if (exemplars.length > 0) legend.append(h('div', { class: 'muted exemplar-note' }, `◆ ${exemplars.length} exemplar${exemplars.length === 1 ? '' : 's'} (hover for labels)`));
}


function drawExemplars(u: uPlot, exemplars: Exemplar[], colors: ThemeColors): void {
  if (exemplars.length === 0) return;
  const ctx = u.ctx;
  const r = EXEMPLAR_RADIUS * uPlot.pxRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  ctx.fillStyle = colors.exemplar;
  ctx.strokeStyle = colors.background;
  ctx.lineWidth = uPlot.pxRatio;
  for (const e of exemplars) {
    const x = u.valToPos(e.timestamp, 'x', true);
    const y = u.valToPos(e.value, 'y', true);
    ctx.beginPath();
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r);
    ctx.lineTo(x - r, y);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

/** The exemplar under the cursor (within its drawn size), if any. */
function nearestExemplar(u: uPlot, exemplars: Exemplar[]): Exemplar | undefined {
  const left = u.cursor.left;
  const top = u.cursor.top;
  if (left === undefined || top === undefined || left < 0) return undefined;
  let best: Exemplar | undefined;
  let bestDist = (EXEMPLAR_RADIUS + 3) ** 2;
  for (const e of exemplars) {
    const dx = u.valToPos(e.timestamp, 'x') - left;
    const dy = u.valToPos(e.value, 'y') - top;
    const d = dx * dx + dy * dy;
    if (d <= bestDist) {
      bestDist = d;
      best = e;
    }
  }
  return best;
}

/** The series nearest the cursor (uPlot's focus), or the first with a value at the cursor. */
function focusedSeries(u: uPlot): number | null {
  const idx = u.cursor.idx;
  if (idx === null || idx === undefined) return null;
  const top = u.cursor.top ?? 0;
  let best: number | null = null;
  let bestDist = Infinity;
  for (let s = 1; s < u.series.length; s++) {
    const v = (u.data[s] as (number | null)[])[idx];
    if (v === null || v === undefined || u.series[s]!.show === false) continue;
    const d = Math.abs(u.valToPos(v, 'y') - top);
    if (d < bestDist) {
      bestDist = d;
      best = s;
    }
  }
  return best;
}
