import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.service.js';
import { auditRoutes } from '../audit/audit.routes.js';
import type { ApiKeyService } from '../auth/api-key.service.js';
import { keysRoutes } from '../auth/keys.routes.js';
import { SCOPES } from '../auth/scopes.js';
import type { Config } from '../config.js';
import { dashboardRoutes } from '../dashboard/dashboard.routes.js';
import { AppError } from '../errors.js';
import { identityRoutes, type IdentityRoutesOptions } from '../identity/identity.routes.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import { modelsRoutes } from '../models/models.routes.js';
import type { Metrics } from '../observability/metrics.js';
import { metricsRoutes } from '../observability/metrics.routes.js';
import { backtestRoutes } from '../rules/backtest.routes.js';
import { structuringRoutes } from '../structuring/structuring.routes.js';
import { rulesRoutes } from '../rules/rules.routes.js';
import type { RulesService } from '../rules/rules.service.js';
import type { Database } from '../store/database.js';
import { legacyRoutes } from '../transactions/legacy.routes.js';
import { transactionRoutes } from '../transactions/transaction.routes.js';
import type { TransactionService } from '../transactions/transaction.service.js';
import type { WebhookService } from '../webhooks/webhook.service.js';
import { webhooksRoutes } from '../webhooks/webhooks.routes.js';
import { registerAuth } from './auth.js';
import { handleClientError, handleError, handleFrameworkError } from './error-handler.js';
import { registerJsonBodyParser } from './json-body.js';
import { registerUnstorableTextCheck } from './unstorable-text.js';
import { queryDecodes } from './query-decoding.js';
import { registerNoBodyCheck } from './no-body.js';
import { registerQueryNumberCheck } from './query-numbers.js';
import { healthRoutes, type ReadinessProbe } from './health.routes.js';
import { RateLimiter } from './rate-limiter.js';
import { RequestLogger } from './request-logger.js';
import { buildValidator } from './validators.js';

/** Everything the HTTP API needs, wired in `main.ts`. */
export interface ServerDeps {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly keys: ApiKeyService;
  readonly rules: RulesService;
  readonly models: ModelRegistry;
  readonly transactions: TransactionService;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly webhooks: WebhookService;
  /** Identity verification routes (enroll, verify, compare, erase, step-up); absent = not served. */
  readonly identity?: Omit<IdentityRoutesOptions, 'imageBodyLimit'>;
  /** Extra `/readyz` checks, e.g. `transport` in distributed mode. */
  readonly probes?: Readonly<Record<string, ReadinessProbe>>;
  /** Where log lines go; stdout when absent (`serve --json` keeps stdout for its one line). */
  readonly logStream?: NodeJS.WritableStream;
}

/** Builds the Fastify app (not listening): tests call `app.inject()` on it. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.config.logLevel, ...(deps.logStream && { stream: deps.logStream }) },
    // One log line per request would cost more than scoring; failures are still logged.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    childLoggerFactory: RequestLogger.factory,
    bodyLimit: deps.config.bodyLimitBytes,
    requestTimeout: deps.config.requestTimeoutMs,
    // Node looks for requests past requestTimeout every 30 s by default; every second here.
    http: {
      connectionsCheckingInterval: 1000,
      headersTimeout: headersTimeoutOf(deps.config.requestTimeoutMs),
    },
    connectionTimeout: deps.config.connectionTimeoutMs,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    schemaController: { compilersFactory: { buildValidator } },
    // Ids are up to 128 characters, more once percent-encoded; Fastify's default is 100.
    routerOptions: { maxParamLength: 512 },
    // Errors outside the error handler answer with the same {error: {code, message}} envelope.
    clientErrorHandler: handleClientError,
    frameworkErrors: handleFrameworkError,
    // Fastify's own 503 while closing has another body; refuseWhileClosing answers it instead.
    return503OnClosing: false,
  });
  const closing = closingState(app);
  app.removeContentTypeParser(['text/plain']);
  registerJsonBodyParser(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw new AppError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`);
  });
  // Before anything can answer, so every reply carries it (a callback hook: no promise per
  // request). A request that arrives on a kept-alive connection once the server is closing
  // answers 503 SHUTTING_DOWN and closes its connection.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (!queryDecodes(request.url))
      return done(
        new AppError(
          'BAD_REQUEST',
          'The query string does not decode: a malformed % escape, or one that is not UTF-8.',
        ),
      );
    if (!closing.now) return done();
    void reply.header('connection', 'close');
    done(new AppError('SHUTTING_DOWN', 'The service is stopping; retry shortly or on another instance.'));
  });
  refuseQueryWhereNoneIsRead(app);
  registerNoBodyCheck(app);
  registerQueryNumberCheck(app);
  registerUnstorableTextCheck(app);
  await registerDocs(app);
  registerAuth(app, deps.keys, new RateLimiter(deps.config.rateLimitPerMinute));
  metricsRoutes(app, deps);
  healthRoutes(app, deps);
  transactionRoutes(app, { transactions: deps.transactions, defaultCurrency: deps.config.defaultCurrency });
  legacyRoutes(app, { transactions: deps.transactions, defaultCurrency: deps.config.defaultCurrency });
  rulesRoutes(app, deps);
  backtestRoutes(app, deps);
  modelsRoutes(app, deps);
  structuringRoutes(app, deps);
  keysRoutes(app, deps);
  auditRoutes(app, deps);
  webhooksRoutes(app, deps);
  dashboardRoutes(app, deps);
  if (deps.identity)
    await identityRoutes(app, { ...deps.identity, imageBodyLimit: deps.config.imageBodyLimitBytes });
  return app;
}

/**
 * Node's headers timeout, at most the request timeout (as Node's own constructor would
 * set it; Fastify sets requestTimeout afterwards and leaves 60 s here). With a longer
 * headers timeout, Node 20 lets a half-sent body run until that one, past requestTimeout.
 */
function headersTimeoutOf(requestTimeoutMs: number): number {
  return requestTimeoutMs > 0 ? Math.min(requestTimeoutMs, 60_000) : 60_000;
}

async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Centinela API',
        version: '0.1.0',
        description: `Fraud prevention API. Authenticate with \`x-api-key\` or \`Authorization: Bearer\`. Scopes: ${SCOPES.join(', ')}.`,
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

/** Whether `app` has begun to close (set by its first preClose hook). */
function closingState(app: FastifyInstance): { now: boolean } {
  const state = { now: false };
  app.addHook('preClose', (done) => {
    state.now = true;
    done();
  });
  return state;
}

/**
 * The query schema of a route that reads no query parameter. `properties` must be there: the
 * OpenAPI generator reads a query schema without it as a map of parameters, and listed `type`
 * and `additionalProperties` as query parameters of every such route.
 */
const NO_QUERY = { type: 'object', properties: {}, additionalProperties: false } as const;

/**
 * A `/v1` route that reads no query parameter refuses one (400 naming it), as the routes that
 * read some refuse unknown ones: `GET /v1/keys?limit=abc` answered every key as if it paged.
 * Registered before the routes (an onRoute hook sees only those added after it).
 */
function refuseQueryWhereNoneIsRead(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/') || route.schema?.querystring !== undefined) return;
    route.schema = { ...route.schema, querystring: NO_QUERY };
  });
}
