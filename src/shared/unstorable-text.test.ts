import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isUnstorable,
  jsonTextIsStorable,
  MAX_NESTING,
  noteParsedJson,
  unstorableValueIn,
} from './unstorable-text.js';

const fieldOf = (value: unknown) => {
  const error = unstorableValueIn(value);
  return error && `${error.field}:${error.code}`;
};

describe('unstorableValueIn', () => {
  it('finds a NUL character in a string, a nested value or a key, by path', () => {
    expect(fieldOf('a\u0000')).toBe(':nul_character');
    expect(fieldOf({ a: 'ok', b: { c: ['x', 'y\u0000'] } })).toBe('b.c[1]:nul_character');
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
    expect(fieldOf(deep)).toBe(`${'[0]'.repeat(MAX_NESTING)}:too_deep`);
  });

  it(`refuses arrays and objects nested more than ${MAX_NESTING} levels deep, naming the first too deep`, () => {
    const nested = (levels: number) => {
      let value: unknown = 'x';
      for (let i = 0; i < levels; i++) value = i % 2 ? { k: value } : [value];
      return value;
    };
    expect(fieldOf({ raw: nested(MAX_NESTING - 1) })).toBeUndefined();
    // Array items in brackets, object keys after a dot: raw.k[0].k[0]…
    const path = (levels: number) => Array.from({ length: levels }, (_, i) => (i % 2 ? '[0]' : '.k'));
    expect(fieldOf({ raw: nested(MAX_NESTING) })).toBe(`raw${path(MAX_NESTING - 1).join('')}:too_deep`);
  });
});

describe('jsonTextIsStorable', () => {
  const nestedArrays = (levels: number) => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;

  it('never clears JSON text whose value holds unstorable text (any code units, keys included)', () => {
    // Any UTF-16 code unit, lone surrogates and NUL among them, often.
    const unit = fc.oneof(
      fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '🦤', 'a', '\\'),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    );
    const text = fc.string({ unit, maxLength: 6 });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(text, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const json = JSON.stringify(v);
        if (unstorableValueIn(JSON.parse(json)) !== undefined) expect(jsonTextIsStorable(json)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('clears text without such escapes and with few brackets; escapes in any case send it to the walk', () => {
    expect(jsonTextIsStorable('{"id": "ok 🦤 ñandú", "n": [1, {"a": null}]}')).toBe(true);
    for (const escape of ['\\u0000', '\\ud800', '\\uDBFF', '\\uDc00', '\\udfff'])
      expect(jsonTextIsStorable(`{"id": "x${escape}"}`), escape).toBe(false);
    expect(jsonTextIsStorable('{"id": "\\ud7ff \\ue000 \\u0001"}')).toBe(true);
  });

  it(`clears nesting only when the text has at most ${MAX_NESTING} brackets`, () => {
    expect(jsonTextIsStorable(nestedArrays(MAX_NESTING))).toBe(true);
    expect(unstorableValueIn(JSON.parse(nestedArrays(MAX_NESTING)))).toBeUndefined();
    expect(jsonTextIsStorable(nestedArrays(MAX_NESTING + 1))).toBe(false);
    expect(unstorableValueIn(JSON.parse(nestedArrays(MAX_NESTING + 1)))?.code).toBe('too_deep');
    const mixed = (levels: number) =>
      Array.from({ length: levels }).reduce<string>(
        (inner, _, i) => (i % 2 ? `[${inner}]` : `{"k":${inner}}`),
        '1',
      );
    expect(jsonTextIsStorable(mixed(MAX_NESTING))).toBe(true);
    expect(jsonTextIsStorable(mixed(MAX_NESTING + 1))).toBe(false);
    expect(unstorableValueIn(JSON.parse(mixed(MAX_NESTING + 1)))?.code).toBe('too_deep');
  });
});

describe('noteParsedJson', () => {
  /** A parsed body that counts how often its keys are listed (a walk lists them). */
  const watched = (text: string) => {
    const listed = { count: 0 };
    const value = new Proxy(JSON.parse(text) as object, {
      ownKeys: (target) => (listed.count++, Reflect.ownKeys(target)),
    });
    return { value, listed };
  };

  it('spares a value parsed from text that clears it the walk, and only that value', () => {
    const clean = watched('{"id": "a", "extra": {"n": 1}}');
    noteParsedJson(clean.value, '{"id": "a", "extra": {"n": 1}}');
    expect(unstorableValueIn(clean.value)).toBeUndefined();
    expect(clean.listed.count).toBe(0);
    const other = watched('{"id": "a"}');
    expect(unstorableValueIn(other.value)).toBeUndefined();
    expect(other.listed.count).toBeGreaterThan(0);
  });

  it('still walks a value whose text holds an escape, and names the field', () => {
    const text = '{"id": "a", "extra": {"note": "x\\u0000"}}';
    const parsed: unknown = JSON.parse(text);
    noteParsedJson(parsed, text);
    expect(unstorableValueIn(parsed)).toMatchObject({ field: 'extra.note', code: 'nul_character' });
  });
});
