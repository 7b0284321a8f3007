// A response body read whole, up to a byte limit: beyond it the read stops (and the connection
// with it) instead of buffering whatever a remote sends.
export class ResponseTooLarge extends Error {}

export async function readBounded(body: AsyncIterable<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop by the throw cancels the stream (the iterator's return()).
  for await (const value of body) {
    total += value.byteLength;
    if (total > limit) throw new ResponseTooLarge(`response body exceeds the limit of ${limit} bytes`);
    parts.push(value);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
