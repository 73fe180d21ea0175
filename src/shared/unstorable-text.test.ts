import { describe, expect, it } from 'vitest';
import { isUnstorable, MAX_NESTING, unstorableValueIn } from './unstorable-text.js';

const fieldOf = (value: unknown) => {
  const error = unstorableValueIn(value);
  return error && `${error.field}:${error.code}`;
};

describe('unstorableValueIn', () => {
  it('finds a NUL character in a string, a nested value or a key, by path', () => {
    expect(fieldOf('a\u0000')).toBe(':nul_character');
    expect(fieldOf({ a: 'ok', b: { c: ['x', 'y\u0000'] } })).toBe('b.c.1:nul_character');
    expect(fieldOf({ a: { 'k\u0000': 1 } })).toBe('a.k\u0000:nul_character');
  });

  it('finds a lone surrogate, high or low, but accepts a whole pair', () => {
    expect(fieldOf({ id: 'x\ud800' })).toBe('id:lone_surrogate');
    expect(fieldOf({ id: '\udc00x' })).toBe('id:lone_surrogate');
    expect(fieldOf({ id: '\udc00\ud800' })).toBe('id:lone_surrogate'); // a pair the wrong way round
    expect(fieldOf({ id: 'ok 🦤 ñandú', n: 1 })).toBeUndefined();
    expect(isUnstorable('\ud83e\udda4')).toBe(false);
  });

  it('finds nothing in text without them, in numbers and in buffers', () => {
    expect(fieldOf({ a: 'a\\u0000b', b: [1, null, true], c: '' })).toBeUndefined();
    expect(fieldOf({ image: Buffer.from([0, 0xd8, 0, 0]) })).toBeUndefined();
    expect(fieldOf(undefined)).toBeUndefined();
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(fieldOf(deep)).toBe(`${Array(MAX_NESTING).fill('0').join('.')}:too_deep`);
  });

  it(`refuses arrays and objects nested more than ${MAX_NESTING} levels deep, naming the first too deep`, () => {
    const nested = (levels: number) => {
      let value: unknown = 'x';
      for (let i = 0; i < levels; i++) value = i % 2 ? { k: value } : [value];
      return value;
    };
    expect(fieldOf({ raw: nested(MAX_NESTING - 1) })).toBeUndefined();
    const path = (levels: number) => Array.from({ length: levels }, (_, i) => (i % 2 ? '0' : 'k'));
    expect(fieldOf({ raw: nested(MAX_NESTING) })).toBe(`raw.${path(MAX_NESTING - 1).join('.')}:too_deep`);
  });
});
