import type { Command } from 'commander';
import { withServices, withStoreFlags, type StoreFlags } from './common.js';
import { AppError } from '../errors.js';
import { formatTable, printResult } from './output.js';

interface CreateFlags {
  scopes: string;
  name: string;
  expiresInDays?: string;
  rateLimit?: string;
}

function rateLimitOf(flag: string | undefined): number | null {
  if (flag === undefined) return null;
  const value = Number(flag);
  if (!Number.isInteger(value) || value < 1) {
    throw new AppError('VALIDATION_FAILED', `--rate-limit ${flag} must be a positive integer (per minute).`);
  }
  return value;
}

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
        const expiresAt = flags.expiresInDays ? Date.now() + Number(flags.expiresInDays) * 86_400_000 : null;
        const scopes = flags.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const rateLimitPerMinute = rateLimitOf(flags.rateLimit);
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
    .argument('<id>', 'key id (the part after cnt_)')
    .action(async (id: string, flags: StoreFlags) => {
      await withServices(flags, async ({ keys: service, audit }) => {
        await service.revoke(id);
        await audit.record('cli', 'keys.revoke', id);
        printResult(Boolean(flags.json), { id, revoked: true }, () => `Key ${id} revoked.`);
      });
    });
}
