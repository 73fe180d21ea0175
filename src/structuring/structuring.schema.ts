/** JSON schemas of the structuring routes (validation and OpenAPI). */
import { filterText, nullable } from '../api/schemas.js';
import { METHOD_NAMES } from './detectors/index.js';
import { ALERT_METHODS, FIELDS } from './structuring.js';

export const runBodySchema = {
  type: 'object',
  description:
    'Either `input` (a CSV/Parquet path or glob on the server) or a stored event-time range (`from`/`to`, both optional: all stored transactions).',
  properties: {
    input: { type: 'string', minLength: 1, maxLength: 4096 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    methods: { type: 'array', items: { type: 'string' }, minItems: 1 },
    windows: { type: 'array', items: { type: 'string' }, minItems: 1, examples: [['24h', '7d']] },
    map: {
      type: 'object',
      description: `Input column name → field (${FIELDS.join(', ')}).`,
      additionalProperties: { type: 'string' },
    },
    min_methods: {
      type: 'integer',
      minimum: 1,
      maximum: METHOD_NAMES.length,
      description:
        'Consensus: windows flagged by at least this many methods; default 3, or all the methods when fewer run.',
    },
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: 4_294_967_295,
      default: 0,
      description: "a whole number that fits 32 bits, as the CLI's --seed",
    },
  },
  additionalProperties: false,
} as const;

export const acceptedRunSchema = {
  type: 'object',
  properties: {
    run_id: { type: 'string' },
    status: { type: 'string', enum: ['running'] },
    run_url: { type: 'string' },
    report_url: { type: 'string' },
  },
} as const;

const countsSchema = nullable({ type: 'object', additionalProperties: { type: 'number' } });

export const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
    source: { type: 'object', additionalProperties: true },
    params: { type: 'object', additionalProperties: true },
    started_at: { type: 'string', format: 'date-time' },
    finished_at: nullable({ type: 'string', format: 'date-time' }),
    row_count: nullable({ type: 'integer' }),
    window_count: nullable({ type: 'integer' }),
    method_counts: countsSchema,
    durations_ms: countsSchema,
    error: nullable({ type: 'string' }),
    report_url: nullable({ type: 'string' }),
  },
} as const;

/** What identifies a window and its ending transaction, in alerts and in the consensus view. */
const windowProperties = {
  scope: { type: 'string', enum: ['user', 'user_merchant'] },
  window_length: { type: 'string' },
  user_id: { type: 'string' },
  merchant_id: nullable({ type: 'string' }),
  transaction_id: nullable({ type: 'string' }),
  window_start: { type: 'string', format: 'date-time' },
  window_end: { type: 'string', format: 'date-time' },
  label: nullable({ type: 'integer' }),
} as const;

export const alertSchema = {
  type: 'object',
  properties: {
    run_id: { type: 'string' },
    method: { type: 'string' },
    ...windowProperties,
    score: { type: 'number' },
    votes: { type: 'integer' },
    features: { type: 'object', additionalProperties: nullable({ type: 'number' }) },
  },
} as const;

/** `limit` (default `size`, at most `max`) and `offset` of a listing. */
const page = (size: number, max: number) =>
  ({
    limit: { type: 'integer', minimum: 1, maximum: max, default: size },
    offset: { type: 'integer', minimum: 0, default: 0 },
  }) as const;

export const alertsQuerySchema = {
  type: 'object',
  properties: {
    run_id: filterText(),
    method: { type: 'string', enum: ALERT_METHODS },
    user_id: filterText(),
    merchant_id: filterText(),
    from: { type: 'string', format: 'date-time', description: 'window end at or after' },
    to: { type: 'string', format: 'date-time', description: 'window end at or before' },
    ...page(100, 10_000),
  },
  additionalProperties: false,
} as const;

export const runsQuerySchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
    ...page(50, 1000),
  },
  additionalProperties: false,
} as const;

export const consensusQuerySchema = {
  type: 'object',
  properties: {
    min_methods: {
      type: 'integer',
      minimum: 1,
      maximum: METHOD_NAMES.length,
      description: 'default: the run’s min_methods',
    },
    ...page(100, 10_000),
  },
  additionalProperties: false,
} as const;

export const consensusSchema = {
  type: 'object',
  properties: {
    run_id: { type: 'string' },
    min_methods: { type: 'integer' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...windowProperties,
          methods: { type: 'integer', description: 'distinct methods that flagged the window' },
        },
      },
    },
  },
} as const;
