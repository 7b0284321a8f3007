// The browser side of the Prometheus HTTP API: fetch, unwrap the envelope, surface errors.

export interface ApiResult<T> {
  data: T;
  warnings: string[];
}

export class ApiError extends Error {}

/** The path prefix the UI is served under (from <base href>), so a route prefix works. */
export function apiBase(): string {
  const base = document.querySelector('base')?.getAttribute('href') ?? '/';
  return base.endsWith('/') ? base : `${base}/`;
}

export async function api<T>(path: string, params: Record<string, string | string[]> = {}, signal?: AbortSignal): Promise<ApiResult<T>> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  const usePost = path.endsWith('/query') || path.endsWith('/query_range');
  const url = `${apiBase()}${path.replace(/^\//, '')}`;
  const res = await fetch(usePost ? url : `${url}${body.toString() === '' ? '' : `?${body.toString()}`}`, {
    method: usePost ? 'POST' : 'GET',
    headers: usePost ? { 'Content-Type': 'application/x-www-form-urlencoded' } : undefined,
    body: usePost ? body : undefined,
    signal,
  });
  let json: { status: string; data: T; error?: string; errorType?: string; warnings?: string[] };
  try {
    json = (await res.json()) as typeof json;
  } catch {
    throw new ApiError(`${res.status} ${res.statusText}: the server did not answer with JSON`);
  }
  if (json.status !== 'success') throw new ApiError(`${json.errorType ?? 'error'}: ${json.error ?? res.statusText}`);
  return { data: json.data, warnings: json.warnings ?? [] };
}
