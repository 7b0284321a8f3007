// /api/v1/status/*: build and runtime information, flags and the loaded configuration.
import type { FastifyInstance } from 'fastify';
import { success } from './envelope.js';
import { buildInfo } from '../../version.js';
import { noParams } from './schemas.js';

export async function statusApi(app: FastifyInstance): Promise<void> {
  const { status } = app.services;

  app.get('/api/v1/status/buildinfo', { schema: noParams }, async () => {
    const b = buildInfo();
    return success({ version: b.version, revision: b.revision, branch: b.branch, buildUser: b.buildUser, buildDate: b.buildDate, goVersion: b.goVersion });
  });
  app.get('/api/v1/status/runtimeinfo', { schema: noParams }, async () => success(status.runtimeInfo()));
  app.get('/api/v1/status/flags', { schema: noParams }, async () => success(status.flags()));
  app.get('/api/v1/status/config', { schema: noParams }, async () => success({ yaml: status.configYaml() }));
}
