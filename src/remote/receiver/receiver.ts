// The remote-write receiver (`--web.enable-remote-write-receiver`, `POST /api/v1/write`):
// Remote-Write 1.0 (`prometheus.WriteRequest`) and 2.0 (`io.prometheus.write.v2.Request`) chosen by
// the Content-Type as the 2.0 specification says, snappy required, the body decoded, validated and
// appended in one native call (float samples, native histograms — integer, float and custom-bucket
// ones — and exemplars). Answers as Prometheus does: 204 when everything was written; 400
// with the reason for bad data and for refused samples (counted, the first one named); 415 for a
// content type or encoding we do not speak; 413 for a body whose declared decompressed size is
// above the limit (checked from the snappy header before decompressing). 2.0 answers carry the
// `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` headers.
import type { RemoteWriteOutcome } from '../../storage/storage.js';
import { parseMediaType, textResponse } from '../http-exchange.js';
import type { RemoteRequest, RemoteResponse } from '../http-exchange.js';
import { ReceivedMetadata } from './metadata.js';

export const PROTO_V1 = 'prometheus.WriteRequest';
export const PROTO_V2 = 'io.prometheus.write.v2.Request';

/** The largest decompressed request accepted: far above what a sender batches (Prometheus sends ~2,000 samples a request). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** What the receiver needs of the storage. */
export interface RemoteWriteStorage {
  remoteWrite(body: Uint8Array, version: 1 | 2, maxDecompressedBytes: number): Promise<RemoteWriteOutcome>;
}

export type Negotiated = { version: 1 | 2 } | { unsupported: string };

/** The protobuf message a request's Content-Type names (a missing header means 1.0, as Prometheus takes it). */
export function negotiate(contentType: string | undefined): Negotiated {
  if (contentType === undefined || contentType.trim() === '') return { version: 1 };
  const { type, params } = parseMediaType(contentType);
  if (type !== 'application/x-protobuf') return { unsupported: `unsupported content type ${JSON.stringify(contentType)}: expected application/x-protobuf` };
  const proto = params.get('proto');
  if (proto === undefined || proto === PROTO_V1) return { version: 1 };
  if (proto === PROTO_V2) return { version: 2 };
  return { unsupported: `unknown remote write proto message ${JSON.stringify(proto)}: expected ${PROTO_V1} or ${PROTO_V2}` };
}

function writtenHeaders(version: 1 | 2, o: Pick<RemoteWriteOutcome, 'samplesWritten' | 'histogramsWritten' | 'exemplarsWritten'> | undefined): Record<string, string> {
  if (version !== 2) return {};
  return {
    'X-Prometheus-Remote-Write-Samples-Written': String(o?.samplesWritten ?? 0),
    'X-Prometheus-Remote-Write-Histograms-Written': String(o?.histogramsWritten ?? 0),
    'X-Prometheus-Remote-Write-Exemplars-Written': String(o?.exemplarsWritten ?? 0),
  };
}

/** Why a partially written request is answered 400, with counts per reason and the first offender. */
export function refusalMessage(o: RemoteWriteOutcome): string | undefined {
  const parts: string[] = [];
  const refused = o.outOfOrder + o.duplicate + o.tooOld + o.outOfBounds;
  if (refused > 0) {
    const reasons = [
      ['out of order', o.outOfOrder],
      ['duplicate timestamp with a different value', o.duplicate],
      ['too old for the head', o.tooOld],
      ['out of bounds (too far in the future)', o.outOfBounds],
    ]
      .filter(([, n]) => (n as number) > 0)
      .map(([what, n]) => `${n as number} ${what as string}`);
    parts.push(`${refused} of ${refused + o.samplesWritten + o.histogramsWritten} samples not written (${reasons.join(', ')}); first: ${o.firstOffender ?? 'unknown'}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export interface ReceiverOptions {
  maxDecompressedBytes?: number;
}

export class RemoteWriteReceiver {
  readonly metadata = new ReceivedMetadata();
  private readonly maxDecompressed: number;

  constructor(
    private readonly storage: RemoteWriteStorage,
    options: ReceiverOptions = {},
  ) {
    this.maxDecompressed = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  }

  async write(req: RemoteRequest): Promise<RemoteResponse> {
    const negotiated = negotiate(req.contentType);
    if ('unsupported' in negotiated) return textResponse(415, negotiated.unsupported);
    const { version } = negotiated;
    const encoding = (req.contentEncoding ?? '').trim().toLowerCase();
    if (encoding !== 'snappy') return textResponse(415, `unsupported Content-Encoding ${JSON.stringify(req.contentEncoding ?? '')}: remote write bodies must be snappy-compressed (Content-Encoding: snappy)`, writtenHeaders(version, undefined));
    let outcome: RemoteWriteOutcome;
    try {
      outcome = await this.storage.remoteWrite(req.body, version, this.maxDecompressed);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const message = (e as Error).message;
      if (code === 'ERR_REMOTE_BAD_DATA') return textResponse(400, message, writtenHeaders(version, undefined));
      if (code === 'ERR_REMOTE_TOO_LARGE') return textResponse(413, message, writtenHeaders(version, undefined));
      throw e;
    }
    this.metadata.record(outcome.metadata);
    const headers = writtenHeaders(version, outcome);
    const refused = refusalMessage(outcome);
    if (refused !== undefined) return textResponse(400, refused, headers);
    return { status: 204, headers, body: '' };
  }
}
