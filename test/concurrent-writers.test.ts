import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, migrate, openStore, type Store } from '../src/store/database.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';
import {
  assignModelRole,
  clearModelRole,
  insertModelVersion,
} from '../src/models/model-version.repository.js';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { RulesService } from '../src/rules/rules.service.js';
import {
  availableDialects,
  createTestStore,
  storeForSuite,
  TEST_DATABASE_URL,
  type TestStore,
} from './dialects.js';

// Records several processes on one store write at the same moment: rule sets and model
// versions (numbered by the store, one of them active) and the first admin key. Since
// migration 0013 a unique index also refuses a second active row, so without the lock these
// tests fail on that error rather than on the counts.

const dialects = await availableDialects();

const ROUNDS = 20;

// On PostgreSQL, API nodes and workers; on SQLite, the service and a CLI command (`centinela
// rules apply`, `models activate`) on the same file.
describe.each(dialects)('records written by several processes at once (%s)', (dialect) => {
  let test: TestStore;
  const stores: Store[] = [];
  let first: Store;
  beforeAll(async () => {
    test = await createTestStore(dialect);
    first = openStore({ url: test.url });
    stores.push(first);
    await migrate(first.db);
    // Separate stores (separate pools or SQLite writer threads), as separate processes have.
    for (let i = 0; i < 3; i++) stores.push(openStore({ url: test.url }));
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await test.drop();
  });

  const ruleSets = () => first.db.selectFrom('rule_sets').select(['version', 'name', 'active']).execute();
  const startedRules = async () => {
    const services = stores.map((store) => new RulesService(store.db));
    await Promise.all(services.map((service) => service.init()));
    return services;
  };

  // Workers started together on a new PostgreSQL store all found no rule set and inserted
  // version 1; all but one then stopped on the primary key (seen in the pipeline bench).
  it('installs the default rule set once when processes start together', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await first.db.deleteFrom('rule_sets').execute();
      const services = await startedRules();
      for (const service of services) expect(service.current().document).toEqual(DEFAULT_RULE_SET);
      expect(await ruleSets()).toEqual([{ version: 1, name: DEFAULT_RULE_SET.name, active: 1 }]);
    }
  });

  it('gives rule sets saved at the same moment their own versions, one of them active', async () => {
    await first.db.deleteFrom('rule_sets').execute();
    const services = await startedRules();
    for (let round = 0; round < ROUNDS; round++) {
      const saved = await Promise.all(
        services.map((service, i) => service.save({ ...DEFAULT_RULE_SET, name: `r${round}-${i}` }, 'test')),
      );
      expect(new Set(saved.map((s) => s.version)).size).toBe(services.length);
      const rows = await ruleSets();
      expect(rows.filter((r) => r.active === 1)).toHaveLength(1);
      for (const s of saved) expect(rows.find((r) => r.version === s.version)?.name).toBe(s.name);
    }
  });

  it('keeps one active rule set when versions are activated at the same moment', async () => {
    const services = await startedRules();
    const versions: number[] = [];
    for (const service of services)
      versions.push((await service.save(DEFAULT_RULE_SET, 'test', false)).version);
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        services.map((service, i) => service.activate(versions[(i + round) % versions.length] ?? 1)),
      );
      expect((await ruleSets()).filter((r) => r.active === 1)).toHaveLength(1);
    }
  });

  const modelRoles = () => first.db.selectFrom('model_versions').select(['version', 'role']).execute();

  it('numbers model versions saved at the same moment apart, and keeps one per role', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const saved = await Promise.all(stores.map((store) => insertModelVersion(store.db, modelRow())));
      expect(new Set(saved).size).toBe(stores.length);
      await Promise.all(
        stores.map((store, i) =>
          assignModelRole(store.db, i % 2 === 0 ? 'active' : 'shadow', saved[i] ?? '', i),
        ),
      );
      const roles = (await modelRoles()).map((r) => r.role);
      expect(roles.filter((r) => r === 'active')).toHaveLength(1);
      expect(roles.filter((r) => r === 'shadow')).toHaveLength(1);
    }
    expect(await modelRoles()).toHaveLength(ROUNDS * stores.length);
  });

  it('creates one first admin key when API processes start together', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await first.db.deleteFrom('api_keys').execute();
      const created = await Promise.all(
        stores.map((store) => new ApiKeyService(store.db).createFirstAdminKey()),
      );
      const keys = created.filter((k) => k !== undefined);
      expect(keys).toHaveLength(1);
      const stored = await first.db.selectFrom('api_keys').select(['id', 'scopes']).execute();
      expect(stored).toEqual([{ id: keys[0]?.id, scopes: '["admin"]' }]);
      const principal = await new ApiKeyService(first.db).authenticate(keys[0]?.key ?? '');
      expect(principal?.scopes).toEqual(['admin']);
    }
  });

  // A version made the shadow while another process activates it: whichever comes second
  // sees the other's change, so the version ends active (a shadow request after the
  // activation is refused), never shadow with no active model.
  it('never leaves a version shadow when it is activated at the same moment', async () => {
    const [a, b] = stores;
    if (!a || !b) throw new Error('two stores expected');
    for (let round = 0; round < ROUNDS; round++) {
      await clearModelRole(a.db, 'shadow');
      const version = await insertModelVersion(a.db, modelRow());
      await Promise.all([
        assignModelRole(b.db, 'shadow', version, round),
        assignModelRole(a.db, 'active', version, round),
      ]);
      const roles = await modelRoles();
      expect(roles.find((r) => r.version === version)?.role).toBe('active');
      expect(roles.filter((r) => r.role === 'shadow')).toEqual([]);
    }
  });
});

function modelRow() {
  return {
    algorithm: 'gbdt',
    artefact: '{}',
    metrics: '{}',
    feature_schema: '[]',
    params: '{}',
    data_hash: 'h',
    source: 'test',
    created_at: 0,
    role: 'none' as const,
    activated_at: null,
  };
}

describe.each(dialects)('one active version (migration 0013) on %s', (dialect) => {
  const store = storeForSuite(dialect);
  const migrator = () => createMigrator(store.db);

  const insertRuleSet = (version: number, active: number, activatedAt: number | null) =>
    sql`INSERT INTO rule_sets (version, name, document, created_at, created_by, active, activated_at)
      VALUES (${version}, ${`v${version}`}, '{}', 0, 'test', ${active}, ${activatedAt})`.execute(store.db);
  const activeRuleSets = async () =>
    (await sql<{ version: number }>`SELECT version FROM rule_sets WHERE active = 1`.execute(store.db)).rows
      .map((r) => Number(r.version))
      .sort((a, b) => a - b);
  const insertModel = (version: string, role: string, activatedAt: number | null, createdAt = 0) =>
    store.db
      .insertInto('model_versions')
      .values({
        ...modelRow(),
        version,
        role: role as 'none',
        activated_at: activatedAt,
        created_at: createdAt,
      })
      .execute();
  const modelRoles = async () =>
    Object.fromEntries(
      (
        await store.db.selectFrom('model_versions').select(['version', 'role']).orderBy('version').execute()
      ).map((r) => [r.version, r.role]),
    );

  it('keeps the version activated last of a store left with two, then refuses a second', async () => {
    expect((await migrator().migrateTo('0012-alert-feature-columns')).error).toBeUndefined();
    await insertRuleSet(1, 1, 100);
    await insertRuleSet(2, 1, 300);
    await insertRuleSet(3, 1, 200);
    await insertRuleSet(4, 0, null);
    await insertModel('v1', 'active', 100);
    await insertModel('v2', 'active', 300);
    await insertModel('v3', 'shadow', null, 5);
    await insertModel('v4', 'shadow', null, 9);
    await insertModel('v5', 'none', 400);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    expect(await activeRuleSets()).toEqual([2]);
    expect(await modelRoles()).toEqual({ v1: 'none', v2: 'active', v3: 'none', v4: 'shadow', v5: 'none' });

    await expect(insertRuleSet(5, 1, 400)).rejects.toThrow();
    await expect(insertModel('v6', 'active', 500)).rejects.toThrow();
    await expect(insertModel('v6', 'shadow', null)).rejects.toThrow();

    expect((await migrator().migrateTo('0012-alert-feature-columns')).error).toBeUndefined();
    await insertRuleSet(5, 1, 400);
    await insertModel('v6', 'active', 500);
    expect(await activeRuleSets()).toEqual([2, 5]);
  });
});

// A service and a CLI command (or several workers) started together on a new or outdated
// store. On SQLite, before the migration run took the write lock, two of them ran the same
// migration and one failed ("table transactions already exists", "duplicate column name").
describe.each(dialects)('migrations run by several processes at once (%s)', (dialect) => {
  it('migrates a new store once, every process succeeding', async () => {
    for (let round = 0; round < 5; round++) {
      const test = await createTestStore(dialect);
      const stores = Array.from({ length: 4 }, () => openStore({ url: test.url }));
      try {
        await Promise.all(stores.map((store) => migrate(store.db)));
        const executed = await stores[0]!.db
          .selectFrom(sql<{ name: string }>`kysely_migration`.as('m'))
          .select('name')
          .execute();
        const names = (await createMigrator(stores[0]!.db).getMigrations()).map((m) => m.name);
        expect(executed.map((m) => m.name).sort()).toEqual([...names].sort());
      } finally {
        for (const store of stores) await store.close();
        await test.drop();
      }
    }
  });

  it('refuses a store that a newer build has migrated', async () => {
    const test = await createTestStore(dialect);
    const store = openStore({ url: test.url });
    try {
      await migrate(store.db);
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('0099-from-a-newer-build', '2027-01-01')`.execute(
        store.db,
      );
      await expect(migrate(store.db)).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: expect.stringMatching(/0099-from-a-newer-build/),
      });
    } finally {
      await store.close();
      await test.drop();
    }
  });

  it.runIf(dialect === 'postgres')('names the reason when the store cannot be read', async () => {
    const url = Object.assign(new URL(TEST_DATABASE_URL), { pathname: '/centinela_no_such_db' }).toString();
    const store = openStore({ url });
    try {
      await expect(migrate(store.db)).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: 'The store could not be migrated: database "centinela_no_such_db" does not exist',
      });
    } finally {
      await store.close();
    }
  });
});

describe('migrations next to another SQLite writer', () => {
  let test: TestStore;
  let holder: SqliteDatabase.Database | undefined;
  beforeAll(async () => {
    test = await createTestStore('sqlite');
    holder = new SqliteDatabase(test.url); // another process on the file, in WAL mode as every one is
    holder.pragma('journal_mode = WAL');
  });
  afterAll(() => holder?.close());

  it('waits for a write lock held longer than the busy timeout, then migrates', async () => {
    holder?.exec('begin immediate');
    setTimeout(() => holder?.exec('rollback'), 6_000); // past SQLite's 5 s busy timeout
    const store = openStore({ url: test.url });
    try {
      await migrate(store.db);
      expect(await store.db.selectFrom('rule_sets').select('version').execute()).toEqual([]);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('does not wait for the write lock when nothing is left to migrate', async () => {
    holder?.exec('begin immediate');
    const store = openStore({ url: test.url });
    try {
      const started = Date.now();
      await migrate(store.db);
      expect(Date.now() - started).toBeLessThan(4_000); // under the busy timeout: no write lock taken
    } finally {
      holder?.exec('rollback');
      await store.close();
    }
  });
});
