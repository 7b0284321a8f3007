// The Graph view: uPlot draws the range-query result with a readable time axis, a legend with the
// series' labels, a tooltip with the hovered series and value, and an optional stacked mode.
import uPlot from 'uplot';
import { h, seriesName } from './dom.js';

export interface GraphSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export interface GraphOptions {
  start: number;
  end: number;
  step: number;
  stacked: boolean;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

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
  const tooltip = h('div', { class: 'graph-tooltip', hidden: true });
  const legend = h('div', { class: 'graph-legend' });
  const container = h('div', { class: 'graph' });
  el.append(h('div', { class: 'graph-wrap' }, container, tooltip), legend);

  const width = Math.max(el.clientWidth - 20, 400);
  // With many points, dimming the other series on hover means redrawing all of them at every mouse
  // move, and one cursor point per series is one DOM update each: both are left out so hovering
  // stays quick (the tooltip still names the nearest series).
  const big = series.length * xs.length > 200_000;
  const plot = new uPlot(
    {
      width,
      height: 360,
      legend: { show: false },
      cursor: { focus: { prox: big ? -1 : 30 }, points: { show: !big } },
      focus: { alpha: big ? 1 : 0.3 },
      scales: { x: { time: true } },
      axes: [{ stroke: 'var(--fg)', grid: { stroke: 'var(--grid)' } }, { stroke: 'var(--fg)', grid: { stroke: 'var(--grid)' }, size: 70 }],
      series: [{}, ...series.map((s, i) => ({ label: seriesName(s.labels), stroke: PALETTE[i % PALETTE.length], width: 1.5, fill: o.stacked ? `${PALETTE[i % PALETTE.length]}33` : undefined, spanGaps: false }))],
      hooks: {
        setCursor: [
          (u: uPlot) => {
            const idx = u.cursor.idx;
            const sIdx = focusedSeries(u);
            if (idx === null || idx === undefined || sIdx === null) {
              tooltip.hidden = true;
              return;
            }
            const s = series[sIdx - 1]!;
            const value = raw[sIdx - 1]![idx];
            tooltip.hidden = false;
            tooltip.replaceChildren(h('div', { class: 'muted' }, new Date(xs[idx]! * 1000).toISOString()), h('div', {}, seriesName(s.labels)), h('div', { class: 'value' }, `value: ${value === null || value === undefined ? '-' : value}`));
            tooltip.style.left = `${(u.cursor.left ?? 0) + 60}px`;
            tooltip.style.top = `${(u.cursor.top ?? 0) + 10}px`;
          },
        ],
      },
    },
    [xs, ...ys] as uPlot.AlignedData,
    container,
  );
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
