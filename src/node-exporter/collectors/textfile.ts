// textfile: metrics that scripts and cron jobs write as *.prom files (the text format) into a
// directory. Each file is parsed on its own; a file that does not parse, or carries client-side
// timestamps, is skipped and sets node_textfile_scrape_error, the others still count.
import { statSync } from 'node:fs';
import { join } from 'node:path';
// The text parser itself, not exposition/index.js: that one also loads the OpenMetrics and protobuf
// parsers (protobufjs), ~1 MiB of heap the exporter never uses.
import { parseText, parseSeriesText } from '../../exposition/text.js';
import type { MetricMetadata } from '../../exposition/text.js';
import type { FamilySet, FamilyType } from '../metrics.js';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';
import { flag } from '../../util/flags.js';

const DIRECTORY = 'collector.textfile.directory';

interface FileMetrics {
  path: string;
  mtime: number;
  samples: { name: string; labels: Record<string, string>; value: number }[];
  metadata: Map<string, MetricMetadata>;
}

function readPromFile(path: string, text: string): FileMetrics {
  const metadata = new Map<string, MetricMetadata>();
  const samples: FileMetrics['samples'] = [];
  for (const s of parseText(text, metadata)) {
    if (s.timestamp !== undefined) throw new Error(`textfile ${JSON.stringify(path)} contains unsupported client-side timestamps, skipping entire file`);
    const all = parseSeriesText(s.series);
    const labels: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(all)) if (k !== '__name__') labels[k] = v;
    samples.push({ name: all['__name__']!, labels, value: s.value });
  }
  return { path, mtime: statSync(path).mtimeMs / 1000, samples, metadata };
}

/** The family a sample belongs to: histogram and summary series carry suffixes. */
function familyOf(name: string, metadata: Map<string, MetricMetadata>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = metadata.get(base)?.type;
      if (t === 'histogram' || t === 'summary') return base;
    }
  }
  return name;
}

function emit(out: FamilySet, f: FileMetrics): void {
  for (const s of f.samples) {
    const family = familyOf(s.name, f.metadata);
    const meta = f.metadata.get(family);
    const t = meta?.type;
    const type: FamilyType = t === 'counter' || t === 'gauge' || t === 'histogram' || t === 'summary' ? t : 'untyped';
    const help = meta?.help !== undefined && meta.help !== '' ? meta.help : `Metric read from ${f.path}`;
    out.add(family, help, type, s.value, s.labels, family === s.name ? undefined : s.name.slice(family.length));
  }
}

export const textfile: Collector = {
  name: 'textfile',
  enabledByDefault: true,
  flags: { [DIRECTORY]: flag.string('Directory to read text files with metrics from.', '') },
  async collect(h, out, o) {
    const dir = flagValue<string>(o, DIRECTORY);
    let error = 0;
    if (dir !== '') {
      for (const name of await h.list(dir)) {
        if (!name.endsWith('.prom')) continue;
        const path = join(dir, name);
        try {
          const f = readPromFile(path, await h.read(path));
          emit(out, f);
          out.add('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', 'gauge', f.mtime, { file: path });
        } catch (e) {
          error = 1;
          h.log?.('error', 'failed to read textfile collector file', { file: path, err: e as Error });
        }
      }
    }
    out.add('node_textfile_scrape_error', '1 if there was an error opening or reading a file, 0 otherwise', 'gauge', error);
  },
};
