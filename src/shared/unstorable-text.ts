import { fieldPath, ValidationError, type FieldError } from '../errors.js';

/**
 * Text no store can keep as it was sent, refused in both dialects alike before it reaches one:
 * - the NUL character U+0000, which PostgreSQL cannot store in `text` or `jsonb`;
 * - a lone surrogate (half of a UTF-16 pair, such as "\ud800"), which both stores turn into
 *   U+FFFD, so that two different ids would be stored as one (and NATS headers likewise).
 */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Arrays and objects nested deeper than this are refused too: storing one (`JSON.stringify`)
 * overflowed the call stack from about 5,000 levels, failing the whole batch it was in.
 */
export const MAX_NESTING = 64;

/** The field error for unstorable text at `field`. */
function unstorableTextError(field: string, text: string): FieldError {
  return text.includes('\0')
    ? { field, code: 'nul_character', message: 'Text cannot contain the NUL character (U+0000).' }
    : {
        field,
        code: 'lone_surrogate',
        message: 'Text cannot contain half of a UTF-16 surrogate pair (U+D800-U+DFFF alone).',
      };
}

/** Whether `text` holds a NUL character or a lone surrogate. */
export function isUnstorable(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * The field error for the first unstorable string or object key in `value`, or the first
 * array or object nested more than {@link MAX_NESTING} levels deep (its path: `a.b[0]`, '' for
 * the value itself); undefined when there is none. Looks into arrays and plain objects (what
 * JSON parses to; not buffers, such as an uploaded image). Every request body passes here, so
 * the common case is a walk that builds no paths; only a value that holds such text or
 * nesting is walked again for its path.
 */
export function unstorableValueIn(value: unknown): FieldError | undefined {
  if (isObject(value) && clearedValues.has(value)) return undefined;
  return holdsUnstorable(value) ? firstUnstorable(value) : undefined;
}

/** Values parsed from JSON text that {@link jsonTextIsStorable} cleared: never walked. */
const clearedValues = new WeakSet<object>();

/**
 * Records that `value` was just parsed from the JSON `text`, so that checking it needs no walk
 * when the text alone clears it (request bodies are checked by the API and again when parsed
 * as a transaction; they are never changed after parsing).
 */
export function noteParsedJson(value: unknown, text: string): void {
  if (isObject(value) && jsonTextIsStorable(text)) clearedValues.add(value);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/**
 * A JSON escape that can decode to a NUL or to half of a surrogate pair (`\u0000`,
 * `\ud800`-`\udfff`, any case). It may also match an escaped backslash followed by such text:
 * that only sends the value to the walk.
 */
const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * Whether what valid JSON `text` parses to is surely free of unstorable text and nesting, from
 * the text alone: in text decoded from valid UTF-8 (which cannot encode a surrogate), and with
 * control characters refused by JSON, a NUL or a surrogate half can only come from an escape,
 * and nesting deeper than {@link MAX_NESTING} needs more brackets than that. False means only
 * "walk the parsed value" ({@link unstorableValueIn}). About a tenth of the walk's cost.
 */
export function jsonTextIsStorable(text: string): boolean {
  if (UNSTORABLE_ESCAPE.test(text)) return false;
  const objects = occurrences(text, '{', MAX_NESTING + 1);
  return objects + occurrences(text, '[', MAX_NESTING + 1 - objects) <= MAX_NESTING;
}

/** How often `character` occurs in `text`, counting up to `limit` (indexOf: no loop over every character). */
function occurrences(text: string, character: string, limit: number): number {
  let count = 0;
  for (let at = text.indexOf(character); at !== -1 && count < limit; at = text.indexOf(character, at + 1))
    count++;
  return count;
}

/** Throws `VALIDATION_FAILED` naming the first field of `fields` that holds unstorable text. */
export function assertStorableFields(fields: Readonly<Record<string, unknown>>): void {
  const error = unstorableValueIn(fields);
  if (error) throw new ValidationError([error]);
}

/** Whether `value` holds unstorable text or nesting, by a walk with a stack of its own (a deep body cannot overflow the call stack). */
function holdsUnstorable(value: unknown): boolean {
  const pending: unknown[] = [value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const item = pending.pop();
    const depth = depths.pop() as number;
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) return true;
    } else if (isPlainContainer(item)) {
      if (depth >= MAX_NESTING) return true;
      for (const key in item) {
        if (UNSTORABLE.test(key)) return true;
        pending.push((item as Record<string, unknown>)[key]);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

function firstUnstorable(value: unknown): FieldError | undefined {
  const pending: [unknown, string, number][] = [[value, '', 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path, depth] = next;
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) return unstorableTextError(path, item);
    } else if (isPlainContainer(item)) {
      if (depth >= MAX_NESTING) return tooDeepError(path);
      for (const [key, child] of Object.entries(item)) {
        const childPath = fieldPath(path, Array.isArray(item) ? Number(key) : key);
        if (UNSTORABLE.test(key)) return unstorableTextError(childPath, key);
        pending.push([child, childPath, depth + 1]);
      }
    }
  }
  return undefined;
}

function tooDeepError(field: string): FieldError {
  return {
    field,
    code: 'too_deep',
    message: `Arrays and objects can be nested at most ${MAX_NESTING} levels deep.`,
  };
}

function isPlainContainer(value: unknown): value is object {
  if (!isObject(value)) return false;
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
