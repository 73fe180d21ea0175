import { fieldPath, type FieldError } from '../errors.js';
import { FEATURE_NAMES } from '../features/features.js';
import { unstorableValueIn } from '../shared/unstorable-text.js';
import { CODE_FIELDS } from '../transactions/transaction.js';
import { compileExpression, type Evaluator } from './expression-compiler.js';
import { ExpressionSyntaxError } from './expression-parser.js';
import type { Kind } from './expression-types.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** `approve` is for allow lists: it wins over `review` and score thresholds, never over `decline`. */
export const ACTIONS = ['review', 'decline', 'approve'] as const;
export type RuleAction = (typeof ACTIONS)[number];

/** One rule as stored and edited: data, not code. */
export interface RuleDefinition {
  readonly id: string;
  /** A label for people (optional). */
  readonly name?: string;
  readonly condition: string;
  readonly reason_code?: string;
  readonly message: string;
  readonly severity: Severity;
  /** Contribution to the 0–100 risk score when the rule matches. */
  readonly score: number;
  readonly action: RuleAction;
  readonly enabled?: boolean;
  readonly description?: string;
}

/** A rule set document: rules plus the named lists they may use. */
export interface RuleSetDocument {
  readonly name?: string;
  readonly description?: string;
  readonly lists?: Readonly<Record<string, readonly (string | number)[]>>;
  readonly rules: readonly RuleDefinition[];
}

export interface CompiledRule extends RuleDefinition {
  readonly reason_code: string;
  readonly evaluate: Evaluator;
}

export interface CompiledRuleSet {
  readonly version: number;
  readonly document: RuleSetDocument;
  readonly rules: readonly CompiledRule[];
}

/** Transaction fields a condition may read, besides the features. */
/** Transaction fields that hold numbers (location_match as 0/1); the others hold text. */
const NUMBER_FIELDS: ReadonlySet<string> = new Set([
  'amount',
  'balance',
  'location_match',
  'model_probability',
]);

export const TRANSACTION_FIELDS = [
  'transaction_id',
  'account_id',
  'amount',
  'currency',
  'merchant_id',
  'merchant_type',
  'device_type',
  'channel',
  'origin_country',
  'destination_country',
  'balance',
  'location_match',
  'model_probability',
] as const;

const VARIABLES: ReadonlySet<string> = new Set([...TRANSACTION_FIELDS, ...FEATURE_NAMES]);
/** What each field holds, for the save-time type check (a field may also be null). */
const FIELD_KINDS: Readonly<Record<string, Kind>> = Object.fromEntries([
  ...TRANSACTION_FIELDS.map((f) => [f, NUMBER_FIELDS.has(f) ? 'number' : 'text'] as const),
  ...FEATURE_NAMES.map((f) => [f, 'number'] as const),
]);
const RULE_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_NAME = 200;
const MAX_REASON_CODE = 64;
/** A rule's message is copied into every decision it matches: kept short. */
const MAX_MESSAGE = 500;

/**
 * Checks a text field: a non-empty string (not only spaces) of at most `max` characters; an
 * optional one may be left out. The error names the field (`rules[0].message`).
 */
function validateText(
  value: unknown,
  field: string,
  { max, optional }: { max: number; optional: boolean },
  errors: FieldError[],
): void {
  if (optional && value === undefined) return;
  const text = typeof value === 'string' && value.trim() !== '';
  if (text && value.length <= max) return;
  const code = text ? 'maxLength' : optional ? 'type' : 'required';
  const name = field.slice(field.lastIndexOf('.') + 1);
  errors.push(problem(field, code, `${name} must be a non-empty string of at most ${max} characters.`));
}

/** Checks a rule set document; returns every problem with its path (empty when valid). */
export function validateRuleSet(input: unknown): FieldError[] {
  if (!isObject(input)) return [problem('', 'type', 'A rule set must be a JSON object.')];
  const errors: FieldError[] = [];
  const unstorable = unstorableValueIn(input); // a file applied from the CLI passes no API check
  if (unstorable) errors.push(unstorable);
  validateText(input.name, 'name', { max: MAX_NAME, optional: true }, errors);
  validateDescription(input.description, 'description', errors);
  refuseUnknownKeys(input, '', DOCUMENT_KEYS, errors);
  const lists = validateLists(input.lists, errors);
  if (!Array.isArray(input.rules)) {
    errors.push(problem('rules', 'required', 'rules must be an array of rules.'));
    return errors;
  }
  const seen = new Set<string>();
  input.rules.forEach((rule, index) => validateRule(rule, `rules[${index}]`, { lists, seen, errors }));
  return errors;
}

const MAX_DESCRIPTION = 2000;

/** A description, when there is one, is text (a number or an object was stored as given). */
function validateDescription(description: unknown, field: string, errors: FieldError[]): void {
  if (description === undefined) return;
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) {
    errors.push(
      problem(field, 'type', `${field} must be a string of at most ${MAX_DESCRIPTION} characters.`),
    );
  }
}

function validateLists(lists: unknown, errors: FieldError[]): Record<string, readonly unknown[]> {
  if (lists === undefined) return {};
  if (!isObject(lists)) {
    errors.push(problem('lists', 'type', 'lists must be an object of named arrays.'));
    return {};
  }
  for (const [name, values] of Object.entries(lists)) validateList(name, values, errors);
  return lists as Record<string, readonly unknown[]>;
}

/** One named list: a name `list('…')` can use, and an array of strings or numbers (each named when wrong). */
function validateList(name: string, values: unknown, errors: FieldError[]): void {
  const field = fieldPath('lists', name);
  if (name.trim() === '')
    errors.push(problem('lists', 'format', `A list name must not be empty or blank, as '${name}' is.`));
  if (!Array.isArray(values)) {
    errors.push(problem(field, 'type', 'A list is an array of strings or numbers.'));
    return;
  }
  values.forEach((value: unknown, index) => {
    if (typeof value !== 'string' && typeof value !== 'number')
      errors.push(problem(fieldPath(field, index), 'type', 'A list item must be a string or a number.'));
  });
}

interface RuleCheck {
  readonly lists: Record<string, readonly unknown[]>;
  readonly seen: Set<string>;
  readonly errors: FieldError[];
}

function validateRule(rule: unknown, path: string, check: RuleCheck): void {
  const { errors } = check;
  if (!isObject(rule)) {
    errors.push(problem(path, 'type', 'A rule must be an object.'));
    return;
  }
  refuseUnknownKeys(rule, path, RULE_KEYS, errors);
  validateId(rule.id, path, check);
  validateText(rule.name, `${path}.name`, { max: MAX_NAME, optional: true }, errors);
  validateText(rule.message, `${path}.message`, { max: MAX_MESSAGE, optional: false }, errors);
  if (!(SEVERITIES as readonly unknown[]).includes(rule.severity)) {
    errors.push(problem(`${path}.severity`, 'enum', `severity must be one of ${SEVERITIES.join(', ')}.`));
  }
  if (!(ACTIONS as readonly unknown[]).includes(rule.action)) {
    errors.push(problem(`${path}.action`, 'enum', `action must be one of ${ACTIONS.join(', ')}.`));
  }
  if (typeof rule.score !== 'number' || !(rule.score >= 0 && rule.score <= 100)) {
    errors.push(problem(`${path}.score`, 'range', 'score must be a number from 0 to 100.'));
  }
  validateText(rule.reason_code, `${path}.reason_code`, { max: MAX_REASON_CODE, optional: true }, errors);
  validateDescription(rule.description, `${path}.description`, errors);
  if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') {
    errors.push(problem(`${path}.enabled`, 'type', 'enabled must be true or false.'));
  }
  validateCondition(rule.condition, `${path}.condition`, check);
}

const DOCUMENT_KEYS: ReadonlySet<string> = new Set(['name', 'description', 'lists', 'rules']);
/** A rule's fields. */
const RULE_KEYS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'condition',
  'reason_code',
  'message',
  'severity',
  'score',
  'action',
  'enabled',
  'description',
]);

/**
 * Refuses fields a rule set does not read: a rule switched off with `"enable": false` or
 * `"disabled": true` stayed on without a word.
 */
function refuseUnknownKeys(
  value: Readonly<Record<string, unknown>>,
  path: string,
  known: ReadonlySet<string>,
  errors: FieldError[],
): void {
  for (const key of Object.keys(value).filter((k) => !known.has(k))) {
    const field = path === '' ? key : `${path}.${key}`;
    errors.push(problem(field, 'unknown', `${field} is not a known field; known: ${[...known].join(', ')}.`));
  }
}

function validateId(id: unknown, path: string, { seen, errors }: RuleCheck): void {
  if (typeof id !== 'string' || !RULE_ID.test(id)) {
    errors.push(
      problem(`${path}.id`, 'format', 'id must be 1–64 letters, digits, _ . or -, starting with a letter.'),
    );
  } else if (seen.has(id)) {
    errors.push(problem(`${path}.id`, 'duplicate', `Rule id '${id}' is used twice.`));
  } else {
    seen.add(id);
  }
}

function validateCondition(condition: unknown, path: string, { lists, errors }: RuleCheck): void {
  if (typeof condition !== 'string' || condition.trim() === '') {
    errors.push(problem(path, 'required', 'condition must be a non-empty expression.'));
    return;
  }
  try {
    // Code fields and kinds are checked when a rule set is saved, not when a stored one is loaded, so
    // that one saved before the check still starts.
    compileExpression(condition, {
      variables: VARIABLES,
      lists,
      codeFields: CODE_FIELDS,
      fieldKinds: FIELD_KINDS,
    });
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    errors.push(problem(path, 'syntax', error.message));
  }
}

/** Compiles a document already accepted by {@link validateRuleSet}. */
export function compileRuleSet(document: RuleSetDocument, version: number): CompiledRuleSet {
  const lists = document.lists ?? {};
  const rules = document.rules
    .filter((rule) => rule.enabled !== false)
    .map((rule) => ({
      ...rule,
      reason_code: rule.reason_code ?? rule.id,
      evaluate: compileExpression(rule.condition, { variables: VARIABLES, lists }),
    }));
  return { version, document, rules };
}

/** A stored document read back: the rule set, or why it cannot be shown as one. */
export type StoredDocument =
  | { readonly document: RuleSetDocument; readonly problem?: undefined }
  | { readonly document: null; readonly problem: string };

/**
 * Reads a stored document for showing (a listing, `rules show`, the API): one written to the
 * store by hand may not be JSON, or not a rule set (no `rules` array), and says so.
 */
export function readStoredDocument(text: string): StoredDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { document: null, problem: notJson(error) };
  }
  if (isObject(value) && Array.isArray(value.rules)) return { document: value as unknown as RuleSetDocument };
  return { document: null, problem: 'the stored document is not a rule set: it has no rules array' };
}

/** Why a stored document could not be parsed. */
export function notJson(error: unknown): string {
  return `the stored document is not JSON: ${(error as Error).message}`;
}

function problem(field: string, code: string, message: string): FieldError {
  return { field, code, message };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
