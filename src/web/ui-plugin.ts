// Serves the web UI: the esbuild bundle from dist/ui (built by `npm run build:ui`, part of
// `npm run build`) and one HTML shell for every UI path, with <base href> set to the route prefix
// so the pages find the API behind a reverse proxy too.
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { noParams } from './api/schemas.js';
import { serveFavicon } from './favicon.js';

const UI_PATHS = ['/', '/query', '/graph', '/alerts', '/targets', '/rules', '/status', '/tsdb-status', '/flags', '/config', '/service-discovery'];

/** A bundle in <package>/dist/<name>, from src/web (tsx) or dist/web (built). */
function uiDir(bundle: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', bundle);
}

export interface UiOptions {
  title: string;
  routePrefix: string;
  /** The esbuild bundle under dist/ (`ui` for the server, `am-ui` for the Alertmanager). */
  bundle?: string;
  /** Paths answered with the page shell (the UI routes in the browser). */
  paths?: string[];
}

// The file name's check stays in the handler: anything else is a plain 404, not a schema's 400.
const uiFileSchema = { ...noParams, params: { type: 'object', properties: { file: { type: 'string' } }, required: ['file'] } } as const;

export function uiPlugin(options: UiOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    const dir = uiDir(options.bundle ?? 'ui');
    const base = `${options.routePrefix.replace(/\/$/, '')}/`;
    const shell = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${base}">
<title>${options.title.replace(/[<>&"]/g, '')}</title>
<link rel="icon" href="${base}favicon.ico">
<link rel="stylesheet" href="${base}ui/app.css">
</head>
<body><noscript>Promethium's web UI needs JavaScript.</noscript>
<script type="module" src="${base}ui/app.js"></script>
</body>
</html>
`;
    serveFavicon(app);
    for (const p of options.paths ?? UI_PATHS) {
      app.get(p, { schema: noParams }, async (_req, reply) => {
        if (!existsSync(join(dir, 'app.js'))) {
          return reply.status(503).type('text/plain').send(`The web UI is not built: run \`npm run build\` (it bundles the UI into dist/${options.bundle ?? 'ui'}).`);
        }
        return reply.type('text/html; charset=utf-8').send(shell);
      });
    }
    app.get<{ Params: { file: string } }>('/ui/:file', { schema: uiFileSchema }, async (req, reply) => {
      const file = req.params.file;
      if (!/^app\.(js|css)(\.map)?$/.test(file)) return reply.status(404).send();
      const path = join(dir, file);
      if (!existsSync(path)) return reply.status(404).send();
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/json';
      return reply.type(`${type}; charset=utf-8`).header('Cache-Control', 'no-cache').send(readFileSync(path));
    });
  };
}
