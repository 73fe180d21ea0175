import type { AuditLogTable } from '../audit/audit-log.table.js';
import type { ApiKeyTable } from '../auth/api-key.table.js';
import type { FaceTemplateTable, VerificationTable } from '../identity/identity.table.js';
import type { ModelVersionTable } from '../models/model-version.table.js';
import type { RuleSetTable } from '../rules/rule-set.table.js';
import type { StructuringAlertTable } from '../structuring/structuring-alert.table.js';
import type { StructuringRunTable } from '../structuring/structuring-run.table.js';
import type { TransactionLabelTable } from '../transactions/transaction-label.table.js';
import type { TransactionEventTable } from '../transactions/transaction-event.table.js';
import type { TransactionTable } from '../transactions/transaction.table.js';
import type { WebhookDeliveryTable, WebhookTable } from '../webhooks/webhook.table.js';

/** The whole database, one table type per feature. */
export interface Database {
  transactions: TransactionTable;
  rule_sets: RuleSetTable;
  api_keys: ApiKeyTable;
  model_versions: ModelVersionTable;
  transaction_labels: TransactionLabelTable;
  structuring_runs: StructuringRunTable;
  structuring_alerts: StructuringAlertTable;
  audit_log: AuditLogTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  face_templates: FaceTemplateTable;
  verifications: VerificationTable;
  transaction_events: TransactionEventTable;
}
