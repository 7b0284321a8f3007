// Series texts to storage refs for the scrape loop's ingest paths: the scraped labels, the
// target's labels (honor_labels decides conflicts, the loser becomes `exported_*`),
// metric_relabel_configs, the name validation scheme and the label limits, which fail the scrape.
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

export class SeriesResolver {
  constructor(
    /** Final target labels (job, instance, ...), attached to every scraped series. */
    private readonly targetLabels: Labels,
    private readonly options: ScrapeOptions,
    private readonly codec: ExpositionCodec,
    private readonly storage: ScrapeStorage,
  ) {}

  /** Refs for series texts (labels, target labels, metric relabeling; DROPPED_REF when dropped), in one storage call. */
  resolve(texts: readonly string[]): Uint32Array {
    const refs = new Uint32Array(texts.length).fill(DROPPED_REF);
    const slotOf = new Map<string, number>();
    const labelSets: Labels[] = [];
    const slots = new Int32Array(texts.length).fill(-1);
    texts.forEach((text, i) => {
      let slot = slotOf.get(text);
      if (slot === undefined) {
        const labels = this.seriesLabels(text);
        slot = labels === null ? -1 : labelSets.push(labels) - 1;
        slotOf.set(text, slot);
      }
      slots[i] = slot;
    });
    const resolved = this.storage.seriesRefs(labelSets);
    slots.forEach((slot, i) => {
      if (slot >= 0) refs[i] = resolved[slot]!;
    });
    return refs;
  }

  /** Final labels of a scraped series, or null when metric relabeling drops it. */
  private seriesLabels(seriesText: string): Labels | null {
    const o = this.options;
    const scraped = this.codec.seriesLabels(seriesText);
    const out = copyLabels(scraped); // scraped names are the target's: no prototype to collide with
    for (const [k, v] of Object.entries(this.targetLabels)) {
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
