import { ValidationError, type FieldError } from '../errors.js';

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
 * array or object nested more than {@link MAX_NESTING} levels deep (its path: `a.b.0`, '' for
 * the value itself); undefined when there is none. Looks into arrays and plain objects (what
 * JSON parses to; not buffers, such as an uploaded image). Every request body passes here, so
 * the common case is a walk that builds no paths; only a value that holds such text or
 * nesting is walked again for its path.
 */
export function unstorableValueIn(value: unknown): FieldError | undefined {
  return holdsUnstorable(value) ? firstUnstorable(value) : undefined;
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
        const childPath = path === '' ? key : `${path}.${key}`;
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
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
