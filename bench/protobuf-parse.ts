// Parse throughput of the protobuf exposition parser against the text parser on the same metrics:
// N counters with three labels and N/10 classic histograms of 10 buckets, encoded both ways, each
// body parsed repeatedly into a sink that only counts. Run: node --import tsx bench/protobuf-parse.ts
import { encodeMetricFamilies, type ProtoMetricFamily } from '../src/exposition/metrics-proto.js';
import { parseProtobufInto } from '../src/exposition/protobuf.js';
import { parseTextInto } from '../src/exposition/text.js';
import { formatOpenMetricsFloat } from '../src/exposition/series-text.js';

const COUNTERS = 20_000;
const HISTOGRAMS = 2_000;
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function families(): ProtoMetricFamily[] {
  const counters = Array.from({ length: COUNTERS }, (_, i) => ({ label: [{ name: 'instance', value: `host-${i % 100}` }, { name: 'path', value: `/api/v1/p${i}` }, { name: 'code', value: '200' }], counter: { value: i * 3 } }));
  const histograms = Array.from({ length: HISTOGRAMS }, (_, i) => ({ label: [{ name: 'path', value: `/api/v1/p${i}` }], histogram: { sampleCount: 100, sampleSum: 12.5, bucket: BOUNDS.map((b, j) => ({ upperBound: b, cumulativeCount: j * 10 })) } }));
  return [
    { name: 'http_requests_total', help: 'Requests.', type: 0, metric: counters },
    { name: 'http_request_seconds', help: 'Latency.', type: 4, metric: histograms },
  ];
}

function text(fams: ProtoMetricFamily[]): string {
  const lines: string[] = [];
  for (const f of fams) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type === 0 ? 'counter' : 'histogram'}`);
    for (const m of f.metric ?? []) {
      const l = (m.label ?? []).map((p) => `${p.name}="${p.value}"`).join(',');
      if (m.counter) lines.push(`${f.name}{${l}} ${m.counter.value}`);
      if (m.histogram) {
        lines.push(`${f.name}_count{${l}} 100`, `${f.name}_sum{${l}} 12.5`);
        for (const b of m.histogram.bucket ?? []) lines.push(`${f.name}_bucket{${l},le="${formatOpenMetricsFloat(b.upperBound!)}"} ${Number(b.cumulativeCount)}`);
        lines.push(`${f.name}_bucket{${l},le="+Inf"} 100`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

function measure(name: string, bytes: number, run: () => number): void {
  let samples = run(); // warm-up (JIT, the decoder's generated code)
  const rounds = 10;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) samples = run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9 / rounds;
  console.log(`${name}: ${samples} samples, ${(bytes / 1024).toFixed(0)} KiB, ${(seconds * 1000).toFixed(1)} ms/body, ${((samples / seconds) / 1e6).toFixed(2)} M samples/s`);
}

const fams = families();
const proto = encodeMetricFamilies(fams);
const body = text(fams);
measure('text', Buffer.byteLength(body), () => {
  let n = 0;
  parseTextInto(body, new Map(), {}, () => n++);
  return n;
});
measure('protobuf', proto.length, () => {
  let n = 0;
  parseProtobufInto(proto, new Map(), {}, () => n++, () => n++);
  return n;
});
import protobuf from 'protobufjs';
import { metricFamilyMessage } from '../src/exposition/metrics-proto.js';
measure('protobuf decode only', proto.length, () => {
  const r = protobuf.Reader.create(proto);
  let n = 0;
  while (r.pos < r.len) n += (metricFamilyMessage().decodeDelimited(r) as unknown as { metric: unknown[] }).metric.length;
  return n;
});
