import type { Command } from 'commander';
import { migrate, openStore } from '../store/database.js';
import { configFrom, type StoreFlags } from './common.js';
import { printResult } from './output.js';

/** `centinela migrate`: brings the schema up to date, for operators who migrate separately. */
export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create or update the database schema (serve and worker also do it at start)')
    .option(
      '--db <path>',
      'SQLite file or postgres:// URL (default: CENTINELA_DATABASE_URL or ./data/centinela.db)',
    )
    .option('--json', 'print one JSON document')
    .action(async (flags: StoreFlags) => {
      const config = configFrom(flags);
      const store = openStore({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
      try {
        await migrate(store.db);
        printResult(
          Boolean(flags.json),
          { migrated: true, store: store.location },
          () => `Schema of ${store.location} is up to date.`,
        );
      } finally {
        await store.close();
      }
    });
}
