// Prometheus's HTTP API envelope: `{"status":"success","data":...,"warnings":[...]}` or
// `{"status":"error","errorType":"bad_data","error":"..."}` with the status codes clients expect
// (promtool and Grafana branch on errorType).

export type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable' | 'not_found';

const STATUS_BY_TYPE: Record<ErrorType, number> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
  unavailable: 503,
  not_found: 404,
};

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly errorType: ErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = STATUS_BY_TYPE[errorType];
  }
}

export interface SuccessEnvelope<T> {
  status: 'success';
  data: T;
  warnings?: string[];
  infos?: string[];
}

export interface ErrorEnvelope {
  status: 'error';
  errorType: ErrorType;
  error: string;
  data?: unknown;
}

export function success<T>(data: T, warnings?: string[], infos?: string[]): SuccessEnvelope<T> {
  const env: SuccessEnvelope<T> = { status: 'success', data };
  if (warnings !== undefined && warnings.length > 0) env.warnings = warnings;
  if (infos !== undefined && infos.length > 0) env.infos = infos;
  return env;
}

export function failure(e: ApiError): ErrorEnvelope {
  return { status: 'error', errorType: e.errorType, error: e.message };
}
