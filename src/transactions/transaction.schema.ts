import { filterText, nullable } from '../api/schemas.js';
import { FEATURE_NAMES } from '../features/features.js';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;

/** Documents the accepted payload; validation itself is `parseTransaction` (aliases, all errors). */
export const transactionBodySchema = {
  type: 'object',
  description: 'A payment. Unknown fields are kept in the stored payload.',
  properties: {
    transaction_id: { type: 'string', maxLength: 128, description: 'Generated (UUID) when absent.' },
    account_id: { type: 'string', maxLength: 128, description: 'Also accepted as user_id.' },
    user_id: { type: 'string', maxLength: 128 },
    amount: { type: 'number', exclusiveMinimum: 0 },
    currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217; default from config.' },
    timestamp: { type: 'string', format: 'date-time', description: 'ISO-8601; default: arrival time.' },
    merchant_id: { type: 'string', description: 'Also accepted as merchant.' },
    merchant: str,
    merchant_type: str,
    device_type: str,
    channel: str,
    origin_country: { type: 'string', pattern: '^[A-Za-z]{2}$' },
    destination_country: { type: 'string', pattern: '^[A-Za-z]{2}$' },
    balance: { type: 'number', minimum: 0 },
    location_match: { description: '0/1 or boolean' },
  },
  required: ['amount'],
  additionalProperties: true,
} as const;

const nullableNumber = nullable(num);

export const featuresSchema = {
  type: 'object',
  properties: Object.fromEntries(FEATURE_NAMES.map((name) => [name, nullableNumber])),
} as const;

export const decisionSchema = {
  type: 'object',
  properties: {
    transaction_id: str,
    account_id: str,
    decision: { type: 'string', enum: ['approve', 'review', 'decline'] },
    risk_score: num,
    fraud_probability: nullableNumber,
    reasons: {
      type: 'array',
      items: {
        type: 'object',
        properties: { code: str, rule_id: str, message: str, severity: str, feature: str, contribution: num },
      },
    },
    rule_errors: {
      type: 'array',
      items: { type: 'object', properties: { rule_id: str, outcome: str, message: str } },
    },
    rules_version: { type: 'integer' },
    model_version: nullable(str),
    shadow: nullable({
      type: 'object',
      description: 'The challenger model, scored beside the live one; never used for the decision.',
      properties: { model_version: str, fraud_probability: num },
    }),
    features: featuresSchema,
    processed_at: { type: 'string', format: 'date-time' },
    latency_ms: num,
  },
} as const;

export const storedTransactionSchema = {
  type: 'object',
  properties: {
    transaction_id: str,
    status: { type: 'string', enum: ['pending', 'decided'] },
    received_at: str,
    transaction: {
      type: 'object',
      properties: {
        account_id: str,
        amount: num,
        currency: str,
        timestamp: str,
        merchant_id: nullable(str),
        merchant_type: nullable(str),
        device_type: nullable(str),
        channel: nullable(str),
        origin_country: nullable(str),
        destination_country: nullable(str),
        balance: nullableNumber,
        location_match: nullableNumber,
      },
    },
    payload: { type: 'object', additionalProperties: true },
    decision: nullable(decisionSchema),
    label: nullable({
      type: 'object',
      properties: { label: { type: 'string', enum: ['fraud', 'legit'] }, labelled_by: str, labelled_at: str },
    }),
    history: {
      type: 'array',
      description: 'The first decision, then identity step-ups (GET by id only).',
      items: {
        type: 'object',
        properties: {
          at: str,
          type: { type: 'string', enum: ['decided', 'step_up'] },
          from_decision: nullable(str),
          to_decision: str,
          verification_id: nullable(str),
          actor: str,
        },
      },
    },
  },
} as const;

export const listQuerySchema = {
  type: 'object',
  properties: {
    account_id: filterText(128),
    decision: { type: 'string', enum: ['approve', 'review', 'decline'] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', pattern: '^[0-9]+$', description: 'next_cursor of the previous page' },
  },
  additionalProperties: false,
} as const;
