import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { migrate, openStore, type Store } from '../store/database.js';
import { assignModelRole, insertModelVersion, rollBackModel } from './model-version.repository.js';

describe('model rollback', () => {
  let store: Store;
  let now = 1_000;
  const at = () => (now += 1_000);
  const active = async () =>
    (
      await store.db.selectFrom('model_versions').select('version').where('role', '=', 'active').execute()
    ).map((r) => r.version);
  beforeAll(async () => {
    store = openStore({ url: join(tempDir('centinela-rollback-'), 'c.db') });
    await migrate(store.db);
    const row = {
      ...{ algorithm: 'gbdt', artefact: '{}', metrics: '{}', feature_schema: '[]', params: '{}' },
      ...{ data_hash: 'h', source: 'test', created_at: 0, role: 'none' as const, activated_at: null },
    };
    for (let i = 0; i < 3; i++)
      await assignModelRole(store.db, 'active', await insertModelVersion(store.db, row), at());
  });
  afterAll(() => store.close());

  it('walks back through the activations, v3 to v2 to v1, then has none left', async () => {
    expect(await active()).toEqual(['v3']);
    expect(await rollBackModel(store.db, at())).toBe('v2');
    expect(await rollBackModel(store.db, at())).toBe('v1');
    expect(await rollBackModel(store.db, at())).toBeUndefined();
    expect(await active()).toEqual(['v1']);
  });

  it('goes back to the version active before one activated again', async () => {
    await assignModelRole(store.db, 'active', 'v3', at()); // v1 → v3
    expect(await rollBackModel(store.db, at())).toBe('v1');
    await assignModelRole(store.db, 'active', 'v2', at()); // v1 → v2
    expect(await rollBackModel(store.db, at())).toBe('v1');
    expect(await active()).toEqual(['v1']);
  });
});
