import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { authErrors, errorSchema } from '../api/schemas.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { Metrics } from '../observability/metrics.js';
import type { RulesService } from '../rules/rules.service.js';
import type { Database } from '../store/database.js';
import type { TransactionService } from '../transactions/transaction.service.js';
import { eventsRoutes } from './events.routes.js';
import type { LiveFeedOptions } from './live-feed.js';
import { DEFAULT_DASHBOARD_DIR, staticRoutes } from './static-files.js';
import { overview, WINDOWS, type StatsWindow } from './stats.service.js';

/** What the dashboard's routes need; `ServerDeps` provides it. */
export interface DashboardDeps {
  readonly db: Kysely<Database>;
  readonly rules: RulesService;
  readonly models: ModelRegistry;
  readonly metrics: Metrics;
  readonly transactions: Pick<TransactionService, 'subscribe' | 'subscribeChanges'>;
  /** The built dashboard (default: the package's `dashboard/dist/`). */
  readonly dashboardDir?: string;
  readonly liveFeed?: LiveFeedOptions;
}

/**
 * The web dashboard: its static files at `/` (public), and the two routes only it needs,
 * `GET /v1/stats/overview` and `GET /v1/events` (scope `dashboard`).
 */
export function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  staticRoutes(app, deps.dashboardDir ?? DEFAULT_DASHBOARD_DIR);
  eventsRoutes(app, deps);
  app.get<{ Querystring: { window: StatsWindow } }>(
    '/v1/stats/overview',
    {
      config: { access: 'dashboard' },
      schema: {
        tags: ['dashboard'],
        summary: 'Decisions over time by outcome, rule hits, risk scores and latency of a window',
        querystring: {
          type: 'object',
          properties: { window: { type: 'string', enum: Object.keys(WINDOWS), default: '1h' } },
          additionalProperties: false,
        },
        response: { 400: errorSchema, ...authErrors },
      },
    },
    async (request) => overview(deps, request.query.window, Date.now()),
  );
}
