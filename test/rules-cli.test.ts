import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.service.js';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { insertRuleSet } from '../src/rules/rule-set.repository.js';
import { RulesService } from '../src/rules/rules.service.js';
import { migrate, openStore, type Store } from '../src/store/database.js';
import { cli, tempDir } from './helpers.js';

/** `centinela rules` (black-box probe findings): listing, apply, show. */
describe('centinela rules', () => {
  const dir = tempDir('centinela-rules-cli-');
  const db = join(dir, 'centinela.db');
  /** The store, opened by the test only between CLI runs. */
  const withStore = async <T>(use: (store: Store) => Promise<T>): Promise<T> => {
    const store = openStore({ url: db });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  };
  const stored = (document: string, name = 'by hand') =>
    withStore((store) =>
      insertRuleSet(store.db, { name, document, createdBy: 'test', activate: false, now: Date.now() }),
    );

  beforeAll(() =>
    withStore(async (store) => {
      await migrate(store.db);
      await new RulesService(store.db).init();
    }),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies a file that starts with a byte order mark, and records the activation it makes', async () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\ufeff${JSON.stringify({ ...DEFAULT_RULE_SET, name: 'with-bom' })}`);
    const applied = cli('rules', 'apply', file, '--db', db, '--json');
    expect(applied.status, applied.stdout).toBe(0);
    expect(applied.json()).toMatchObject({ version: 2, active: true, name: 'with-bom' });
    const entries = await withStore(
      async (store) => (await new AuditLog(store.db).list({ limit: 10 })).items,
    );
    expect(entries.map((e) => [e.action, e.target, e.actor, e.details])).toEqual([
      ['rules.activate', '2', 'cli', { previous: 1 }],
      ['rules.save', '2', 'cli', { name: 'with-bom', activated: true }],
    ]);
  });

  it('refuses a rule set over 1 MiB as JSON, which the API could not be sent either', () => {
    const file = join(dir, 'big.json');
    const deny = Array.from({ length: 110_000 }, (_, i) => `acc-${i}`);
    writeFileSync(file, JSON.stringify({ ...DEFAULT_RULE_SET, lists: { deny_accounts: deny } }));
    const result = cli('rules', 'apply', file, '--db', db, '--json');
    expect(result.status).toBe(1);
    expect(result.json().error).toMatchObject({
      code: 'RULESET_INVALID',
      details: [{ field: '', code: 'too_large' }],
    });
  });

  it('shows the allow and deny lists, long ones shortened', () => {
    const file = join(dir, 'lists.json');
    const lists = {
      ...DEFAULT_RULE_SET.lists,
      deny_countries: ['KP', 'IR'],
      deny_accounts: Array.from({ length: 500 }, (_, i) => `account-${i}`),
    };
    writeFileSync(file, JSON.stringify({ ...DEFAULT_RULE_SET, name: 'lists', lists }));
    const applied = cli('rules', 'apply', file, '--db', db, '--no-activate', '--json');
    expect(applied.status, applied.stdout).toBe(0);
    const version = applied.json().version as number;
    const shown = cli('rules', 'show', String(version), '--db', db);
    expect(shown.status).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines).toContain('  deny_countries (2): KP, IR');
    expect(lines).toContain('  allow_merchants (0):');
    const accounts = lines.find((line) => line.startsWith('  deny_accounts (500): account-0, account-1'));
    expect(accounts).toMatch(/, … and \d+ more$/);
    expect(accounts?.length).toBeLessThan(130);
  });

  it('shows a stored version that is not JSON as unreadable, not as a rule set with no rules', async () => {
    const version = await stored('{"rules": [');
    const shown = cli('rules', 'show', String(version), '--db', db);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('Unreadable: the stored document is not JSON: ');
    expect(shown.stdout).not.toContain('(none)');
    expect(cli('rules', 'show', String(version), '--db', db, '--json').json()).toMatchObject({
      version,
      document: null,
      problem: expect.stringMatching(/^the stored document is not JSON/),
    });
  });

  it('lists every version, a page at a time, without reading their documents', async () => {
    const document = JSON.stringify(DEFAULT_RULE_SET);
    const newRuleSet = { document, createdBy: 'test', activate: false, now: Date.now() };
    await withStore(async (store) => {
      for (let i = 0; i < 505; i++) await insertRuleSet(store.db, { ...newRuleSet, name: `bulk-${i}` });
      // A count that is not its document's: only a listing that reads the column shows it.
      await insertRuleSet(store.db, { ...newRuleSet, name: 'counted', ruleCount: 99 });
    });
    const listed = cli('rules', 'list', '--db', db, '--json');
    expect(listed.status).toBe(0);
    const items = listed.json() as { version: number; rules: number; document?: unknown }[];
    const versions = items.map((v) => v.version);
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => versions.length - i));
    expect(versions.length).toBeGreaterThan(505);
    expect(items.find((v) => v.version === 1)).toMatchObject({ rules: DEFAULT_RULE_SET.rules.length });
    expect(items[0]).toMatchObject({ name: 'counted', rules: 99 });
    expect(items.some((v) => 'document' in v)).toBe(false);
  });
});
