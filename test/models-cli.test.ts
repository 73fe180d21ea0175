import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePrototype } from '../src/models/generators/prototype.generator.js';
import { readLabelledTransactions } from '../src/models/training-data.repository.js';
import { openStore } from '../src/store/database.js';
import { cli, startTestService, tempDir } from './helpers.js';

const dir = tempDir('centinela-models-cli-');
const db = join(dir, 'models.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The audit log of `file`, oldest first. */
async function auditedActions(file: string) {
  const store = openStore({ url: file });
  try {
    return await store.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target'])
      .orderBy('at')
      .orderBy('id')
      .execute();
  } finally {
    await store.close();
  }
}

const SMALL = ['--generator', 'prototype', '--samples', '3000', '--algorithm', 'gbdt'];

describe('centinela train and models', () => {
  it('trains on the prototype generator, registers v1 with its held-out metrics, and lists it', () => {
    const trained = cli('train', ...SMALL, '--db', db);
    expect(trained.status).toBe(0);
    expect(trained.stdout).toContain('Trained gbdt on 3000 records from generator:prototype');
    for (const heading of ['ROC-AUC', 'PR-AUC', 'recall @ 1% FPR', 'Confusion matrix', 'Calibration']) {
      expect(trained.stdout).toContain(heading);
    }
    expect(trained.stdout).toContain('Registered model version v1.');
    expect(trained.stderr).toMatch(/tree \d+\/500 .*loss [\d.]+ \| val_loss [\d.]+ \| ETA/);

    const listed = cli('models', 'list', '--db', db, '--json').json();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      version: 'v1',
      algorithm: 'gbdt',
      role: 'none',
      source: 'generator:prototype',
    });
    expect(listed[0].metrics.samples).toBe(600);
    expect(listed[0].metrics.rocAuc).toBeGreaterThan(0.5);
    expect(listed[0].metrics.confusion.tp + listed[0].metrics.confusion.fn).toBe(listed[0].metrics.positives);
  }, 60_000);

  it('trains a network with --activate and --json (no progress on stderr), deterministic under --seed, audited', async () => {
    const run = () =>
      cli(
        'train',
        '--generator',
        'prototype',
        '--samples',
        '2000',
        '--algorithm',
        'nn',
        '--epochs',
        '2',
        '--seed',
        '7',
        '--activate',
        '--db',
        db,
        '--json',
      );
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stderr).not.toMatch(/epoch \d+\/2/);
    const v2 = first.json();
    expect(v2).toMatchObject({ version: 'v2', algorithm: 'nn', role: 'active' });
    expect(v2.params).toMatchObject({ seed: 7, hyperparameters: { epochs: 2 } });
    const v3 = run().json();
    expect(v3.version).toBe('v3');
    expect(await auditedActions(db)).toEqual([
      { actor: 'cli', action: 'models.activate', target: 'v2' },
      { actor: 'cli', action: 'models.activate', target: 'v3' },
    ]);
    expect(v3.data_hash).toBe(v2.data_hash);
    expect(v3.metrics).toEqual(v2.metrics);
  }, 120_000);

  it('activates, rolls back and shadows versions', async () => {
    expect(cli('models', 'activate', 'v1', '--db', db, '--json').json()).toMatchObject({
      version: 'v1',
      role: 'active',
      unserved_inputs: ['hour', 'user_history'], // the prototype generator's own columns
    });
    const again = cli('models', 'activate', 'v1', '--db', db);
    expect(again.stdout).toContain('Warning: the live scorer has no hour, user_history');
    const rolledBack = cli('models', 'rollback', '--db', db);
    expect(rolledBack.status).toBe(0);
    expect(rolledBack.stdout).toContain('model v3 is active');
    expect(cli('models', 'shadow', 'v1', '--db', db, '--json').json().shadow).toMatchObject({
      version: 'v1',
      role: 'shadow',
    });
    const roles = Object.fromEntries(
      cli('models', 'list', '--db', db, '--json')
        .json()
        .map((m: { version: string; role: string }) => [m.version, m.role]),
    );
    expect(roles).toEqual({ v1: 'shadow', v2: 'none', v3: 'active' });
    expect(cli('models', 'shadow', '--off', '--db', db, '--json').json()).toEqual({ shadow: null });
    // Stopping again (none in shadow) changes nothing and audits nothing: one stop, of v1.
    expect(cli('models', 'shadow', '--off', '--db', db, '--json').json()).toEqual({ shadow: null });
    const stops = (await auditedActions(db)).filter((a) => a.action === 'models.shadow_stop');
    expect(stops).toEqual([{ actor: 'cli', action: 'models.shadow_stop', target: 'v1' }]);
    expect(cli('models', 'list', '--db', db).stdout).not.toContain('shadow');
  }, 60_000);

  it('refuses to shadow the active model and to activate an unknown version', () => {
    const active = cli('models', 'shadow', 'v3', '--db', db);
    expect(active.status).toBe(1);
    expect(active.stderr).toContain('CONFLICT');
    const unknown = cli('models', 'activate', 'v99', '--db', db);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
  }, 30_000);

  it('reports a shadow version against the live model, and names what is wrong', () => {
    const report = cli('models', 'shadow-report', '--version', 'v1', '--db', db);
    expect(report.status).toBe(0);
    expect(report.stdout).toMatch(/Shadow v1 over 0 transactions/);
    expect(report.stdout).toMatch(/model\s+versions\s+flagged\s+mean probability\s+precision\s+recall/);
    const none = cli('models', 'shadow-report', '--db', db);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('No model runs in shadow');
    const badDate = cli('models', 'shadow-report', '--version', 'v1', '--from', 'soon', '--db', db);
    expect(badDate.status).toBe(1);
    expect(badDate.stderr).toContain('--from must be an ISO-8601 date or date-time');
  }, 30_000);
});

describe("centinela train --samples N --epochs E (the prototype's command)", () => {
  it('trains the network on generated data when epochs are given without --algorithm', () => {
    const own = join(dir, 'epochs.db');
    const trained = cli('train', '--samples', '1500', '--epochs', '1', '--db', own, '--json');
    expect(trained.status).toBe(0);
    expect(trained.json()).toMatchObject({
      algorithm: 'nn',
      source: 'generator:behavioural',
      params: { hyperparameters: { epochs: 1 } },
    });
  }, 120_000);
});

describe('centinela evaluate', () => {
  const csv = join(dir, 'labelled.csv');
  const rows = generatePrototype({ samples: 1500, seed: 99 }).map((r) =>
    [
      r.amount,
      r.hour,
      r.merchant_type,
      r.user_history,
      r.device_type,
      r.location_match,
      r.is_fraud ? 'fraud' : 'legit',
    ].join(','),
  );
  writeFileSync(
    csv,
    ['amt,hour,merchant_type,user_history,device_type,location_match,outcome', ...rows].join('\n'),
  );

  /** `centinela evaluate --model v1 --db DB` with `args`. */
  const evaluate = (...args: string[]) => cli('evaluate', '--model', 'v1', '--db', db, ...args);
  const mapped = ['--data', csv, '--map', 'amt=amount', '--label', 'outcome'];

  it('evaluates a registered version on a labelled CSV with --map and --label', () => {
    const result = evaluate(...mapped, '--json');
    expect(result.status).toBe(0);
    const report = result.json();
    expect(report).toMatchObject({ version: 'v1', algorithm: 'gbdt', data: [csv] });
    expect(report.metrics.samples).toBe(1500);
    expect(report.metrics.positives).toBe(rows.filter((r) => r.endsWith(',fraud')).length);
    expect(report.metrics.threshold).toBe(0.7);
    expect(report.metrics.calibration).toHaveLength(10);
    const table = evaluate(...mapped);
    expect(table.stdout).toContain(`Model v1 (gbdt) on ${csv}`);
    expect(table.stdout).toContain('PR-AUC');
  }, 60_000);

  it('names what is wrong: a missing file, a missing label, columns the model reads', () => {
    const nope = join(dir, 'nope.csv');
    const missing = evaluate('--data', nope);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`INPUT_NOT_FOUND: No file matches '${nope}'`);
    const label = evaluate('--data', csv, '--map', 'amt=amount');
    expect(label.status).toBe(1);
    expect(label.stderr).toContain("INPUT_INVALID: The data has no label column 'is_fraud'");
    // An unknown version is named before anything about the data.
    const unknown = cli('evaluate', '--model', 'v99', '--db', db, '--data', csv, '--json');
    expect([unknown.status, unknown.json().error.code]).toEqual([1, 'NOT_FOUND']);
    expect(unknown.json().error.message).toContain('v99');
    const unmapped = evaluate('--data', csv, '--label', 'outcome');
    expect(unmapped.status).toBe(1);
    expect(unmapped.stderr).toContain('lacks columns the model reads: amount');
    const train = cli('train', '--data', nope, '--db', db);
    expect(train.status).toBe(1);
    expect(train.stderr).toContain('INPUT_NOT_FOUND');
  }, 60_000);

  it('trains without a column of bad numbers given to --exclude, as the refusal suggests', () => {
    const withRef = join(dir, 'with-ref.csv');
    const lines = readFileSync(csv, 'utf8').split('\n');
    const refs = lines.map((line, i) => (i === 0 ? 'ref' : i === 7 ? 'n/a' : String(1000 + i)));
    writeFileSync(withRef, lines.map((line, i) => `${line},${refs[i]}`).join('\n'));
    const train = (...args: string[]) =>
      cli(
        'train',
        '--data',
        withRef,
        '--map',
        'amt=amount',
        '--label',
        'outcome',
        '--algorithm',
        'gbdt',
        '--db',
        db,
        '--json',
        ...args,
      );
    const refused = train();
    expect([refused.status, refused.json().error.code]).toEqual([1, 'INPUT_INVALID']);
    expect(refused.json().error.message).toContain('leave the column out (--exclude ref)');
    const trained = train('--exclude', 'ref');
    expect(trained.status, trained.stderr).toBe(0);
    expect(JSON.stringify(trained.json())).not.toContain('"ref"');
  }, 120_000);
});

describe('centinela train --from-store', () => {
  it('trains on stored transactions labelled by analysts, with the features the scorer stored', async () => {
    const t = await startTestService({}, tempDir('centinela-from-store-'));
    const storeDb = t.config.databaseUrl;
    try {
      const t0 = Date.UTC(2026, 2, 1, 12);
      const labels: { transaction_id: string; label: 'fraud' | 'legit' }[] = [];
      for (let i = 0; i < 40; i++) {
        const fraud = i % 4 === 0;
        const id = `store-${i}`;
        const response = await t.post({
          transaction_id: id,
          account_id: `acc-${i % 10}`,
          amount: fraud ? 5000 + i : 20 + i,
          merchant_type: fraud ? 'online' : 'retail',
          timestamp: new Date(t0 + i * 60_000).toISOString(),
        });
        expect(response.statusCode).toBe(200);
        labels.push({ transaction_id: id, label: fraud ? 'fraud' : 'legit' });
      }
      await t.service.store.db
        .insertInto('transaction_labels')
        .values(labels.map((l) => ({ ...l, labelled_by: 'analyst', labelled_at: Date.now() })))
        .execute();
      const records = await readLabelledTransactions(t.service.store.db);
      expect(records).toHaveLength(40);
      expect(records[0]).toMatchObject({
        transaction_id: 'store-0',
        amount: 5000,
        merchant_type: 'online',
        is_fraud: 1,
      });
      expect(records[1]).toMatchObject({ transaction_id: 'store-1', is_fraud: 0, prior_transactions: 0 });
      expect(records[10]).toMatchObject({
        account_id: 'acc-0',
        prior_transactions: 1,
        seconds_since_previous: 600,
      });
      expect(records[0]).not.toHaveProperty('model_probability');
    } finally {
      await t.close();
    }
    const trained = cli('train', '--from-store', '--db', storeDb, '--json');
    expect(trained.status).toBe(0);
    const info = trained.json();
    expect(info).toMatchObject({ version: 'v1', source: 'store', algorithm: 'gbdt' });
    expect(info.params.sizes.train + info.params.sizes.validation + info.params.sizes.test).toBe(40);
    expect(info.metrics.positives).toBe(2); // 20% of the 10 fraud labels held out
    expect(info.feature_schema.numeric).toEqual(
      expect.arrayContaining(['amount', 'count_60s', 'prior_transactions']),
    );
    rmSync(t.dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses a store without labelled transactions of both classes', () => {
    const empty = cli('train', '--from-store', '--db', join(dir, 'empty.db'));
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('INPUT_INVALID: Training needs at least 2 fraud and 2 legit records');
  }, 30_000);
});
