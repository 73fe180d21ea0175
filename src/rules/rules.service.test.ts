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
});
