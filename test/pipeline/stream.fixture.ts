import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { deciderOptions, openServices } from '../../src/services.js';
import { Random } from '../../src/models/random.js';
import type { Database } from '../../src/store/database.js';
import { BatchDecider } from '../../src/transactions/batch-decider.js';
import { LocalIngestion } from '../../src/transactions/local-ingestion.js';
import { parseTransaction } from '../../src/transactions/transaction.js';
import type { TransactionMessage } from '../../src/transactions/transaction.worker.js';
import { availableTransports } from '../../src/transport/conformance/transport.fixture.js';
import type { Transport } from '../../src/transport/transport.js';
import { createTestStore, type TestStore } from '../dialects.js';

/** What must be identical whoever decides a transaction. */
export interface Verdict {
  readonly decision: string;
  readonly risk_score: number;
  readonly reasons: string;
  readonly features: string;
}

const T0 = Date.UTC(2026, 4, 1, 8);

/**
 * A seeded stream: many accounts, bursts (several transactions of one account seconds
 * apart) and out-of-order timestamps (about 1 in 8 arrives up to 10 minutes late).
 */
export function makeStream(count: number, seed: number): Record<string, unknown>[] {
  const random = new Random(seed);
  const stream: Record<string, unknown>[] = [];
  let clock = T0;
  while (stream.length < count) {
    const account = `acc-${random.int(60)}`;
    const burst = random.chance(0.15) ? 2 + random.int(5) : 1;
    for (let i = 0; i < burst && stream.length < count; i++) {
      clock += 500 + random.int(4000);
      const late = random.chance(0.12) ? random.int(600_000) : 0;
      stream.push({
        transaction_id: `s${seed}-${stream.length}`,
        account_id: account,
        amount: Math.round(random.logNormal(80, 1.2) * 100) / 100,
        timestamp: new Date(clock - late).toISOString(),
        origin_country: 'ES',
        destination_country: random.chance(0.1) ? 'FR' : 'ES',
        balance: random.chance(0.5) ? Math.round(random.uniform(50, 5000)) : null,
      });
    }
  }
  return stream;
}

export function pipelineConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  return loadConfig({}, { databaseUrl, partitions: 8, logLevel: 'silent', ...overrides });
}

/** The stream decided by one embedded process, in order: the reference. */
export async function referenceVerdicts(stream: readonly Record<string, unknown>[], databaseUrl: string) {
  const config = pipelineConfig(databaseUrl);
  const services = await openServices(config);
  const ingestion = new LocalIngestion(
    services.store.db,
    new BatchDecider(deciderOptions(config, services.store, services.rules, services.models)),
    {
      partitions: config.partitions,
      maxBatch: 1000,
    },
  );
  await ingestion.init();
  for (const body of stream) {
    const parsed = parseTransaction(body, { currency: 'USD', now: 0 });
    if (!parsed.ok) throw new Error('fixture rejected');
    await ingestion.submit(parsed.value, performance.now());
  }
  const verdicts = await storedVerdicts(services.store.db);
  await services.store.close();
  return verdicts;
}

/** Publishes the stream as the API does: in order, keyed by account, deduplicated by id. */
export async function publishStream(
  transport: Transport,
  stream: readonly Record<string, unknown>[],
  pauseEvery = 0,
) {
  for (const [i, body] of stream.entries()) {
    const message: TransactionMessage = { transaction: body, received_at: Date.now() };
    await transport.publish('transactions', message, {
      key: String(body.account_id),
      msgId: String(body.transaction_id),
    });
    if (pauseEvery > 0 && i % pauseEvery === pauseEvery - 1) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stored transactions, or only those with `status`. */
export async function countTransactions(
  db: Kysely<Database>,
  status?: 'pending' | 'decided',
): Promise<number> {
  let query = db.selectFrom('transactions').select((eb) => eb.fn.countAll<number>().as('n'));
  if (status) query = query.where('status', '=', status);
  return Number((await query.executeTakeFirst())?.n ?? 0);
}

/** Polls until `count` transactions are decided (or fails after `timeoutMs`). */
export async function waitForDecided(
  db: Kysely<Database>,
  count: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let decided = 0;
  while (Date.now() < deadline) {
    decided = await countTransactions(db, 'decided');
    if (decided >= count) return decided;
    await new Promise((r) => setTimeout(r, 200));
  }
  return decided;
}

/** Every stored decision, by transaction id. */
export async function storedVerdicts(db: Kysely<Database>): Promise<Map<string, Verdict>> {
  const rows = await db
    .selectFrom('transactions')
    .select(['transaction_id', 'decision', 'risk_score', 'reasons', 'features'])
    .where('status', '=', 'decided')
    .execute();
  return new Map(
    rows.map((r) => [
      r.transaction_id,
      {
        decision: String(r.decision),
        risk_score: Number(r.risk_score),
        reasons: JSON.stringify((JSON.parse(r.reasons ?? '[]') as { code: string }[]).map((x) => x.code)),
        features: r.features ?? '',
      },
    ]),
  );
}

/** Rows per transaction id above one (there must be none). */
export async function duplicateIds(db: Kysely<Database>): Promise<number> {
  const row = await sql<{
    n: number;
  }>`select count(*) - count(distinct transaction_id) as n from transactions`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

/** Whether a JetStream server answers (the pipeline tests skip without one, except under CI). */
export const hasJetStream = (await availableTransports()).includes('jetstream');

/**
 * A generated stream and, after this file's `beforeAll`, how one embedded process decides it:
 * the reference every distributed run must match exactly. Registers its own hooks.
 */
export function referenceStream(count: number, seed: number) {
  const fixture = { stream: makeStream(count, seed), reference: new Map<string, Verdict>() };
  let store: TestStore | undefined;
  beforeAll(async () => {
    store = await createTestStore('sqlite');
    fixture.reference = await referenceVerdicts(fixture.stream, store.url);
  }, 120_000);
  afterAll(() => store?.drop());
  return fixture;
}

/** The first few transactions whose stored verdict differs from the reference (none when all agree). */
export async function mismatches(db: Kysely<Database>, reference: ReadonlyMap<string, Verdict>) {
  const verdicts = await storedVerdicts(db);
  return [...reference]
    .filter(([id, v]) => JSON.stringify(verdicts.get(id)) !== JSON.stringify(v))
    .slice(0, 3);
}
