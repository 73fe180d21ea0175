/**
 * PostgreSQL cannot store the NUL character (U+0000) in `text` or `jsonb` ("invalid byte
 * sequence", "unsupported Unicode escape sequence"), so input holding it is refused, in both
 * dialects alike, before it reaches a store.
 */

/** The field error's code and message for a NUL character. */
export const NUL_CHARACTER = {
  code: 'nul_character',
  message: 'Text cannot contain the NUL character (U+0000).',
} as const;

/**
 * The path (`a.b.0`, '' for the value itself) of the first string, or object key, in `value`
 * that holds U+0000; undefined when there is none. Looks into arrays and plain objects (what
 * JSON parses to; not buffers, such as an uploaded image). Every request body passes here, so
 * the common case is a walk that builds no paths; only a value that holds the character is
 * walked again for its path.
 */
export function nulCharacterPath(value: unknown): string | undefined {
  return holdsNul(value) ? pathOfNul(value) : undefined;
}

/** Whether `value` holds U+0000, by a walk with a stack of its own (a deep body cannot overflow the call stack). */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\0')) return true;
    } else if (isPlainContainer(item)) {
      for (const key in item) {
        if (key.includes('\0')) return true;
        pending.push((item as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

function pathOfNul(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (item.includes('\0')) return path;
    } else if (isPlainContainer(item)) {
      for (const [key, child] of Object.entries(item)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        if (key.includes('\0')) return childPath;
        pending.push([child, childPath]);
      }
    }
  }
  return undefined;
}

function isPlainContainer(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
