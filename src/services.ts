/**
 * The services every command that uses the store opens (the store, keys, rules, models, the
 * audit log), apart from the HTTP server: the CLI loads this, not the whole service, so a
 * command does not wait for Fastify, the face engine or DuckDB to load.
 */
import { ApiKeyService } from './auth/api-key.service.js';
import { AuditLog } from './audit/audit-log.service.js';
import type { Config } from './config.js';
import { ModelRegistry } from './models/model-registry.service.js';
import { RulesService } from './rules/rules.service.js';
import { failureLog } from './shared/failure-log.js';
import { migrate, openStore, type Store } from './store/database.js';
import type { BatchDeciderOptions } from './transactions/batch-decider.js';

/** Opens the store named in `config`, migrates it and returns its services. */
export async function openServices(config: Config) {
  const store = openStore({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  await migrate(store.db);
  const keys = new ApiKeyService(store.db, config.adminKey, store.reader);
  const rules = new RulesService(store.db);
  await rules.init();
  const models = new ModelRegistry(store.db);
  await models.refresh();
  const audit = new AuditLog(store.db);
  return { store, keys, rules, models, audit };
}

/**
 * Refuses to decide transactions with an active rule set that cannot be evaluated (the
 * service does not start; `rules activate` repairs it), closing the store first.
 */
export async function refuseUnusableRules(store: Store, rules: RulesService): Promise<void> {
  try {
    rules.assertUsable();
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Picks up rule sets and models activated by other processes, logging refresh failures quietly. */
export function watchActiveVersions(
  { rules, models }: { rules: RulesService; models: ModelRegistry },
  intervalMs: number,
): void {
  rules.watch(intervalMs, failureLog('rules refresh'));
  models.watch(intervalMs, failureLog('model refresh'));
}

/** How transactions are decided, the same in the embedded service and in stream workers. */
export function deciderOptions(
  config: Config,
  store: Store,
  rules: RulesService,
  models: ModelRegistry,
): BatchDeciderOptions {
  return {
    db: store.db,
    reader: store.reader,
    rules,
    models,
    thresholds: { review: config.reviewThreshold, decline: config.declineThreshold },
    velocityRetentionMs: config.velocityRetentionHours * 3_600_000,
    partitions: config.partitions,
  };
}
