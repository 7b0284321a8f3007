// /federate: the latest sample of every series the `match[]` selectors select, in the text format,
// with the server's external labels, so another Prometheus can scrape this one. When the Accept
// header asks for the protobuf format, as a scraper of native histograms does, the answer is
// protobuf and carries histograms too; the text format cannot, so there they are left out.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { multi, requestParams } from './params.js';
import { escapeLabelValue, formatSampleValue } from '../../exposition/format.js';
import { copyLabels } from '../../model/labels.js';
import { queryParams } from './schemas.js';
import { PROTOBUF_MEDIA_TYPE } from '../../exposition/media-types.js';

const schema = queryParams(['match[]']);

export async function federateApi(app: FastifyInstance): Promise<void> {
  const { federation } = app.services;
  const handler = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const matches = multi(requestParams(req), 'match[]');
    if (matches.length === 0) return reply.code(400).type('text/plain; charset=utf-8').send('no match[] parameter provided\n');
    let samples;
    try {
      samples = federation.federate(matches, Date.now());
    } catch (e) {
      return reply.code(400).type('text/plain; charset=utf-8').send(`${(e as Error).message}\n`);
    }
    const external = federation.externalLabels();
    const rows = samples.map((s) => {
      const labels = copyLabels(s.labels);
      // External labels fill in; a series' own label of the same name wins, as in Prometheus.
      for (const [k, v] of Object.entries(external)) if (labels[k] === undefined || labels[k] === '') labels[k] = v;
      const name = labels['__name__'] ?? '';
      delete labels['__name__'];
      const keys = Object.keys(labels).sort();
      const pairs = keys.map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`);
      return { name, line: `${name}{${pairs.join(',')}} ${formatSampleValue(s.v)} ${s.t}`, labels: keys.map((k): [string, string] => [k, labels[k]!]), t: s.t, v: s.v, ...(s.h !== undefined ? { h: s.h } : {}) };
    });
    rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
    // The protobuf encoder (and protobufjs) loads with the first request that may ask for it.
    if (req.headers.accept?.toLowerCase().includes(PROTOBUF_MEDIA_TYPE) === true) {
      const pb = await import('./federate-protobuf.js');
      if (pb.acceptsProtobuf(req.headers.accept)) return reply.type(pb.FEDERATE_PROTOBUF_CONTENT_TYPE).send(Buffer.from(pb.encodeFederationProtobuf(rows)));
    }
    const out: string[] = [];
    let current: string | undefined;
    for (const r of rows) {
      if (r.h !== undefined) continue;
      if (r.name !== current) {
        out.push(`# TYPE ${r.name} untyped`);
        current = r.name;
      }
      out.push(r.line);
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(out.length > 0 ? out.join('\n') + '\n' : '');
  };
  app.get('/federate', { schema }, handler);
}
