// `npm run build:ui`'s last step: a gzip copy beside each UI bundle file (dist/ui, dist/am-ui), at
// the best level since it is made once, which the server sends to browsers that accept gzip
// (src/web/ui-plugin.ts) instead of compressing the bundle on every page load.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
for (const bundle of ['ui', 'am-ui']) {
  for (const file of ['app.js', 'app.css']) {
    const path = join(root, 'dist', bundle, file);
    if (!existsSync(path)) continue;
    const body = readFileSync(path);
    const gz = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
    writeFileSync(`${path}.gz`, gz);
    console.log(`compress-ui: dist/${bundle}/${file}.gz (${gz.length} of ${body.length} bytes)`);
  }
}
