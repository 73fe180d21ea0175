import { describe, expect, it } from 'vitest';
import { isUnstorable, unstorableTextIn } from './unstorable-text.js';

const fieldOf = (value: unknown) => {
  const error = unstorableTextIn(value);
  return error && `${error.field}:${error.code}`;
};

describe('unstorableTextIn', () => {
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
    expect(fieldOf(deep)).toBe(`${Array(50_000).fill('0').join('.')}:nul_character`);
  });
});
