import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openStore, type Store } from '../src/store/database.js';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { RulesService } from '../src/rules/rules.service.js';
import { availableDialects, createTestStore, type TestStore } from './dialects.js';

// Workers share a store only on PostgreSQL (embedded SQLite has one process).
const postgres = (await availableDialects()).includes('postgres');

describe.skipIf(!postgres)('rule sets on a new PostgreSQL store', () => {
  let test: TestStore;
  const stores: Store[] = [];
  beforeAll(async () => {
    test = await createTestStore('postgres');
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await test.drop();
  });

  // Workers started together on a new PostgreSQL store all found no rule set and inserted
  // version 1; all but one then stopped on the primary key (seen in the pipeline bench).
  it('starts processes that install the default rule set at the same time', async () => {
    const first = openStore({ url: test.url });
    stores.push(first);
    await migrate(first.db);
    // Separate stores (separate pools or SQLite workers), as separate processes have.
    for (let i = 0; i < 3; i++) stores.push(openStore({ url: test.url }));
    for (let round = 0; round < 20; round++) {
      await first.db.deleteFrom('rule_sets').execute();
      const services = stores.map((store) => new RulesService(store.db));
      await Promise.all(services.map((service) => service.init()));
      for (const service of services) expect(service.current().document).toEqual(DEFAULT_RULE_SET);
    }
  });
});
