// Series texts as the text parser reads them back (`name{a="b"}`, or the quoted-name form), and
// Go's float spelling of le and quantile values: shared by the protobuf parser and the scrape
// cache's converted histograms, without loading the protobuf decoder.
import { LEGACY_LABEL_NAME, LEGACY_METRIC_NAME, type Labels } from '../model/labels.js';

const NEEDS_ESCAPE = /[\\"\n]/;

/** `"…"` with the text format's escapes. */
export function quote(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return `"${v}"`;
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `name{labels,extra}`, or the quoted-name form when the name is not a legacy one. */
export function seriesText(name: string, labels: string, extra: string, legacyName: boolean): string {
  const inner = labels === '' ? extra : extra === '' ? labels : `${labels},${extra}`;
  if (legacyName) return inner === '' ? name : `${name}{${inner}}`;
  return `{${quote(name)}${inner === '' ? '' : ','}${inner}}`;
}

/**
 * Go's FormatFloat(f, 'g', -1, 64) with `.0` added to integral values: how Prometheus spells le and
 * quantile values it formats itself (OpenMetrics's canonical form).
 */
export function formatOpenMetricsFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (Object.is(f, -0)) return '-0.0';
  const [mant, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  let s: string;
  // 'g' with the shortest digits switches to an exponent below 1e-4 and from 1e6 on.
  if (exp < -4 || exp >= 6) {
    s = `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else {
    s = String(f);
  }
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/** A series text for a label set (metric name included), in the form the text parser reads back. */
export function seriesTextOfLabels(labels: Labels): string {
  const name = labels['__name__'] ?? '';
  const inner = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .map((k) => `${LEGACY_LABEL_NAME.test(k) ? k : quote(k)}=${quote(labels[k]!)}`)
    .join(',');
  return seriesText(name, inner, '', LEGACY_METRIC_NAME.test(name));
}
