// Series texts to storage refs for the scrape loop's ingest paths: the scraped labels, the
// target's labels (honor_labels decides conflicts, the loser becomes `exported_*`),
// metric_relabel_configs, the name validation scheme and the label limits, which fail the scrape.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DROPPED_REF } from './cache.js';
import type { Labels } from '../model/labels.js';
import { copyLabels, formatLabels, LEGACY_LABEL_NAME, LEGACY_METRIC_NAME } from '../model/labels.js';
import { ScrapeFailure, type ExpositionCodec, type ScrapeOptions, type ScrapeStorage } from './ingest.js';

/** Whether every name fits Prometheus's legacy (pre-UTF-8) character sets. */
function legacyNames(labels: Labels): boolean {
  for (const k of Object.keys(labels)) {
    if (k === '__name__' ? !LEGACY_METRIC_NAME.test(labels[k]!) : !LEGACY_LABEL_NAME.test(k)) return false;
  }
  return true;
}

/**
 * New series labeled between two turns of the event loop. A large target's first scrape makes
 * every series new: labeling and relabeling them costs ~15 us each on the main thread, and
 * creating them waited for the head's write lock there too: 100k series held the HTTP API for
 * 2.5 s in one block (measured: `up` answered in 2-6 s while ten such targets were first
 * scraped). A slice is ~8 ms of labeling (~7 us a series, measured on a 100k-series first
 * scrape): an HTTP request needs several turns of the loop to be answered, each one waiting for
 * the slice in progress. The series are then created on the thread pool.
 */
export const RESOLVE_SLICE = 1024;

/** Series texts on their way to refs: each distinct text labeled once. */
interface Labeling {
  readonly slotOf: Map<string, number>;
  readonly labelSets: Labels[];
  /** Per text, its label set's index (-1: dropped by relabeling). */
  readonly slots: Int32Array;
}

export class SeriesResolver {
  private readonly targetEntries: ReadonlyArray<readonly [string, string]>;

  constructor(
    /** Final target labels (job, instance, ...), attached to every scraped series. */
    targetLabels: Labels,
    private readonly options: ScrapeOptions,
    private readonly codec: ExpositionCodec,
    private readonly storage: ScrapeStorage,
  ) {
    this.targetEntries = Object.entries(targetLabels);
  }

  /** Refs for series texts (labels, target labels, metric relabeling; DROPPED_REF when dropped), in one storage call. */
  resolve(texts: readonly string[]): Uint32Array {
    const labeling = this.labeling(texts.length);
    this.label(texts, 0, texts.length, labeling);
    return this.refsOf(labeling, this.storage.seriesRefs(labeling.labelSets));
  }

  /**
   * `resolve` that keeps the event loop turning: texts are labeled a slice at a time, and the
   * series are created on the thread pool when the storage can. A limit broken in any slice fails
   * the scrape before a series is created, as `resolve` does.
   */
  async resolveInSlices(texts: readonly string[], slice = RESOLVE_SLICE): Promise<Uint32Array> {
    const labeling = this.labeling(texts.length);
    for (let from = 0; from < texts.length; from += slice) {
      if (from > 0) await nextTurn();
      this.label(texts, from, Math.min(texts.length, from + slice), labeling);
    }
    const storage = this.storage;
    const created = storage.seriesRefsAsync !== undefined ? await storage.seriesRefsAsync(labeling.labelSets) : storage.seriesRefs(labeling.labelSets);
    return this.refsOf(labeling, created);
  }

  private labeling(n: number): Labeling {
    return { slotOf: new Map(), labelSets: [], slots: new Int32Array(n).fill(-1) };
  }

  private label(texts: readonly string[], from: number, to: number, l: Labeling): void {
    for (let i = from; i < to; i++) {
      const text = texts[i]!;
      let slot = l.slotOf.get(text);
      if (slot === undefined) {
        const labels = this.seriesLabels(text);
        slot = labels === null ? -1 : l.labelSets.push(labels) - 1;
        l.slotOf.set(text, slot);
      }
      l.slots[i] = slot;
    }
  }

  private refsOf(l: Labeling, created: Uint32Array): Uint32Array {
    const refs = new Uint32Array(l.slots.length).fill(DROPPED_REF);
    l.slots.forEach((slot, i) => {
      if (slot >= 0) refs[i] = created[slot]!;
    });
    return refs;
  }

  /** Final labels of a scraped series, or null when metric relabeling drops it. */
  private seriesLabels(seriesText: string): Labels | null {
    const o = this.options;
    const scraped = this.codec.seriesLabels(seriesText);
    const out = copyLabels(scraped); // scraped names are the target's: no prototype to collide with
    for (const [k, v] of this.targetEntries) {
      if (o.honorLabels) {
        if (out[k] === undefined || out[k] === '') out[k] = v;
      } else {
        const existing = out[k];
        if (existing !== undefined && existing !== '') {
          // The scraped label loses its name: exported_<name>, prefixed again while that is taken.
          let name = `exported_${k}`;
          while (out[name] !== undefined && out[name] !== '') name = `exported_${name}`;
          out[name] = existing;
        }
        out[k] = v;
      }
    }
    for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
    const relabeled = o.metricRelabel !== undefined ? o.metricRelabel(out) : out;
    if (relabeled === null) return null;
    if (o.legacyNameValidation === true && !legacyNames(relabeled)) throw new ScrapeFailure(`invalid metric name or label names: ${formatLabels(relabeled)}`);
    this.checkLabelLimits(relabeled);
    return relabeled;
  }

  private checkLabelLimits(labels: Labels): void {
    const o = this.options;
    if (!(o.labelLimit > 0 || o.labelNameLengthLimit > 0 || o.labelValueLengthLimit > 0)) return;
    const entries = Object.entries(labels);
    // Names and values are cut to 50 characters in these messages, as Prometheus's %.50s and
    // %.50q cut them: a huge label value must not be copied whole into every target's lastError.
    const metric = cut50(labels.__name__ ?? '');
    if (o.labelLimit > 0 && entries.length > o.labelLimit) {
      throw new ScrapeFailure(`label_limit exceeded (metric: ${metric}, number of labels: ${entries.length}, limit: ${o.labelLimit})`);
    }
    for (const [k, v] of entries) {
      if (o.labelNameLengthLimit > 0 && k.length > o.labelNameLengthLimit) {
        throw new ScrapeFailure(`label_name_length_limit exceeded (metric: ${metric}, label name: ${cut50(k)}, length: ${k.length}, limit: ${o.labelNameLengthLimit})`);
      }
      if (o.labelValueLengthLimit > 0 && v.length > o.labelValueLengthLimit) {
        throw new ScrapeFailure(`label_value_length_limit exceeded (metric: ${metric}, label name: ${cut50(k)}, value: ${JSON.stringify(cut50(v))}, length: ${v.length}, limit: ${o.labelValueLengthLimit})`);
      }
    }
  }
}

/** The first 50 characters (code points) of a text: Go's `%.50s` precision. */
function cut50(s: string): string {
  if (s.length <= 50) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ === 50) break;
    out += ch;
  }
  return out;
}
