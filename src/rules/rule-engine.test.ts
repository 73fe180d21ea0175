import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from './default-rules.js';
import { evaluateRules } from './rule-engine.js';
import { MAX_DEPTH, MAX_TREE_DEPTH } from './expression-parser.js';
import { compileRuleSet, validateRuleSet } from './rule-set.js';

const defaults = compileRuleSet(DEFAULT_RULE_SET, 1);
const base = {
  account_id: 'a',
  amount: 10,
  count_60s: 1,
  balance: null,
  origin_country: null,
  destination_country: null,
  merchant_id: null,
};
const hits = (extra: Record<string, unknown>) =>
  evaluateRules(defaults, { ...base, ...extra }).hits.map((h) => h.rule_id);

describe('default rule set', () => {
  it('is valid', () => {
    expect(validateRuleSet(DEFAULT_RULE_SET)).toEqual([]);
  });

  it('HIGH_AMOUNT: 10000 does not match, 10000.01 does', () => {
    expect(hits({ amount: 10000 })).toEqual([]);
    expect(hits({ amount: 10000.01 })).toEqual(['HIGH_AMOUNT']);
  });

  it('VELOCITY_1M: 3 in 60 s does not match, 4 does', () => {
    expect(hits({ count_60s: 3 })).toEqual([]);
    expect(hits({ count_60s: 4 })).toEqual(['VELOCITY_1M']);
  });

  it('CROSS_BORDER needs both countries, different', () => {
    expect(hits({ origin_country: 'ES', destination_country: 'FR' })).toEqual(['CROSS_BORDER']);
    expect(hits({ origin_country: 'ES', destination_country: 'ES' })).toEqual([]);
    expect(hits({ origin_country: 'ES' })).toEqual([]);
  });

  it('LOW_BALANCE: above 0.9 × balance; no balance, no match', () => {
    expect(hits({ amount: 90, balance: 100 })).toEqual([]);
    expect(hits({ amount: 90.01, balance: 100 })).toEqual(['LOW_BALANCE']);
    expect(hits({ amount: 90.01 })).toEqual([]);
  });

  it('reports every match, most severe first', () => {
    expect(
      hits({ amount: 20000, balance: 100, count_60s: 5, origin_country: 'ES', destination_country: 'FR' }),
    ).toEqual(['HIGH_AMOUNT', 'VELOCITY_1M', 'CROSS_BORDER', 'LOW_BALANCE']);
  });
});

describe('rule errors', () => {
  it('a rule that cannot be evaluated is an error outcome, the others still run', () => {
    const ruleSet = compileRuleSet(
      {
        rules: [
          {
            id: 'BROKEN',
            condition: 'amount > 0.5 * balance',
            message: 'm',
            severity: 'low',
            score: 10,
            action: 'review',
          },
          { id: 'BIG', condition: 'amount > 5', message: 'm', severity: 'low', score: 10, action: 'review' },
        ],
      },
      2,
    );
    const result = evaluateRules(ruleSet, { ...base, amount: 10 });
    expect(result.hits.map((h) => h.rule_id)).toEqual(['BIG']);
    expect(result.errors).toEqual([
      { rule_id: 'BROKEN', outcome: 'error', message: expect.stringContaining('null') },
    ]);
  });

  it('validation lists every problem with its path', () => {
    const errors = validateRuleSet({
      lists: { x: [{}] },
      rules: [
        { id: '1bad', condition: 'amount >', message: '', severity: 'huge', score: 101, action: 'ban' },
        { id: 'DUP', condition: 'true', message: 'm', severity: 'low', score: 1, action: 'review' },
        { id: 'DUP', condition: 'true', message: 'm', severity: 'low', score: 1, action: 'review' },
      ],
    });
    expect(errors.map((e) => e.field)).toEqual([
      'lists.x[0]',
      'rules[0].id',
      'rules[0].message',
      'rules[0].severity',
      'rules[0].action',
      'rules[0].score',
      'rules[0].condition',
      'rules[2].id',
    ]);
  });

  it('validation refuses a name or reason_code that is not text', () => {
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    for (const name of [true, { a: 1 }, 5, ['a'], '', 'n'.repeat(201)]) {
      expect(
        validateRuleSet({ ...DEFAULT_RULE_SET, name }).map((e) => e.field),
        JSON.stringify(name),
      ).toEqual(['name']);
    }
    const errors = validateRuleSet({ ...DEFAULT_RULE_SET, rules: [{ ...first, reason_code: 5 }, ...rest] });
    expect(errors.map((e) => e.field)).toEqual(['rules[0].reason_code']);
  });

  it('validation refuses conditions nested past the limit, and names of built-in object members', () => {
    const rule = (condition: string) => ({
      ...DEFAULT_RULE_SET,
      rules: [{ ...DEFAULT_RULE_SET.rules[0], condition }],
    });
    const codes = (condition: string) => validateRuleSet(rule(condition)).map((e) => `${e.field}:${e.code}`);
    // The limits are exact: MAX_DEPTH brackets, `not`s or minus signs pass, one more does not.
    const brackets = (n: number) => '('.repeat(n) + 'true' + ')'.repeat(n);
    expect(codes(brackets(MAX_DEPTH))).toEqual([]);
    expect(codes(brackets(MAX_DEPTH + 1))).toEqual(['rules[0].condition:syntax']);
    expect(codes('not '.repeat(MAX_DEPTH) + 'true')).toEqual([]);
    expect(codes('not '.repeat(MAX_DEPTH + 1) + 'true')).toEqual(['rules[0].condition:syntax']);
    expect(codes('-'.repeat(MAX_DEPTH) + '1 < 0')).toEqual([]);
    expect(codes('amount in ' + '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))).toEqual([]);
    expect(codes('amount in ' + '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1))).toEqual([
      'rules[0].condition:syntax',
    ]);
    // Long flat chains are not nesting: a thousand alternatives still compile, and a chain of
    // MAX_TREE_DEPTH operators (here the comparison and the sums under it) does too.
    expect(codes(Array.from({ length: 1000 }, (_, i) => `merchant_id == 'm${i}'`).join(' or '))).toEqual([]);
    expect(codes('amount' + ' + amount'.repeat(MAX_TREE_DEPTH - 1) + ' > 0')).toEqual([]);
    expect(codes('amount' + ' + amount'.repeat(MAX_TREE_DEPTH) + ' > 0')).toEqual([
      'rules[0].condition:syntax',
    ]);
    expect(codes('true' + ' and true'.repeat(MAX_TREE_DEPTH))).toEqual([]);
    expect(codes('true' + ' and true'.repeat(MAX_TREE_DEPTH + 1))).toEqual(['rules[0].condition:syntax']);
    for (const deep of [
      'not '.repeat(10_000) + 'true',
      '-'.repeat(10_000) + '1 > 0',
      'amount in ' + '['.repeat(2_000) + ']'.repeat(2_000),
      '('.repeat(5_000) + 'true' + ')'.repeat(5_000),
      'amount' + ' + amount'.repeat(10_000) + ' > 0',
      'true' + ' and true'.repeat(10_000),
    ]) {
      expect(codes(deep), deep.slice(0, 20)).toEqual(['rules[0].condition:syntax']);
    }
    for (const name of ['toString', 'hasOwnProperty', 'constructor', '__proto__', 'valueOf']) {
      expect(codes(`account_id in list('${name}')`)).toEqual(['rules[0].condition:syntax']);
      expect(codes(`${name}(amount) > 1`)).toEqual(['rules[0].condition:syntax']);
    }
  });

  it('validation refuses a description that is not text, on the rule set and on a rule', () => {
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    const fields = (document: object) => validateRuleSet(document).map((e) => `${e.field}:${e.code}`);
    expect(fields({ ...DEFAULT_RULE_SET, description: { a: 1 } })).toEqual(['description:type']);
    expect(fields({ ...DEFAULT_RULE_SET, description: 'x'.repeat(2001) })).toEqual(['description:type']);
    expect(fields({ ...DEFAULT_RULE_SET, rules: [{ ...first, description: 5 }, ...rest] })).toEqual([
      'rules[0].description:type',
    ]);
    expect(fields({ ...DEFAULT_RULE_SET, description: 'Card-present rules, v2' })).toEqual([]);
  });

  it('validation refuses text no store can keep (a file applied from the CLI passes no API check)', () => {
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    const errors = validateRuleSet({
      ...DEFAULT_RULE_SET,
      rules: [{ ...first, message: 'nul\u0000' }, ...rest],
    });
    expect(errors).toContainEqual(
      expect.objectContaining({ field: 'rules[0].message', code: 'nul_character' }),
    );
    const half = validateRuleSet({ ...DEFAULT_RULE_SET, lists: { names: ['x\ud800'] } });
    expect(half).toContainEqual(expect.objectContaining({ field: 'lists.names[0]', code: 'lone_surrogate' }));
  });

  it('validation refuses conditions that could only fail or never give true or false, and keeps those that may', () => {
    const messages = (condition: string) =>
      validateRuleSet({
        ...DEFAULT_RULE_SET,
        rules: [{ id: 'X', condition, message: 'x', score: 10, action: 'review', severity: 'low' }],
      }).map((e) => `${e.field}: ${e.message}`);
    const refused = {
      'amount in 5': "'in' needs a list, not 5, a number",
      'min() > 1': 'min() takes at least 1 argument, not 0',
      'abs(amount, 2) > 1': 'abs() takes 1 argument, not 2',
      'amount + 1': 'A condition must give true or false; this one gives a number',
      "amount > 'abc'": "'>' needs a number, not 'abc', text",
      'account_id > 5': "'>' needs a number, not account_id, text",
      'not amount': "'not' needs true/false, not amount, a number",
      'location_match and count_60s > 3': "'and' needs true/false, not location_match, a number",
      "lower(amount) == 'x'": 'lower() needs text, not amount, a number',
      '-currency < 1': "'-' needs a number, not currency, text",
      'null > 3': "'>' needs a number, not null",
      'amount / 0 > 1': "'/' by zero",
      'amount % -0.0 > 1': "'%' by zero",
      '0 / (0) == 0': "'/' by zero",
      'amount > 1e309': 'A number is too large to compute with (it reads as infinity)',
      'amount > -1e400': 'A number is too large to compute with (it reads as infinity)',
      // Deep in a long chain: checked without recursion (2,000 levels are allowed).
      ['amount' + ' + amount'.repeat(1500) + " + 'x' > 0"]: "'+' needs a number, not 'x', text",
    };
    for (const [condition, message] of Object.entries(refused))
      expect(messages(condition), condition.slice(0, 30)).toEqual([`rules[0].condition: ${message}`]);
    for (const fine of [
      'coalesce(balance, 0) > 5', // balance may be null: that is the data's, not the rule's, fault
      "coalesce(balance, 'x') > 1", // not known before it runs
      'balance == null or amount > 2',
      "account_id == 5 or merchant_type in ['a', 'b']",
      'max(amount, balance) > 10 and cross_border == 1',
      'amount % 7 == 0 and not (hour_of_day < 6)',
      'amount / (balance - balance) > 1', // may divide by zero: the data's fault, an error outcome
      'amount > 1e308',
      'true',
      'amount' + ' + amount'.repeat(1998) + ' > 0',
    ])
      expect(messages(fine), fine.slice(0, 30)).toEqual([]);
  });

  it('validation refuses comparing a country or currency with text it never holds, in literals and lists', () => {
    const withLists = (lists: Record<string, string[]>, condition: string) =>
      validateRuleSet({
        ...DEFAULT_RULE_SET,
        lists: { ...DEFAULT_RULE_SET.lists, ...lists },
        rules: [{ id: 'X', condition, message: 'x', score: 10, action: 'review', severity: 'low' }],
      }).map((e) => e.message);
    expect(withLists({ deny_countries: ['RU', 'ru'] }, "origin_country in list('deny_countries')")).toEqual([
      "origin_country holds ISO 3166 alpha-2 codes in upper case, such as ES: 'ru' (list 'deny_countries') is never equal to it",
    ]);
    expect(withLists({}, "currency == 'eur'")[0]).toContain("'eur' is never equal to it");
    expect(withLists({}, "'UK' == destination_country")[0]).toContain("'UK' is never equal to it");
    expect(withLists({}, "destination_country not in ['GB', 'xx']")[0]).toContain(
      "'xx' is never equal to it",
    );
    expect(
      withLists(
        { deny_countries: ['RU', 'KP'] },
        "origin_country in list('deny_countries') or currency in ['USD', 'EUR']",
      ),
    ).toEqual([]);
    // A stored rule set saved before the check still compiles.
    const stored = { ...DEFAULT_RULE_SET, lists: { ...DEFAULT_RULE_SET.lists, deny_countries: ['ru'] } };
    expect(() => compileRuleSet(stored, 2)).not.toThrow();
  });

  it('validation refuses fields a rule set does not read, and a blank message', () => {
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    const errors = validateRuleSet({
      ...DEFAULT_RULE_SET,
      rulez: [],
      rules: [{ ...first, enable: false, message: '   ' }, ...rest],
    });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['rulez', 'unknown'],
      ['rules[0].enable', 'unknown'],
      ['rules[0].message', 'required'],
    ]);
  });
});
