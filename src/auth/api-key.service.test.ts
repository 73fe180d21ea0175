import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { ValidationError } from '../errors.js';
import { migrate, openStore, type Store } from '../store/database.js';
import { ApiKeyService } from './api-key.service.js';

let store: Store;
let keys: ApiKeyService;
beforeAll(async () => {
  store = openStore({ url: join(tempDir('centinela-keys-'), 'c.db') });
  await migrate(store.db);
  keys = new ApiKeyService(store.db);
});
afterAll(() => store.close());

/** The error creating a key named `name` fails with (the CLI prints its message). */
async function refusal(name: string) {
  const error: unknown = await keys.create({ name, scopes: ['rules:read'] }).catch((e: unknown) => e);
  if (!(error instanceof ValidationError))
    throw new Error(`expected a ValidationError, got ${String(error)}`);
  return { message: error.message, details: error.fields };
}

describe('key names', () => {
  it('says a name is too long, and by how much', async () => {
    const message = 'name is too long: 200 characters, at most 100.';
    expect(await refusal('x'.repeat(200))).toEqual({
      message,
      details: [{ field: 'name', code: 'maxLength', message }],
    });
  });

  it('says a name is blank', async () => {
    for (const name of ['', '   '])
      expect((await refusal(name)).details, JSON.stringify(name)).toEqual([
        { field: 'name', code: 'blank', message: 'name must not be blank.' },
      ]);
  });

  it('counts characters, not UTF-16 units, once the surrounding spaces are dropped', async () => {
    const emoji = await keys.create({ name: '😀'.repeat(100), scopes: ['rules:read'] });
    expect(emoji.name).toBe('😀'.repeat(100));
    const padded = await keys.create({ name: ` ${'n'.repeat(100)} `, scopes: ['rules:read'] });
    expect(padded.name).toBe('n'.repeat(100));
    expect((await refusal('😀'.repeat(101))).message).toBe('name is too long: 101 characters, at most 100.');
  });
});
