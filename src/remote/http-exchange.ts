// What the remote-storage endpoints see of an HTTP request and answer, without the web server:
// the web layer (src/web/api/remote.ts) turns fastify requests into these and back.

export interface RemoteRequest {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  body: Uint8Array;
}

export interface RemoteResponse {
  status: number;
  headers: Record<string, string>;
  /** Text for errors, bytes for protobuf answers. */
  body: string | Uint8Array;
}

/** A media type and its parameters (names lower-cased, quotes removed), per RFC 9110's syntax. */
export function parseMediaType(header: string): { type: string; params: Map<string, string> } {
  const [type = '', ...rest] = header.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    params.set(p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type: type.trim().toLowerCase(), params };
}

export function textResponse(status: number, message: string, headers: Record<string, string> = {}): RemoteResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: message.endsWith('\n') ? message : `${message}\n` };
}
