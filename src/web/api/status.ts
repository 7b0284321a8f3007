// /api/v1/status/*: build and runtime information, flags and the loaded configuration.
import type { FastifyInstance } from 'fastify';
import { success } from './envelope.js';
import { buildInfo } from '../../version.js';

export async function statusApi(app: FastifyInstance): Promise<void> {
  const { status } = app.services;

  app.get('/api/v1/status/buildinfo', async () => {
    const b = buildInfo();
    return success({ version: b.version, revision: b.revision, branch: b.branch, buildUser: b.buildUser, buildDate: b.buildDate, goVersion: b.goVersion });
  });
  app.get('/api/v1/status/runtimeinfo', async () => success(status.runtimeInfo()));
  app.get('/api/v1/status/flags', async () => success(status.flags()));
  app.get('/api/v1/status/config', async () => success({ yaml: status.configYaml() }));
}
