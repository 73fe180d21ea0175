import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { models } from './0002-models.js';
import { structuring } from './0003-structuring.js';
import { transactionPartition } from './0004-transaction-partition.js';
import { auditLog } from './0005-audit-log.js';
import { identity } from './0006-identity.js';
import { webhooks } from './0006-webhooks.js';
import { apiKeyRateLimit } from './0007-api-key-rate-limit.js';
import { structuringConsensus } from './0008-structuring-consensus.js';
import { dropPartitionIndex } from './0009-drop-partition-index.js';
import { partialMerchantAlertIndex } from './0010-partial-merchant-alert-index.js';
import { alertEndDayIndex } from './0011-alert-end-day-index.js';
import { alertFeatureColumns } from './0012-alert-feature-columns.js';
import { oneActiveVersion } from './0013-one-active-version.js';
import { consensusPerWindow } from './0014-consensus-per-window.js';
import { modelRolledBack } from './0015-model-rolled-back.js';
import { ruleCount } from './0016-rule-count.js';

const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-models': models,
  '0003-structuring': structuring,
  '0004-transaction-partition': transactionPartition,
  '0005-audit-log': auditLog,
  '0006-identity': identity,
  '0006-webhooks': webhooks,
  '0007-api-key-rate-limit': apiKeyRateLimit,
  '0008-structuring-consensus': structuringConsensus,
  '0009-drop-partition-index': dropPartitionIndex,
  '0010-partial-merchant-alert-index': partialMerchantAlertIndex,
  '0011-alert-end-day-index': alertEndDayIndex,
  '0012-alert-feature-columns': alertFeatureColumns,
  '0013-one-active-version': oneActiveVersion,
  '0014-consensus-per-window': consensusPerWindow,
  '0015-model-rolled-back': modelRolledBack,
  '0016-rule-count': ruleCount,
};

/** Migrations are compiled into the program, so they run the same from src/ and dist/. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
