// `/favicon.ico` for the three servers (Prometheus server, Alertmanager, node exporter): browsers ask
// for it on every page, and a 404 is a console error each time. The icon is drawn here (a 32x32
// 32-bit BMP inside an ICO: a flame-orange disc with a white ring), so there is no binary file to ship.
import type { FastifyInstance } from 'fastify';

const SIZE = 32;

/** The ICO file's bytes. */
export function faviconIco(): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  const c = (SIZE - 1) / 2;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const d = Math.hypot(x - c, y - c);
      // BMP rows go bottom-up; each pixel is B, G, R, A.
      const o = ((SIZE - 1 - y) * SIZE + x) * 4;
      if (d > 15.5) continue;
      const ring = d > 7.5 && d < 10.5;
      pixels.set(ring ? [0xff, 0xff, 0xff, 0xff] : [0x12, 0x3c, 0xc2, 0xff], o);
    }
  }
  const andMask = Buffer.alloc(SIZE * (SIZE / 8)); // all 0: the alpha channel decides
  const info = Buffer.alloc(40);
  info.writeUInt32LE(40, 0); // BITMAPINFOHEADER size
  info.writeInt32LE(SIZE, 4);
  info.writeInt32LE(SIZE * 2, 8); // XOR image + AND mask
  info.writeUInt16LE(1, 12); // planes
  info.writeUInt16LE(32, 14); // bits per pixel
  info.writeUInt32LE(pixels.length + andMask.length, 20);
  const image = Buffer.concat([info, pixels, andMask]);
  const header = Buffer.alloc(6 + 16);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(SIZE, 6);
  header.writeUInt8(SIZE, 7);
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(image.length, 14);
  header.writeUInt32LE(header.length, 18); // offset of the image
  return Buffer.concat([header, image]);
}

let cached: Buffer | undefined;

/** Registers GET /favicon.ico on `app` (under the app's prefix). */
export function serveFavicon(app: FastifyInstance): void {
  app.get('/favicon.ico', { schema: { querystring: { type: 'object' } } }, async (_req, reply) => {
    cached ??= faviconIco();
    return reply.type('image/x-icon').header('Cache-Control', 'public, max-age=86400').send(cached);
  });
}
