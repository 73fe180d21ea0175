import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { migrate, openStore } from '../store/database.js';
import { DEFAULT_RULE_SET } from './default-rules.js';
import { insertRuleSet } from './rule-set.repository.js';
import { RulesService } from './rules.service.js';

describe('RulesService', () => {
  it('still uses an active rule set saved before a check refused it, and warns that it would be refused', async () => {
    const store = openStore({ url: join(tempDir('centinela-rules-'), 'c.db') });
    try {
      await migrate(store.db);
      const rules = new RulesService(store.db);
      await rules.init();
      // Saved before lower-case country codes were refused: a deny list that never matches.
      const document = { ...DEFAULT_RULE_SET, lists: { ...DEFAULT_RULE_SET.lists, deny_countries: ['ru'] } };
      await insertRuleSet(store.db, {
        name: 'old',
        document: JSON.stringify(document),
        createdBy: 'test',
        activate: true,
        now: Date.now(),
      });
      const warnings: Error[] = [];
      const listen = (warning: Error) => warnings.push(warning);
      process.on('warning', listen);
      await rules.refresh();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      process.off('warning', listen);
      expect(rules.current().version).toBe(2);
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(
          /^The active rule set v2 would be refused if saved today \(rules\[\d+\]\.condition: .*'ru'/,
        ),
      ]);
    } finally {
      await store.close();
    }
  });

  /** A store whose active version (2) no longer compiles: written before a grammar change, or by hand. */
  async function storeWithBrokenActiveSet() {
    const store = openStore({ url: join(tempDir('centinela-rules-'), 'c.db') });
    await migrate(store.db);
    await new RulesService(store.db).init();
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    const document = { ...DEFAULT_RULE_SET, rules: [{ ...first, condition: 'amount >> 5' }, ...rest] };
    const newRuleSet = { name: 'broken', document: JSON.stringify(document), createdBy: 'test' };
    await insertRuleSet(store.db, { ...newRuleSet, activate: true, now: Date.now() });
    return store;
  }

  it('starts with an active set that no longer compiles, refuses to decide with it, and lets it be replaced', async () => {
    const store = await storeWithBrokenActiveSet();
    try {
      const rules = new RulesService(store.db);
      await rules.init(); // the repair commands need the service: init does not fail
      const refusal = expect.objectContaining({
        code: 'RULESET_INVALID',
        message: expect.stringMatching(
          /^The active rule set v2 cannot be evaluated \(rules\[0\]\.condition: /,
        ),
        details: [expect.objectContaining({ field: 'rules[0].condition', code: 'syntax' })],
      });
      expect(() => rules.assertUsable()).toThrow(refusal);
      expect(() => rules.current()).toThrow(refusal);
      expect(await rules.activeVersion()).toBe(2);
      await expect(rules.activate(2)).rejects.toMatchObject({
        code: 'RULESET_INVALID',
        message: expect.stringMatching(/^The chosen rule set v2 cannot be evaluated/),
      });
      expect((await rules.activate(1)).active).toBe(true);
      expect(() => rules.assertUsable()).not.toThrow();
      expect(rules.current().version).toBe(1);
      // Choosing it again is refused and changes nothing: version 1 stays active.
      await expect(rules.activate(2)).rejects.toMatchObject({ code: 'RULESET_INVALID' });
      expect(await rules.activeVersion()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('shows and refuses a stored document that is not a rule set (not JSON, no rules), and refuses it once', async () => {
    const store = openStore({ url: join(tempDir('centinela-rules-'), 'c.db') });
    try {
      await migrate(store.db);
      await new RulesService(store.db).init();
      const stored = (document: string, activate: boolean) =>
        insertRuleSet(store.db, { name: 'hand', document, createdBy: 'test', activate, now: Date.now() });
      await stored('{}', false); // v2
      await stored('not json', true); // v3, active
      const rules = new RulesService(store.db);
      await rules.init();
      expect(() => rules.current()).toThrow(
        expect.objectContaining({
          code: 'RULESET_INVALID',
          details: [expect.objectContaining({ code: 'json' })],
          message: expect.stringContaining(
            'The active rule set v3 cannot be evaluated (the stored document is not JSON',
          ),
        }),
      );
      // Refused once: the service's poll does not throw (and log) again until another version is active.
      await expect(rules.refresh()).resolves.toBeUndefined();
      expect((await rules.list({ limit: 10 })).items.map((v) => [v.version, v.rules])).toEqual([
        [3, 0],
        [2, 0],
        [1, DEFAULT_RULE_SET.rules.length],
      ]);
      // Shown as unreadable, not as an empty rule set.
      expect(await rules.get(3)).toMatchObject({
        document: null,
        problem: expect.stringMatching(/^the stored document is not JSON: /),
      });
      expect(await rules.get(2)).toMatchObject({
        document: null,
        problem: 'the stored document is not a rule set: it has no rules array',
      });
      await expect(rules.activate(2)).rejects.toMatchObject({
        code: 'RULESET_INVALID',
        details: [expect.objectContaining({ field: 'rules', code: 'required' })],
      });
      await expect(rules.activate(9)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await rules.activate(1)).active).toBe(true);
      expect(rules.current().version).toBe(1);
    } finally {
      await store.close();
    }
  });
});
