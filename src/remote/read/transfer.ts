// The remote series of one query, packed to cross to a query worker: the samples of every answer
// in one ArrayBuffer (transferred, not copied) in the CSR form the merge reads (offsets into one
// timestamp and one value array), the label sets and selection keys in one JSON string. The worker
// unpacks them as views of that buffer and merges them with its local selections there.
import { newLabels, type Labels } from '../../model/labels.js';
import type { Queryable } from '../../promql/context.js';
import type { SeriesData } from './client.js';
import { MergedQueryable } from './merge.js';

export interface PackedRemoteSeries {
  /**
   * JSON of `PackedIndex`: for each selection its key and, per answer, its series and sample
   * counts; the label sets as flat [name, value, name, value, ...] lists (so no label name becomes
   * an object key before it reaches a prototype-less set); the failed remotes' warnings.
   */
  index: string;
  /**
   * All timestamps (float64), then all values (float64), then each answer's offsets (uint32,
   * series + 1 of them, from 0), answers in the index's order. Float64 copies keep a stale
   * marker's NaN payload bit for bit.
   */
  buffer: ArrayBuffer;
}

interface PackedIndex {
  selections: [key: string, answers: [series: number, samples: number][]][];
  labels: string[][];
  warnings: string[];
}

/** An answer's samples: those its offsets span (all of its arrays, for a decoded answer). */
function sampleCount(a: SeriesData): number {
  const o = a.samples.offsets;
  return o.length > 1 ? o[a.labels.length]! - o[0]! : 0;
}

/** One buffer and one string for the remote series `merged` holds. */
export function packRemoteSeries(merged: MergedQueryable): PackedRemoteSeries {
  const index: PackedIndex = { selections: [], labels: [], warnings: [...merged.warnings] };
  const answers: SeriesData[] = [];
  let samples = 0;
  let offsetWords = 0;
  for (const [key, list] of merged.remote) {
    index.selections.push([key, list.map((a) => [a.labels.length, sampleCount(a)])]);
    for (const a of list) {
      answers.push(a);
      samples += sampleCount(a);
      offsetWords += a.labels.length + 1;
      for (const l of a.labels) index.labels.push(Object.entries(l).flat());
    }
  }
  const buffer = new ArrayBuffer(samples * 16 + offsetWords * 4);
  const t = new Float64Array(buffer, 0, samples);
  const v = new Float64Array(buffer, samples * 8, samples);
  const offsets = new Uint32Array(buffer, samples * 16, offsetWords);
  let at = 0;
  let word = 0;
  for (const a of answers) {
    const base = a.samples.offsets[0] ?? 0;
    const n = sampleCount(a);
    t.set(a.samples.t.subarray(base, base + n), at);
    v.set(a.samples.v.subarray(base, base + n), at);
    // Offsets from 0 for each answer (a decoded answer's may start elsewhere in a shared array).
    for (let i = 1; i <= a.labels.length; i++) offsets[word + i] = a.samples.offsets[i]! - base;
    at += n;
    word += a.labels.length + 1;
  }
  return { index: JSON.stringify(index), buffer };
}

function labelsOf(flat: unknown): Labels {
  if (!Array.isArray(flat) || flat.length % 2 !== 0) throw new Error('packed remote series: a label set is not a list of name/value pairs');
  const labels = newLabels();
  for (let i = 0; i < flat.length; i += 2) labels[String(flat[i])] = String(flat[i + 1]);
  return labels;
}

/** `local` merged with the packed remote series (views of the packed buffer, nothing copied). */
export function unpackRemoteSeries(local: Queryable, packed: PackedRemoteSeries): MergedQueryable {
  const index = JSON.parse(packed.index) as PackedIndex;
  const remote = new Map<string, SeriesData[]>();
  const total = index.selections.reduce((n, [, list]) => n + list.reduce((m, [, samples]) => m + samples, 0), 0);
  const words = index.selections.reduce((n, [, list]) => n + list.reduce((m, [series]) => m + series + 1, 0), 0);
  if (packed.buffer.byteLength !== total * 16 + words * 4 || index.labels.length !== words - index.selections.reduce((n, [, list]) => n + list.length, 0)) {
    throw new Error('packed remote series: the buffer does not match its index');
  }
  let at = 0;
  let word = 0;
  let series = 0;
  for (const [key, list] of index.selections) {
    remote.set(
      key,
      list.map(([n, samples]) => {
        const data: SeriesData = {
          labels: index.labels.slice(series, series + n).map(labelsOf),
          samples: { offsets: new Uint32Array(packed.buffer, total * 16 + word * 4, n + 1), t: new Float64Array(packed.buffer, at * 8, samples), v: new Float64Array(packed.buffer, total * 8 + at * 8, samples) },
        };
        at += samples;
        word += n + 1;
        series += n;
        return data;
      }),
    );
  }
  return new MergedQueryable(local, remote, index.warnings);
}
