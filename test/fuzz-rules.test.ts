import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../src/features/features.js';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { evaluateRules } from '../src/rules/rule-engine.js';
import {
  compileRuleSet,
  TRANSACTION_FIELDS,
  validateRuleSet,
  type RuleSetDocument,
} from '../src/rules/rule-set.js';

const VARIABLES = [...TRANSACTION_FIELDS, ...FEATURE_NAMES, 'no_such_field'];
const LISTS = ['deny_accounts', 'deny_countries', 'missing_list'];

/** Condition text from the grammar's pieces in random order: mostly nonsense, sometimes valid. */
const token = fc.oneof(
  fc.constantFrom(...VARIABLES),
  fc.constantFrom(
    '>',
    '<',
    '>=',
    '<=',
    '==',
    '!=',
    'and',
    'or',
    'not',
    'in',
    '(',
    ')',
    '+',
    '-',
    '*',
    '/',
    '%',
  ),
  fc.constantFrom('null', 'true', 'false', ...LISTS),
  fc.double({ noNaN: false }).map(String),
  fc.integer().map(String),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 4 }),
);
const condition = fc.oneof(
  fc.array(token, { minLength: 1, maxLength: 9 }).map((parts) => parts.join(' ')),
  fc
    .tuple(
      fc.constantFrom(...VARIABLES),
      fc.constantFrom('>', '<', '==', '!='),
      fc.oneof(fc.integer(), fc.constant('null')),
    )
    .map(([v, op, x]) => `${v} ${op} ${x}`),
  fc.constantFrom(...VARIABLES).map((v) => `${v} in ${LISTS[0]}`),
  fc.string({ maxLength: 40 }),
);

const rule = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,10}$/), fc.string({ maxLength: 5 })),
    condition,
    message: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(undefined)),
    severity: fc.constantFrom('low', 'medium', 'high', 'critical', 'extreme'),
    score: fc.oneof(fc.integer({ min: -10, max: 120 }), fc.double(), fc.string({ maxLength: 3 })),
    action: fc.constantFrom('review', 'decline', 'approve', 'block'),
    enabled: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: ['id', 'condition'] },
);

const ruleSet = fc.record(
  {
    name: fc.string({ maxLength: 10 }),
    lists: fc.oneof(
      fc.constant({ deny_accounts: ['acc-1', 'acc-2'], deny_countries: ['XX'] }),
      fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.double()), { maxLength: 3 }),
      ),
      fc.jsonValue(),
    ),
    rules: fc.oneof(fc.array(rule, { maxLength: 5 }), fc.jsonValue()),
  },
  { requiredKeys: ['rules'] },
);

/** An evaluation context: every variable with a value of any JSON type (or none). */
const context = fc.dictionary(
  fc.constantFrom(...VARIABLES),
  fc.oneof(
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.constant(null),
    fc.boolean(),
    fc.jsonValue(),
  ),
);

describe('rule set format, fuzzed', () => {
  it('validateRuleSet never throws on any value and always answers a list of field errors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), ruleSet), (input) => {
        const errors = validateRuleSet(input);
        expect(Array.isArray(errors)).toBe(true);
        for (const e of errors) expect(typeof e.field === 'string' && typeof e.code === 'string').toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('a rule set that validates compiles, and its evaluation never throws on any input', () => {
    let accepted = 0;
    fc.assert(
      fc.property(ruleSet, fc.array(context, { minLength: 1, maxLength: 4 }), (input, contexts) => {
        if (validateRuleSet(input).length > 0) return;
        accepted++;
        const compiled = compileRuleSet(input as unknown as RuleSetDocument, 1);
        for (const ctx of contexts) {
          const result = evaluateRules(compiled, ctx);
          expect(result.hits.length + result.errors.length).toBeLessThanOrEqual(compiled.rules.length);
        }
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(10);
  });

  it('the default rule set evaluates on any context without an exception escaping', () => {
    const compiled = compileRuleSet(DEFAULT_RULE_SET, 1);
    fc.assert(
      fc.property(context, (ctx) => {
        expect(() => evaluateRules(compiled, ctx)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
