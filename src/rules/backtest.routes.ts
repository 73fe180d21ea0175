import type { FastifyInstance } from 'fastify';
import { authErrors, errorSchema } from '../api/schemas.js';
import type { Config } from '../config.js';
import { orderedRange } from '../shared/time-range.js';
import { backtestRuleSet, MAX_BACKTEST_LIMIT, runBacktest, type BacktestDeps } from './backtest.service.js';
import type { RulesService } from './rules.service.js';
import { timeFieldOf } from '../shared/iso-time.js';

const DEFAULT_BACKTEST_LIMIT = 100_000;

interface BacktestBody {
  readonly rules?: unknown;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
}

const body = {
  type: 'object',
  properties: {
    rules: { type: 'object', description: 'Candidate rule set document; omit to replay the active one.' },
    from: { type: 'string', format: 'date-time', description: 'Event time, inclusive.' },
    to: { type: 'string', format: 'date-time', description: 'Event time, inclusive.' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_BACKTEST_LIMIT, default: DEFAULT_BACKTEST_LIMIT },
  },
  additionalProperties: false,
} as const;

/**
 * `POST /v1/rules/backtest`: re-scores stored transactions with a candidate rule set and
 * reports how decisions would change. Needs `rules:admin`: it scans the store and lists
 * transaction ids, which a read-only rules key (e.g. a dashboard) should not do.
 */
export function backtestRoutes(
  app: FastifyInstance,
  deps: Omit<BacktestDeps, 'thresholds'> & { readonly config: Config; readonly rules: RulesService },
): void {
  const thresholds = { review: deps.config.reviewThreshold, decline: deps.config.declineThreshold };
  app.post<{ Body: BacktestBody }>(
    '/v1/rules/backtest',
    {
      config: { access: 'rules:admin' },
      schema: {
        tags: ['rules'],
        summary: 'Replay stored transactions with a candidate rule set (live decisions untouched)',
        body,
        response: { 400: errorSchema, ...authErrors },
      },
    },
    async (request) => {
      const { rules, from, to, limit } = request.body;
      const range = orderedRange({ from: timeFieldOf(from, 'from'), to: timeFieldOf(to, 'to') });
      const ruleSet = backtestRuleSet(rules, deps.rules);
      return runBacktest({ db: deps.db, models: deps.models, thresholds }, ruleSet, { ...range, limit });
    },
  );
}
