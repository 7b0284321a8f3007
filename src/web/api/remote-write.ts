// /api/v1/status/remote-write: each remote_write queue with its shards, backlog, savepoint and
// counts, for the Status page and for operators (Prometheus shows these only as metrics).
import type { FastifyInstance } from 'fastify';
import type { QueueStatus } from '../../remote/index.js';
import { success } from './envelope.js';
import { noParams } from './schemas.js';

const position = { type: 'object', required: ['segment', 'offset', 'skip'], properties: { segment: { type: 'integer' }, offset: { type: 'integer' }, skip: { type: 'integer' } } } as const;

/** The response's JSON schema (fastify serializes with it, so the shape is checked). */
export const REMOTE_WRITE_STATUS_SCHEMA = {
  200: {
    type: 'object',
    required: ['status', 'data'],
    properties: {
      status: { type: 'string' },
      data: {
        type: 'object',
        required: ['queues'],
        properties: {
          queues: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'url', 'protocol', 'shards', 'desiredShards', 'minShards', 'maxShards', 'samplesPending', 'savepoint', 'highestSentTimestampSeconds', 'samplesSent', 'samplesFailed', 'samplesRetried', 'lastError'],
              properties: {
                name: { type: 'string' },
                url: { type: 'string' },
                protocol: { type: 'string' },
                shards: { type: 'integer' },
                desiredShards: { type: 'integer' },
                minShards: { type: 'integer' },
                maxShards: { type: 'integer' },
                samplesPending: { type: 'integer' },
                savepoint: position,
                highestSentTimestampSeconds: { type: 'number' },
                samplesSent: { type: 'integer' },
                samplesFailed: { type: 'integer' },
                samplesRetried: { type: 'integer' },
                lastError: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;

export function remoteWriteStatusApi(queues: () => QueueStatus[]): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get('/api/v1/status/remote-write', { schema: { ...noParams, response: REMOTE_WRITE_STATUS_SCHEMA } }, async () => success({ queues: queues() }));
  };
}
