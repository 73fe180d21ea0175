import { describe, expect, it } from 'vitest';
import { nulCharacterPath } from './nul-character.js';

describe('nulCharacterPath', () => {
  it('finds U+0000 in a string, a nested value or a key, by path', () => {
    expect(nulCharacterPath('a\u0000')).toBe('');
    expect(nulCharacterPath({ a: 'ok', b: { c: ['x', 'y\u0000'] } })).toBe('b.c.1');
    expect(nulCharacterPath({ a: { 'k\u0000': 1 } })).toBe('a.k\u0000');
  });

  it('finds nothing in text without it, in numbers and in buffers', () => {
    expect(nulCharacterPath({ a: 'a\\u0000b', b: [1, null, true], c: '' })).toBeUndefined();
    expect(nulCharacterPath({ image: Buffer.from([0, 0, 0]) })).toBeUndefined();
    expect(nulCharacterPath(undefined)).toBeUndefined();
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(nulCharacterPath(deep)).toBe(Array(50_000).fill('0').join('.'));
  });
});
