import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from './default-rules.js';
import { readStoredDocument, validateRuleSet } from './rule-set.js';

const [first, ...rest] = DEFAULT_RULE_SET.rules;
const withFirstRule = (changes: Record<string, unknown>) =>
  validateRuleSet({ ...DEFAULT_RULE_SET, rules: [{ ...first, ...changes }, ...rest] }).map(
    (e) => `${e.field}:${e.code}`,
  );
const withLists = (lists: Record<string, unknown>, condition?: string) =>
  validateRuleSet({
    ...DEFAULT_RULE_SET,
    lists: { ...DEFAULT_RULE_SET.lists, ...lists },
    rules: condition === undefined ? DEFAULT_RULE_SET.rules : [{ ...first, condition }],
  });

describe('validateRuleSet', () => {
  it("limits a rule's message to 500 characters (it is copied into every decision)", () => {
    expect(withFirstRule({ message: 'm'.repeat(500) })).toEqual([]);
    expect(withFirstRule({ message: 'm'.repeat(501) })).toEqual(['rules[0].message:maxLength']);
    expect(withFirstRule({ message: 'm'.repeat(900_000) })).toEqual(['rules[0].message:maxLength']);
    expect(withFirstRule({ message: '' })).toEqual(['rules[0].message:required']);
    expect(withFirstRule({ message: 5 })).toEqual(['rules[0].message:required']);
  });

  it("checks a rule's own name: optional, a non-empty string of at most 200 characters", () => {
    expect(withFirstRule({ name: 'High amount' })).toEqual([]);
    expect(withFirstRule({ name: 'n'.repeat(200) })).toEqual([]);
    for (const name of [{ a: [1, 2] }, 5, true, null, '', '   ', ['a']])
      expect(withFirstRule({ name }), JSON.stringify(name)).toEqual(['rules[0].name:type']);
    expect(withFirstRule({ name: 'n'.repeat(201) })).toEqual(['rules[0].name:maxLength']);
  });

  it('names the list item that is not a string or a number', () => {
    expect(withLists({ deny_accounts: [1, 'a', null, { x: 1 }] }).map((e) => e.field)).toEqual([
      'lists.deny_accounts[2]',
      'lists.deny_accounts[3]',
    ]);
    expect(withLists({ vip: 'a' }).map((e) => e.field)).toEqual(['lists.vip']);
  });

  it('refuses a list without a name', () => {
    for (const name of ['', '  '])
      expect(
        withLists({ [name]: ['a'] }).map((e) => `${e.field}:${e.code}`),
        `'${name}'`,
      ).toEqual(['lists:format']);
  });

  it('refuses a number on a list a country or currency is compared with: it never matches', () => {
    const messages = (list: unknown[]) =>
      withLists({ deny_countries: list }, "origin_country in list('deny_countries')").map((e) => e.message);
    expect(messages([5])).toEqual([
      "origin_country holds ISO 3166 alpha-2 codes in upper case, such as ES: '5' (list 'deny_countries') is never equal to it",
    ]);
    expect(messages(['uk'])[0]).toContain("'uk' (list 'deny_countries') is never equal to it");
    expect(messages(['RU', 'KP'])).toEqual([]);
    const literal = withLists({}, 'currency in [978]').map((e) => e.message);
    expect(literal[0]).toContain("'978' is never equal to it");
    // An account id is text too, but any text: a number on its list matches the id written so.
    expect(withLists({ deny_accounts: [777] }, "account_id in list('deny_accounts')")).toEqual([]);
  });
});

describe('readStoredDocument', () => {
  it('reads a rule set, and says why a stored document is none', () => {
    expect(readStoredDocument(JSON.stringify(DEFAULT_RULE_SET))).toEqual({ document: DEFAULT_RULE_SET });
    expect(readStoredDocument('{"rules": [')).toEqual({
      document: null,
      problem: expect.stringMatching(/^the stored document is not JSON: /),
    });
    for (const text of ['{}', '[]', 'null', '5', '{"rules": {}}'])
      expect(readStoredDocument(text), text).toEqual({
        document: null,
        problem: 'the stored document is not a rule set: it has no rules array',
      });
  });
});
