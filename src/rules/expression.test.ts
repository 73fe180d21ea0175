import { describe, expect, it } from 'vitest';
import { compileExpression, EvaluationError } from './expression-compiler.js';
import { ExpressionSyntaxError } from './expression-parser.js';

const options = {
  variables: new Set(['amount', 'balance', 'country', 'count_60s', 'account_id']),
  lists: { deny: ['a1', 'a2'] },
};
const run = (source: string, context: Record<string, unknown> = {}) =>
  compileExpression(source, options)(context);

describe('rule conditions', () => {
  it('respects precedence of arithmetic, comparison and logic', () => {
    expect(run('1 + 2 * 3 == 7')).toBe(true);
    expect(run('(1 + 2) * 3 == 9')).toBe(true);
    expect(run('-2 * -3 > 5 and not false or false')).toBe(true);
    expect(run('10 % 4 == 2 && !(1 > 2) || false')).toBe(true);
  });

  it('reads fields and compares with null safely', () => {
    expect(run('balance != null and amount > 0.9 * balance', { amount: 91, balance: 100 })).toBe(true);
    expect(run('balance != null and amount > 0.9 * balance', { amount: 90, balance: 100 })).toBe(false);
    expect(run('balance != null and amount > 0.9 * balance', { amount: 90 })).toBe(false);
  });

  it('supports in with literal lists and named lists', () => {
    expect(run("country in ['ES', 'FR']", { country: 'FR' })).toBe(true);
    expect(run("country not in ['ES', 'FR']", { country: 'FR' })).toBe(false);
    expect(run("account_id in list('deny')", { account_id: 'a2' })).toBe(true);
    expect(run('max(amount, 5) - abs(-1) == 4', { amount: 1 })).toBe(true);
  });

  it('matches a number in a list with the text the parser makes of it, and back', () => {
    const numbers = { ...options, lists: { deny: [777, 'a1'] } };
    const runWith = (source: string, context: Record<string, unknown>) =>
      compileExpression(source, numbers)(context);
    // An account id sent as the number 777 is stored and evaluated as the text '777'.
    expect(runWith("account_id in list('deny')", { account_id: '777' })).toBe(true);
    expect(run('account_id in [777]', { account_id: '777' })).toBe(true);
    expect(run("amount in ['100', 'x']", { amount: 100 })).toBe(true);
    expect(run('account_id not in [777]', { account_id: '777' })).toBe(false);
    // Only the way a number is written as text: '0777' and '7.70' are other ids.
    expect(run("amount in ['0777', '7.70']", { amount: 777 })).toBe(false);
    expect(run("amount in ['0777', '7.70']", { amount: 7.7 })).toBe(false);
    expect(run('account_id in [777]', { account_id: '0777' })).toBe(false);
    // == and != compare the same way.
    expect(run('account_id == 777', { account_id: '777' })).toBe(true);
    expect(run("amount == '100'", { amount: 100 })).toBe(true);
    expect(run('account_id != 777', { account_id: '777' })).toBe(false);
    expect(run('account_id == 777', { account_id: '0777' })).toBe(false);
  });

  it("reads quoted 'not', 'in' and ')' as text, never as the keyword or bracket", () => {
    expect(run("'not' == country", { country: 'not' })).toBe(true);
    expect(run("'not' != country", { country: 'ES' })).toBe(true);
    expect(run("not 'in' in ['a']")).toBe(true);
    expect(() => run("(amount > 1 ')'")).toThrow(ExpressionSyntaxError);
  });

  it('throws an evaluation error for arithmetic on a missing value', () => {
    expect(() => run('amount > 0.9 * balance', { amount: 5 })).toThrow(EvaluationError);
    expect(() => run('amount / 0 > 1', { amount: 5 })).toThrow(/division by zero/);
    expect(() => run('amount * 1e308 * 10 > 1', { amount: 5 })).toThrow(
      "'*' needs numbers, got a number out of range",
    );
    expect(() => run('amount and true', { amount: 5 })).toThrow(EvaluationError);
  });

  it('calls each function on values of the kind it takes, and fails on a missing one', () => {
    expect(run("lower(country) == 'es' and upper('fr') == 'FR'", { country: 'ES' })).toBe(true);
    expect(run('min(amount, 3, balance) == 2 and abs(-2.5) == 2.5', { amount: 5, balance: 2 })).toBe(true);
    expect(run("coalesce(balance, amount) == 5 and coalesce(country, 'none') == 'none'", { amount: 5 })).toBe(
      true,
    );
    expect(() => run('abs(balance) > 1', { amount: 5 })).toThrow("'abs' needs numbers, got null");
    expect(() => run("lower(country) == 'es'", {})).toThrow("'lower' needs a string, got null");
    // Argument counts are checked when a rule set is saved, not when a stored one is compiled
    // (as here): a missing argument fails as null, extra ones are left out, every one is
    // evaluated first.
    expect(() => run('abs() != 0')).toThrow("'abs' needs numbers, got null");
    expect(() => run("lower() == 'x'")).toThrow("'lower' needs a string, got null");
    expect(run("lower('A', 5) == 'a'")).toBe(true);
    expect(() => run('min(country, 1 / 0) > 1', {})).toThrow(/division by zero/);
  });

  it.each([
    ['amount >', /end of condition/],
    ['amount > 3)', /Unexpected '\)'/],
    ['amont > 3', /Unknown field 'amont'/],
    ["account_id in list('nope')", /Unknown list/],
    ['amount $ 3', /Unexpected character/],
    ['frobnicate(1)', /Unknown function/],
  ])('rejects %s', (source, message) => {
    expect(() => compileExpression(source, options)).toThrow(ExpressionSyntaxError);
    expect(() => compileExpression(source, options)).toThrow(message);
  });
});
