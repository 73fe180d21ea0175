import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerDeps } from './api/server.js';
import type { ReadinessProbe } from './api/health.routes.js';
import type { Config } from './config.js';
import { createIdentity, engineProbe, type Identity } from './identity/identity.factory.js';
import { StepUpService } from './identity/step-up.service.js';
import type { ModelRegistry } from './models/model-registry.service.js';
import { Metrics } from './observability/metrics.js';
import type { RulesService } from './rules/rules.service.js';
import type { Store } from './store/database.js';
import type { ApiKeyService } from './auth/api-key.service.js';
import type { AuditLog } from './audit/audit-log.service.js';
import { BatchDecider } from './transactions/batch-decider.js';
import { LocalIngestion } from './transactions/local-ingestion.js';
import { STREAM_SERVER_ANSWER_MS, within } from './shared/within.js';
import { openCheckedTransport } from './transactions/partition-check.js';
import { StreamIngestion } from './transactions/stream-ingestion.js';
import type { Transport } from './transport/transport.js';
import { TransactionService } from './transactions/transaction.service.js';
import { publishDecisionWebhooks } from './webhooks/decision-webhooks.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookService } from './webhooks/webhook.service.js';
import { deciderOptions, openServices, refuseUnusableRules, watchActiveVersions } from './services.js';

/** The running pieces of Centinela, wired once. */
export interface Service {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly keys: ApiKeyService;
  readonly rules: RulesService;
  readonly models: ModelRegistry;
  readonly transactions: TransactionService;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** Subscriptions and `emit(event, payload)` for features that publish webhook events. */
  readonly webhooks: WebhookService;
  /** Face enrollment, verification and compare; the face engine starts on first use. */
  readonly identity: Identity;
  /** Stops accepting work, finishes what is queued and closes the store. */
  close(): Promise<void>;
}

/**
 * Embedded mode decides in this process; with CENTINELA_NATS_URL transactions go through
 * JetStream to `centinela worker` processes.
 */
async function createIngestion(
  config: Config,
  store: Store,
  rules: RulesService,
  models: ModelRegistry,
  metrics: Metrics,
) {
  if (config.natsUrl) {
    const transport = await openCheckedTransport(store.db, {
      natsUrl: config.natsUrl,
      partitions: config.partitions,
      prefix: config.natsPrefix,
    });
    const ingestion = new StreamIngestion(store.db, transport, {
      decisionTimeoutMs: config.decisionTimeoutMs,
    });
    await ingestion.init();
    return { ingestion, transport };
  }
  const decider = new BatchDecider({
    ...deciderOptions(config, store, rules, models),
    observeModel: (role, seconds) => metrics.modelLatency.observe({ role }, seconds),
  });
  const ingestion = new LocalIngestion(store.db, decider, { partitions: config.partitions, maxBatch: 1000 });
  await ingestion.init();
  return { ingestion, transport: undefined };
}

/** Wiring: config → store → services → API. Does not listen; `serve` does. */
export async function createService(
  config: Config,
  options: Pick<ServerDeps, 'logStream'> = {},
): Promise<Service> {
  const { store, keys, rules, models, audit } = await openServices(config);
  await refuseUnusableRules(store, rules);
  const metrics = new Metrics();
  const { ingestion, transport } = await createIngestion(config, store, rules, models, metrics);
  const transactions = new TransactionService(store.db, ingestion);
  watchActiveVersions({ rules, models }, config.rulesRefreshMs);
  metrics.addBacklogCollector(() => ingestion.backlog());
  transactions.subscribe((results) => metrics.observeDecisions(results));
  const dispatcher = new WebhookDispatcher(store.db, webhookOptions(config), metrics);
  const webhooks = new WebhookService(store.db, () => dispatcher.kick(), {
    allowPrivateNetworks: config.webhookAllowPrivateNetworks,
  });
  const decisionWebhooks = publishDecisionWebhooks(transactions, webhooks);
  dispatcher.start();
  const identity = createIdentity(config, store, {
    audit,
    emit: (event, data) => webhooks.emit(event, data),
    observe: (operation, seconds) => metrics.faceInferenceSeconds.observe({ operation }, seconds),
  });
  const stepUp = new StepUpService(
    transactions,
    identity.verifications,
    { onFailure: config.stepUpFailure, maxFailures: config.stepUpMaxFailures },
    (event, data) => webhooks.emit(event, data),
  );
  const app = await buildServer({
    ...{ config, db: store.db, keys, rules, models, transactions },
    ...{ audit, metrics, webhooks },
    identity: { identity: identity.identity, verifications: identity.verifications, stepUp },
    probes: { face_engine: engineProbe(identity.engine), ...transportProbe(transport) },
    ...options,
  });
  const close = async () => {
    rules.stop();
    models.stop();
    await app.close();
    await identity.close();
    await ingestion.close();
    await transport?.close();
    await decisionWebhooks.stop();
    await dispatcher.stop();
    await store.close();
  };
  return { app, store, keys, rules, models, transactions, audit, metrics, webhooks, identity, close };
}

/**
 * Distributed mode: ready only while the stream server answers, within a second (a probe's
 * usual timeout; a request to a server that is down waited 5 s).
 */
function transportProbe(transport: Transport | undefined): Record<string, ReadinessProbe> {
  if (!transport) return {};
  return { transport: () => within(transport.stats('dlq'), STREAM_SERVER_ANSWER_MS) };
}

function webhookOptions(config: Config) {
  return {
    maxAttempts: config.webhookMaxAttempts,
    backoffMs: config.webhookBackoffMs,
    timeoutMs: config.webhookTimeoutMs,
    allowPrivateNetworks: config.webhookAllowPrivateNetworks,
  };
}
