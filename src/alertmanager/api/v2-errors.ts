// API v2 errors in Alertmanager 0.25's shapes (go-swagger): a body that does not decode (bad JSON,
// a value of the wrong type, an unparsable time) is 400 `{"code":400,"message":"parsing <what> body
// from \"\" failed, because ..."}`; a body that decodes but breaks the spec (a required field
// missing, too few items, a bad format) is 422 with go-swagger's codes (602 required, 612 min
// items, 601 format). Every message names the field, as `0.labels.severity` or `matchers.0.isRegex`.
import type { FastifyReply } from 'fastify';

export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const GO_TYPE = new Map([['string', 'string'], ['boolean', 'bool'], ['object', 'object'], ['array', 'array'], ['number', 'number'], ['integer', 'number']]);

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** The value at an ajv instance path (`/0/labels/a`), read through own properties only. */
function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A body that does not decode: 400 with the "parsing ... failed" message. */
export function decodeError(what: string, why: string): ApiError {
  return new ApiError(400, 400, `parsing ${what} body from "" failed, because ${why}`);
}

/** The first schema violation as Alertmanager reports it. */
export function schemaError(what: string, body: unknown, errors: SchemaError[]): ApiError {
  const e = errors[0]!;
  const path = dotted(e.instancePath);
  const at = (sub: string): string => [path, sub].filter((x) => x !== '').join('.');
  switch (e.keyword) {
    case 'type': {
      const want = ([] as string[]).concat(e.params['type'] as string | string[]).filter((t) => t !== 'null')[0] ?? 'value';
      return decodeError(what, `json: cannot unmarshal ${jsonType(valueAt(body, e.instancePath))} into ${path === '' ? 'the body' : `field ${path}`} of type ${GO_TYPE.get(want) ?? want}`);
    }
    case 'required':
      return new ApiError(422, 602, `${at(String(e.params['missingProperty']))} in body is required`);
    case 'minItems':
      return new ApiError(422, 612, `${path} in body should have at least ${String(e.params['limit'])} items`);
    default:
      return new ApiError(422, 600, `${path || 'body'} in body ${e.message ?? 'is invalid'}`);
  }
}

/** A value of the wrong format (date-time, uri, uuid). Times that do not parse are decoding errors upstream. */
export function formatError(what: string, where: 'body' | 'path', field: string, format: string, value: string): ApiError {
  const message = `${field} in ${where} must be of type ${format}: ${JSON.stringify(value)}`;
  return format === 'date-time' ? decodeError(what, message) : new ApiError(422, 601, message);
}

export function sendApiError(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.status(e.status).type('application/json').send(JSON.stringify({ code: e.code, message: e.message }));
}
