// JSON schemas of the API v2 request bodies and path parameters, after Alertmanager 0.25's
// api/v2/openapi.yaml (postableAlerts, postableSilence, matcher, labelSet). Only types, required
// fields and sizes are in the schemas; formats (date-time, uri, uuid) are checked by the handlers,
// which answer them as Alertmanager does (see v2-errors.ts).

/** labelSet: a string map. `null` values are taken (Go decodes them as "", i.e. no label). */
const labelSet = { type: 'object', additionalProperties: { type: ['string', 'null'] } } as const;

const optionalTime = { type: ['string', 'null'] } as const;

export const postableAlertsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['labels'],
    properties: {
      labels: labelSet,
      annotations: { ...labelSet, type: ['object', 'null'] },
      startsAt: optionalTime,
      endsAt: optionalTime,
      generatorURL: { type: ['string', 'null'] },
    },
  },
} as const;

const matcher = {
  type: 'object',
  required: ['name', 'value', 'isRegex'],
  properties: {
    name: { type: 'string' },
    value: { type: 'string' },
    isRegex: { type: 'boolean' },
    isEqual: { type: 'boolean' },
  },
} as const;

export const postableSilenceSchema = {
  type: 'object',
  required: ['matchers', 'startsAt', 'endsAt', 'createdBy', 'comment'],
  properties: {
    id: { type: 'string' },
    matchers: { type: 'array', minItems: 1, items: matcher },
    startsAt: { type: 'string' },
    endsAt: { type: 'string' },
    createdBy: { type: 'string' },
    comment: { type: 'string' },
  },
} as const;

export interface PostableAlertBody {
  labels: Record<string, string | null>;
  annotations?: Record<string, string | null> | null;
  startsAt?: string | null;
  endsAt?: string | null;
  generatorURL?: string | null;
}

export interface PostableSilenceBody {
  id?: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/**
 * Query parameters of GET /alerts and /alerts/groups. Booleans stay strings: go-openapi reads any
 * word (its true words, anything else false) and never refuses one; `filter` repeats.
 */
const repeatable = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;

export const alertsQuerySchema = {
  type: 'object',
  properties: { active: repeatable, silenced: repeatable, inhibited: repeatable, unprocessed: repeatable, filter: repeatable, receiver: repeatable },
} as const;

export const silencesQuerySchema = { type: 'object', properties: { filter: repeatable } } as const;

/** Routes without parameters (GET /status, /receivers): any query string is taken and ignored. */
export const noQuerySchema = { type: 'object' } as const;

/**
 * The silence ID in GET and DELETE /silence/{silenceID}. Its uuid format is checked by the handler,
 * which answers it in go-openapi's words (v2-errors.ts), so the schema only declares it.
 */
export const silenceIdParamsSchema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
