import type { Command } from 'commander';
import { MAX_RATE_LIMIT_PER_MINUTE } from '../auth/api-key.service.js';
import { wholeNumberOf, withServices, withStoreFlags, type StoreFlags } from './common.js';
import { formatTable, printResult } from './output.js';

interface CreateFlags {
  scopes: string;
  name: string;
  expiresInDays?: string;
  rateLimit?: string;
}

/** Keys live at most 100 years (a longer expiry is no expiry: leave the flag out). */
const MAX_EXPIRY_DAYS = 36_500;

/** `centinela keys create|list|revoke`. */
export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  withStoreFlags(keys.command('create'))
    .description('create a key; its secret is printed only once')
    .requiredOption('--scopes <list>', 'comma-separated scopes, e.g. transactions:write,transactions:read')
    .option('--name <name>', 'a label for the key', 'cli')
    .option('--expires-in-days <days>', 'expire the key after this many days')
    .option('--rate-limit <n>', 'requests per minute for this key (default: CENTINELA_RATE_LIMIT_PER_MINUTE)')
    .action(async (flags: StoreFlags & CreateFlags) => {
      await withServices(flags, async ({ keys: service, audit }) => {
        const expiresAt =
          flags.expiresInDays === undefined
            ? null
            : Date.now() +
              wholeNumberOf(flags.expiresInDays, '--expires-in-days', 1, MAX_EXPIRY_DAYS) * 86_400_000;
        const scopes = flags.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const rateLimitPerMinute =
          flags.rateLimit === undefined
            ? null
            : wholeNumberOf(flags.rateLimit, '--rate-limit', 1, MAX_RATE_LIMIT_PER_MINUTE);
        const created = await service.create({ name: flags.name, scopes, expiresAt, rateLimitPerMinute });
        const { key: _secret, ...info } = created;
        await audit.record('cli', 'keys.create', created.id, info);
        printResult(Boolean(flags.json), created, () =>
          [`Key ${created.id} (${created.scopes.join(', ')}). Shown only once:`, created.key].join('\n'),
        );
      });
    });

  withStoreFlags(keys.command('list'))
    .description('list keys (never their secrets)')
    .action(async (flags: StoreFlags) => {
      await withServices(flags, async ({ keys: service }) => {
        const items = await service.list();
        printResult(Boolean(flags.json), items, () =>
          formatTable(items as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'scopes',
            'created_at',
            'expires_at',
            'revoked_at',
            'rate_limit_per_minute',
          ]),
        );
      });
    });

  withStoreFlags(keys.command('revoke'))
    .description('revoke a key at once')
    .argument('<id>', 'key id (the part after cnt_; the whole key works too)')
    .action(async (given: string, flags: StoreFlags) => {
      await withServices(flags, async ({ keys: service, audit }) => {
        const id = await service.revoke(given);
        await audit.record('cli', 'keys.revoke', id);
        printResult(Boolean(flags.json), { id, revoked: true }, () => `Key ${id} revoked.`);
      });
    });
}
