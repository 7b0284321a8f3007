// JSON schemas of the HTTP API's parameters, one shape for every route. Prometheus reads GET query
// strings and POST/PUT form bodies alike (Go's ParseForm), so a POST route declares its parameters
// for both parts: none is `required` in either part, since it may come in the other. A parameter
// is one string or, repeated, several: Prometheus reads repeated one-value parameters without
// complaint, so the schema takes them too (refusing them would refuse what Prometheus accepts).
// Unknown parameters are allowed, as Prometheus ignores them. What the schemas refuse (a JSON body
// whose parameter is not a string, a value outside an enum) is a 400 bad_data from the app's error
// handler before any handler runs; the formats (times, durations, counts) stay with the handlers,
// whose messages are Prometheus's.

/** One value, or several when the parameter repeats (`match[]`, or any other given twice). */
export const oneOrMany = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;

type Properties = Record<string, object>;

function parameters(names: readonly string[], overrides: Properties): Properties {
  const out: Properties = {};
  for (const name of names) out[name] = oneOrMany;
  return { ...out, ...overrides };
}

/** The query string of a GET route: these parameters, any others ignored. */
export function queryParams(names: readonly string[], overrides: Properties = {}) {
  return { querystring: { type: 'object', properties: parameters(names, overrides) } };
}

/**
 * A POST or PUT route: the same parameters in the query string or the form body. Only a body that
 * is an object (a form, or JSON) is checked: a request without one, or with a body Go's ParseForm
 * would ignore (text/plain, a JSON list), is taken and its parameters looked for in the query
 * string, as Prometheus does.
 */
export function formParams(names: readonly string[], overrides: Properties = {}) {
  const properties = parameters(names, overrides);
  return { querystring: { type: 'object', properties }, body: { if: { type: 'object' }, then: { type: 'object', properties } } };
}

/** A route without parameters: any query string is taken and ignored. */
export const noParams = { querystring: { type: 'object' } } as const;

/** The parameters of /api/v1/query and /api/v1/query_range (Prometheus 3's API description). */
export const QUERY_PARAMS = ['query', 'time', 'start', 'end', 'step', 'timeout', 'limit', 'lookback_delta', 'stats'] as const;
/** /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values. */
export const SERIES_PARAMS = ['match[]', 'start', 'end', 'limit'] as const;
