// Wires `/api/v1/write` (with --web.enable-remote-write-receiver) and `/api/v1/read` to the storage.
import type { Storage } from '../storage/index.js';
import type { RemoteWriteReceiver } from '../remote/receiver/receiver.js';
import { RemoteReadServer } from '../remote/read/server.js';
import type { RemoteEndpointService } from '../web/services.js';
import type { ServerMetrics } from './metrics.js';

export interface RemoteEndpointFlags {
  receiver: boolean;
  /** Agent mode: no local querying, so no remote read. */
  agent: boolean;
  readSampleLimit: number;
  readConcurrentLimit: number;
  readMaxBytesInFrame: number;
}

export function remoteEndpoints(storage: Storage, flags: RemoteEndpointFlags): (externalLabels: () => Record<string, string>, metrics: ServerMetrics) => RemoteEndpointService {
  return (externalLabels, metrics) => {
    // The receiver's module loads only with --web.enable-remote-write-receiver (its first request waits for it).
    let receiver: Promise<RemoteWriteReceiver> | undefined;
    const receive = (): Promise<RemoteWriteReceiver> => (receiver ??= import('../remote/receiver/receiver.js').then((m) => new m.RemoteWriteReceiver(storage)));
    const reader = flags.agent
      ? undefined
      : new RemoteReadServer(storage, { sampleLimit: flags.readSampleLimit, concurrentLimit: flags.readConcurrentLimit, maxBytesInFrame: flags.readMaxBytesInFrame, externalLabels, inFlight: metrics.remoteReadQueries });
    return { write: flags.receiver ? async (req) => (await receive()).write(req) : undefined, read: reader && ((req) => reader.read(req)) };
  };
}
