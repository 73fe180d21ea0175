import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestRuleSet, runBacktest, type BacktestReport } from '../src/rules/backtest.service.js';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { applyDecisionChange } from '../src/transactions/transaction-event.repository.js';
import { startTestService, type TestService } from './helpers.js';

/** The default rules with HIGH_AMOUNT lowered from 10,000 to 5,000. */
const CANDIDATE = {
  ...DEFAULT_RULE_SET,
  name: 'high-amount-5000',
  rules: DEFAULT_RULE_SET.rules.map((r) =>
    r.id === 'HIGH_AMOUNT' ? { ...r, condition: 'amount > 5000' } : r,
  ),
};

const T0 = Date.parse('2026-03-01T10:00:00Z');
const minute = (i: number) => new Date(T0 + i * 60_000).toISOString();

/** One transaction per account (no velocity, no countries, no balance): only the amount matters. */
const TRANSACTIONS = [
  { id: 'bt-1', amount: 4000, label: 'legit' }, // approve → approve
  { id: 'bt-2', amount: 6000, label: 'fraud' }, // approve → review
  { id: 'bt-3', amount: 8000, label: 'legit' }, // approve → review
  { id: 'bt-4', amount: 9999, label: null }, // approve → review
  { id: 'bt-5', amount: 12000, label: 'fraud' }, // review → review
  { id: 'bt-6', amount: 5000, label: null }, // approve → approve (not above 5000)
  { id: 'bt-7', amount: 100, label: 'fraud' }, // approve → approve
] as const;

let t: TestService;
let live: Record<string, unknown>;

beforeAll(async () => {
  t = await startTestService();
  for (const [i, tx] of TRANSACTIONS.entries()) {
    const res = await t.post({
      transaction_id: tx.id,
      account_id: `acc-${tx.id}`,
      amount: tx.amount,
      timestamp: minute(i),
    });
    expect(res.statusCode).toBe(200);
    if (tx.label !== null) {
      const labelled = await t.request({
        method: 'POST',
        url: `/v1/transactions/${tx.id}/label`,
        payload: { label: tx.label },
      });
      expect(labelled.statusCode).toBe(200);
    }
  }
  live = Object.fromEntries(await Promise.all(TRANSACTIONS.map(async (tx) => [tx.id, await stored(tx.id)])));
});
afterAll(() => t.destroy());

async function stored(id: string): Promise<unknown> {
  const res = await t.request({ method: 'GET', url: `/v1/transactions/${id}` });
  return res.json<{ decision: unknown }>().decision;
}

const backtest = (payload: object) => t.request({ method: 'POST', url: '/v1/rules/backtest', payload });

/** What lowering HIGH_AMOUNT to 5,000 does to the seven transactions above, by hand. */
function expectCandidateReport(report: BacktestReport): void {
  expect(report).toMatchObject({ total: 7, changed: 3, truncated: false });
  expect(report.rules).toEqual({ source: 'candidate', name: 'high-amount-5000', version: null });
  expect(report.decisions).toEqual({
    before: { approve: 6, review: 1, decline: 0 },
    after: { approve: 3, review: 4, decline: 0 },
  });
  expect(report.transitions.approve).toEqual({ approve: 3, review: 3, decline: 0 });
  expect(report.transitions.review).toEqual({ approve: 0, review: 1, decline: 0 });
  expect(report.reasons).toEqual([{ code: 'HIGH_AMOUNT', before: 1, after: 4, added: 3, removed: 0 }]);
  // labelled: bt-1 legit, bt-2 fraud, bt-3 legit, bt-5 fraud, bt-7 fraud
  // before: flagged {bt-5} → tp 1, fp 0, fn 2 (bt-2, bt-7), tn 2
  // after: flagged {bt-2, bt-3, bt-5} → tp 2, fp 1 (bt-3), fn 1 (bt-7), tn 1
  expect(report.labels).toMatchObject({
    labelled: 5,
    fraud: 3,
    legit: 2,
    before: { tp: 1, fp: 0, fn: 2, tn: 2, precision: 1, recall: 0.3333 },
    after: { tp: 2, fp: 1, fn: 1, tn: 1, precision: 0.6667, recall: 0.6667 },
  });
  expect(report.sample_changed.map((c) => c.transaction_id)).toEqual(['bt-2', 'bt-3', 'bt-4']);
  expect(report.sample_changed[0]).toEqual({
    transaction_id: 'bt-2',
    before: 'approve',
    after: 'review',
    added: ['HIGH_AMOUNT'],
    removed: [],
    label: 'fraud',
  });
}

describe('POST /v1/rules/backtest', () => {
  it('reports approve → review transitions and precision/recall for a lower HIGH_AMOUNT', async () => {
    const res = await backtest({ rules: CANDIDATE });
    expect(res.statusCode).toBe(200);
    expectCandidateReport(res.json());
  });

  it('leaves live decisions and the active rule set as they were', async () => {
    await backtest({ rules: CANDIDATE });
    for (const tx of TRANSACTIONS) expect(await stored(tx.id)).toEqual(live[tx.id]);
    const active = await t.request({ method: 'GET', url: '/v1/rules' });
    expect(active.json()).toMatchObject({ version: 1, name: 'default' });
  });

  it('replays the active rule set without changes when nothing changed', async () => {
    const report: BacktestReport = (await backtest({})).json();
    expect(report).toMatchObject({ total: 7, changed: 0, rules: { source: 'active', version: 1 } });
  });

  it("compares with the scorer's decision, not the one a step-up put in its place", async () => {
    // bt-5 (12,000: review) approved by the account holder's face, as a step-up does.
    const change = { transactionId: 'bt-5', type: 'step_up', verificationId: null, actor: 'test' } as const;
    await applyDecisionChange(t.service.store.db, { ...change, from: 'review', to: 'approve' });
    try {
      expect(await stored('bt-5')).toMatchObject({ decision: 'approve' });
      const report: BacktestReport = (await backtest({})).json();
      expect(report).toMatchObject({ total: 7, changed: 0 });
    } finally {
      await applyDecisionChange(t.service.store.db, { ...change, from: 'approve', to: 'review' });
    }
  });

  it('limits the replay to an event-time range and a number of transactions', async () => {
    const ranged: BacktestReport = (
      await backtest({ rules: CANDIDATE, from: minute(1), to: minute(3) })
    ).json();
    expect(ranged).toMatchObject({ total: 3, changed: 3, range: { from: minute(1), to: minute(3) } });
    const limited: BacktestReport = (await backtest({ rules: CANDIDATE, limit: 2 })).json();
    expect(limited).toMatchObject({ total: 2, changed: 1, truncated: true });
  });

  it('reads in keyset pages: any page size gives the same report', async () => {
    const { service, config } = t;
    const deps = {
      db: service.store.db,
      models: service.models,
      thresholds: { review: config.reviewThreshold, decline: config.declineThreshold },
    };
    const ruleSet = backtestRuleSet(CANDIDATE, service.rules);
    for (const pageSize of [1, 2, 3, 7]) {
      const report = await runBacktest(deps, ruleSet, { pageSize });
      expectCandidateReport(report);
    }
    const paged = await runBacktest(deps, ruleSet, { pageSize: 2, limit: 5, sampleSize: 1 });
    expect(paged).toMatchObject({ total: 5, changed: 3, truncated: true });
    expect(paged.sample_changed).toHaveLength(1);
  });

  it('answers 400 RULESET_INVALID naming the field of a bad candidate', async () => {
    const bad = { rules: [{ ...DEFAULT_RULE_SET.rules[0], condition: 'amount >' }] };
    const res = await backtest({ rules: bad });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('RULESET_INVALID');
    expect(error.details).toEqual([expect.objectContaining({ field: 'rules[0].condition', code: 'syntax' })]);
  });

  it('answers 400 for a bad range and 403 for a key without rules:admin', async () => {
    const reversed = await backtest({ from: minute(3), to: minute(1) });
    expect(reversed.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'from' }] });
    const created = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'reader', scopes: ['rules:read'] },
    });
    const reader = await t.request({
      method: 'POST',
      url: '/v1/rules/backtest',
      payload: {},
      headers: { 'x-api-key': created.json<{ key: string }>().key },
    });
    expect(reader.statusCode).toBe(403);
  });
});

describe('centinela replay', () => {
  it('prints the same report from the database file, as JSON and as tables', async () => {
    await t.close();
    const db = join(t.dir, 'centinela.db');
    const file = join(t.dir, 'candidate.json');
    writeFileSync(file, JSON.stringify(CANDIDATE));
    const json = replay('--rules', file, '--db', db, '--json');
    expect(json.status).toBe(0);
    expectCandidateReport(JSON.parse(json.stdout));

    const text = replay('--from', minute(0), '--to', minute(6), '--rules', file, '--db', db);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Replayed 7 transactions');
    expect(text.stdout).toMatch(/approve\s+3\s+3\s+0/); // transitions row
    expect(text.stdout).toMatch(/HIGH_AMOUNT\s+1\s+4\s+3\s+0/);

    const drift = replay('--db', db, '--json');
    expect(JSON.parse(drift.stdout)).toMatchObject({ total: 7, changed: 0 });
  }, 60_000);

  it('refuses a bad date', () => {
    const bad = replay('--from', 'yesterday', '--db', join(t.dir, 'centinela.db'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--from');
  });

  it('refuses a --limit outside 1 to 1,000,000, as the API does', () => {
    for (const limit of ['0', '2000000']) {
      const bad = replay('--limit', limit, '--db', join(t.dir, 'centinela.db'), '--json');
      expect(bad.status, limit).toBe(1);
      expect(JSON.parse(bad.stdout).error, limit).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: `--limit must be a whole number from 1 to 1000000, not '${limit}'.`,
        details: [{ field: '--limit' }],
      });
    }
  });

  it('reads a rule set file that starts with a byte order mark', () => {
    const file = join(t.dir, 'bom.json');
    writeFileSync(file, `\ufeff${JSON.stringify(CANDIDATE)}`);
    const json = replay('--rules', file, '--db', join(t.dir, 'centinela.db'), '--json');
    expect(json.status, json.stdout).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ rules: { source: 'candidate' } });
  });
});

function replay(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CENTINELA_ADMIN_KEY: '', CENTINELA_DATABASE_URL: '' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
