// Serves the web UI: the esbuild bundle from dist/ui (built by `npm run build:ui`, part of
// `npm run build`) and one HTML shell for every UI path, with <base href> set to the route prefix
// so the pages find the API behind a reverse proxy too. The bundle's files carry an ETag, so a
// page load revalidates them (304) instead of fetching half a megabyte again, and go gzipped, from
// the copy the build made, to browsers that accept it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { noParams } from './api/schemas.js';
import { serveFavicon } from './favicon.js';
import { acceptsGzip } from '../common/gzip.js';

const UI_PATHS = ['/', '/query', '/graph', '/alerts', '/targets', '/rules', '/status', '/tsdb-status', '/flags', '/config', '/service-discovery'];

/** A bundle in <package>/dist/<name>, from src/web (tsx) or dist/web (built). */
function uiDir(bundle: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', bundle);
}

/** A file's validator from its size and modification time, as static file servers make it. */
function etagOf(st: Stats): string {
  return `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

/** Whether If-None-Match names the ETag (or `*`): the browser's copy is current. */
function unchanged(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || `W/${t}` === etag;
  });
}

/** The gzip copy beside `path`, unless missing or older than the file (a bundle rebuilt without it). */
async function gzipCopy(path: string, st: Stats): Promise<Buffer | undefined> {
  const gz = `${path}.gz`;
  const gst = await stat(gz).catch(() => undefined);
  if (gst === undefined || gst.mtimeMs < st.mtimeMs) return undefined;
  return readFile(gz);
}

export interface UiOptions {
  title: string;
  routePrefix: string;
  /** The esbuild bundle under dist/ (`ui` for the server, `am-ui` for the Alertmanager). */
  bundle?: string;
  /** Paths answered with the page shell (the UI routes in the browser). */
  paths?: string[];
  /** The bundle's directory itself, instead of dist/<bundle> (tests). */
  dir?: string;
}

// The file name's check stays in the handler: anything else is a plain 404, not a schema's 400.
const uiFileSchema = { ...noParams, params: { type: 'object', properties: { file: { type: 'string' } }, required: ['file'] } } as const;

export function uiPlugin(options: UiOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    const dir = options.dir ?? uiDir(options.bundle ?? 'ui');
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
        // Asked per page load, so without blocking the event loop (a build may come after the start).
        if ((await stat(join(dir, 'app.js')).catch(() => undefined)) === undefined) {
          return reply.status(503).type('text/plain').send(`The web UI is not built: run \`npm run build\` (it bundles the UI into dist/${options.bundle ?? 'ui'}).`);
        }
        return reply.type('text/html; charset=utf-8').send(shell);
      });
    }
    app.get<{ Params: { file: string } }>('/ui/:file', { schema: uiFileSchema }, async (req, reply) => {
      const file = req.params.file;
      if (!/^app\.(js|css)(\.map)?$/.test(file)) return reply.status(404).send();
      const path = join(dir, file);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile()) return reply.status(404).send();
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/json';
      const etag = etagOf(st);
      // no-cache: the browser keeps its copy but asks each time whether it is still current.
      reply.type(`${type}; charset=utf-8`).header('Cache-Control', 'no-cache').header('ETag', etag).header('Vary', 'Accept-Encoding');
      if (unchanged(req, etag)) return reply.status(304).send();
      const gz = acceptsGzip(req.headers['accept-encoding']) ? await gzipCopy(path, st) : undefined;
      if (gz !== undefined) return reply.header('Content-Encoding', 'gzip').send(gz);
      return reply.send(await readFile(path));
    });
  };
}
