// Wires `/api/v1/write` (with --web.enable-remote-write-receiver) and `/api/v1/read` to the storage.
import type { Storage } from '../storage/index.js';
import { RemoteWriteReceiver } from '../remote/receiver/receiver.js';
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
    const receiver = flags.receiver ? new RemoteWriteReceiver(storage) : undefined;
    const reader = flags.agent
      ? undefined
      : new RemoteReadServer(storage, { sampleLimit: flags.readSampleLimit, concurrentLimit: flags.readConcurrentLimit, maxBytesInFrame: flags.readMaxBytesInFrame, externalLabels, inFlight: metrics.remoteReadQueries });
    return { write: receiver && ((req) => receiver.write(req)), read: reader && ((req) => reader.read(req)) };
  };
}
