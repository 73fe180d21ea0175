import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { authErrors, errorSchema } from '../api/schemas.js';
import type { Config } from '../config.js';
import { AppError, ValidationError } from '../errors.js';
import { orderedRange, queryTimeRange } from '../shared/time-range.js';
import type { Database } from '../store/database.js';
import { openEngine, type Engine } from './duckdb.js';
import { createRun, executeRun } from './run.js';
import { filesMatching, inspectColumns } from './source.js';
import type { RunHooks } from './run-events.js';
import {
  consensusWindows,
  findRun,
  listAlerts,
  listRuns,
  type AlertRow,
  type ConsensusRow,
  type RunRow,
} from './structuring.repository.js';
import {
  acceptedRunSchema,
  alertSchema,
  alertsQuerySchema,
  consensusQuerySchema,
  consensusSchema,
  runBodySchema,
  runSchema,
  runsQuerySchema,
} from './structuring.schema.js';
import { runParamsOf, type RunParams, type RunSource } from './structuring.js';
import { timeFieldOf } from '../shared/iso-time.js';

export interface StructuringRoutesOptions {
  readonly db: Kysely<Database>;
  /** Queues `structuring.alert` when a run stores new alerts. */
  readonly webhooks?: { emit: NonNullable<RunHooks['emit']> };
  /** Run durations go to `centinela_structuring_run_seconds`. */
  readonly metrics?: {
    readonly structuringRunSeconds: { observe(labels: { detector: string }, seconds: number): void };
  };
  /** `structuringMaxRuns`: runs executed at once; more answer 429. */
  readonly config: Pick<Config, 'structuringMaxRuns' | 'structuringInputDir'>;
}

/** Seconds a client refused for too many runs is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = 10;

interface RunBody {
  input?: string;
  from?: string;
  to?: string;
  methods?: string[];
  windows?: string[];
  map?: Record<string, string>;
  min_methods?: number;
  seed?: number;
}

interface AlertsQuery {
  run_id?: string;
  method?: string;
  user_id?: string;
  merchant_id?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

const tags = ['structuring'];
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
const json = (text: string | null) => (text === null ? null : (JSON.parse(text) as unknown));

async function sourceOf(body: RunBody, params: RunParams, inputDir?: string): Promise<RunSource> {
  if (body.input === undefined) {
    const range = { from: timeFieldOf(body.from, 'from'), to: timeFieldOf(body.to, 'to') };
    return { kind: 'store', ...orderedRange(range) };
  }
  if (body.from !== undefined || body.to !== undefined) {
    const message = 'Give either input or a from/to range, not both.';
    const field = body.from !== undefined ? 'from' : 'to';
    throw new ValidationError([{ field, code: 'conflict', message }], message);
  }
  const engine = await openEngine({ threads: 1 });
  try {
    const input = inputDir === undefined ? body.input : await inputUnder(inputDir, body.input, engine);
    await inspectColumns(engine.connection, input, params.columns);
    return { kind: 'files', input };
  } finally {
    engine.close();
  }
}

/**
 * With CENTINELA_STRUCTURING_INPUT_DIR: `input` read from that folder, refused (400
 * INPUT_INVALID) when it reaches outside, by `..` or through a link, before anything is
 * opened: a client could have had any file the service can read opened and described.
 */
async function inputUnder(inputDir: string, input: string, engine: Engine): Promise<string> {
  const root = realRoot(inputDir);
  const path = resolve(root, input);
  const inside =
    isInside(root, path) &&
    (await filesMatching(engine.connection, path)).every((file) => isInside(root, realpathSync(file)));
  if (inside) return path;
  throw new AppError('INPUT_INVALID', 'input must name files under CENTINELA_STRUCTURING_INPUT_DIR.', {
    details: { input },
  });
}

function realRoot(inputDir: string): string {
  try {
    return realpathSync(inputDir);
  } catch {
    throw new AppError(
      'CONFIG_INVALID',
      `CENTINELA_STRUCTURING_INPUT_DIR '${inputDir}' is not a folder here.`,
    );
  }
}

function isInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Checks the body's source and stores the new `running` run. */
async function createFromBody(db: Kysely<Database>, body: RunBody, params: RunParams, inputDir?: string) {
  const source = await sourceOf(body, params, inputDir);
  return { source, id: await createRun(db, source, params) };
}

function runView(run: Omit<RunRow, 'report'>) {
  return {
    id: run.id,
    status: run.status,
    source: json(run.source),
    params: json(run.params),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    row_count: run.row_count === null ? null : Number(run.row_count),
    window_count: run.window_count === null ? null : Number(run.window_count),
    method_counts: json(run.method_counts),
    durations_ms: json(run.durations),
    error: run.error,
    report_url: run.status === 'succeeded' ? `/v1/structuring/runs/${run.id}/report` : null,
  };
}

function alertView(a: AlertRow) {
  const { alert_key: _key, window_start, window_end, ...rest } = a;
  const { count_amt, sum_amt, mean_amt, std_amt, delta, mean_delta, std_delta, ...alert } = rest;
  const features = { count_amt, sum_amt, mean_amt, std_amt, delta, mean_delta, std_delta };
  return { ...alert, window_start: iso(window_start), window_end: iso(window_end), features };
}

function consensusView(w: ConsensusRow) {
  return { ...w, window_start: iso(w.window_start), window_end: iso(w.window_end) };
}

async function requireRun(db: Kysely<Database>, id: string): Promise<RunRow> {
  const run = await findRun(db, id);
  if (!run) throw new AppError('NOT_FOUND', `Structuring run '${id}' is unknown.`);
  return run;
}

/** Hooks announcing the end of API runs: the webhook outbox and the run-time histogram. */
function hooksOf(options: StructuringRoutesOptions): RunHooks {
  const { webhooks, metrics } = options;
  return {
    emit: webhooks && ((event, payload) => webhooks.emit(event, payload)),
    observe: metrics && ((detector, seconds) => metrics.structuringRunSeconds.observe({ detector }, seconds)),
  };
}

/**
 * Counts runs in flight, at most `max`: `take()` reserves a slot before any await, so
 * concurrent requests cannot overshoot, and returns the function that frees it (the first
 * call frees it, later ones do nothing). When all are taken it sets `Retry-After` on `reply`
 * and throws 429 RATE_LIMITED.
 */
function runSlots(max: number) {
  let active = 0;
  return {
    take(reply: FastifyReply): () => void {
      if (active >= max) {
        void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        throw new AppError('RATE_LIMITED', `${max} structuring runs are running; retry when one ends.`, {
          details: { reason: 'too_many_runs', max_runs: max },
        });
      }
      active++;
      let held = true;
      return () => {
        if (held) active--;
        held = false;
      };
    },
  };
}

/**
 * `POST /v1/structuring/runs` (202, runs in the background), `GET /v1/structuring/runs`,
 * `GET /v1/structuring/runs/:id`, `…/:id/report`, `…/:id/consensus`,
 * `GET /v1/structuring/alerts`. Closing the app waits for runs in flight.
 */
export function structuringRoutes(app: FastifyInstance, options: StructuringRoutesOptions): void {
  const { db } = options;
  const hooks = hooksOf(options);
  const inFlight = new Set<Promise<unknown>>();
  const slots = runSlots(options.config.structuringMaxRuns);
  app.addHook('onClose', async () => {
    await Promise.allSettled(inFlight);
  });

  app.post<{ Body: RunBody }>(
    '/v1/structuring/runs',
    {
      config: { access: 'structuring:run' },
      schema: {
        tags,
        summary: 'Start a structuring run over a server-side file (or glob) or stored transactions',
        description:
          'Answers 202 with the run id; poll GET /v1/structuring/runs/:id. A file that does not exist is 400 INPUT_NOT_FOUND, one that cannot be read 400 INPUT_INVALID. With CENTINELA_STRUCTURING_MAX_RUNS runs already running: 429 RATE_LIMITED (details.reason too_many_runs) with Retry-After.',
        body: runBodySchema,
        response: { 202: acceptedRunSchema, 400: errorSchema, 429: errorSchema, ...authErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const params = runParamsOf({
        methods: body.methods,
        windows: body.windows,
        map: body.map,
        minMethods: body.min_methods,
        seed: body.seed,
      });
      const release = slots.take(reply);
      const { id, source } = await createFromBody(db, body, params, options.config.structuringInputDir).catch(
        (error: unknown) => {
          release();
          throw error;
        },
      );
      const running = executeRun(id, {
        db,
        source,
        params,
        background: true,
        beforeFinalStatus: release,
        ...hooks,
      })
        .catch((error: unknown) =>
          request.log.warn({ err: error, run: id }, 'structuring run or its structuring.alert event failed'),
        )
        .finally(() => {
          release();
          inFlight.delete(running);
        });
      inFlight.add(running);
      return reply.status(202).send({
        run_id: id,
        status: 'running',
        run_url: `/v1/structuring/runs/${id}`,
        report_url: `/v1/structuring/runs/${id}/report`,
      });
    },
  );

  app.get<{ Querystring: { status?: string; limit: number; offset: number } }>(
    '/v1/structuring/runs',
    {
      config: { access: 'structuring:read' },
      schema: {
        tags,
        summary: 'Structuring runs, newest first (without their reports)',
        querystring: runsQuerySchema,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: runSchema } } },
          400: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request) => ({ items: (await listRuns(db, request.query)).map(runView) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/structuring/runs/:id',
    {
      config: { access: 'structuring:read' },
      schema: {
        tags,
        summary: 'A structuring run: status, counts per method, durations',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 200: runSchema, 404: errorSchema, ...authErrors },
      },
    },
    async (request) => runView(await requireRun(db, request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/structuring/runs/:id/report',
    {
      config: { access: 'structuring:read' },
      schema: {
        tags,
        summary: 'The run report: one self-contained HTML page',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
        response: {
          200: { type: 'string', description: 'text/html' },
          404: errorSchema,
          409: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      const run = await requireRun(db, request.params.id);
      if (run.report === null) throw new AppError('CONFLICT', `Run '${run.id}' is ${run.status}: no report.`);
      return reply.type('text/html; charset=utf-8').send(run.report);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { min_methods?: number; limit: number; offset: number } }>(
    '/v1/structuring/runs/:id/consensus',
    {
      config: { access: 'structuring:read' },
      schema: {
        tags,
        summary: 'Consensus view: windows of a run flagged by at least min_methods methods',
        description: 'min_methods defaults to the run’s own; most methods first, then newest window.',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
        querystring: consensusQuerySchema,
        response: { 200: consensusSchema, 400: errorSchema, 404: errorSchema, ...authErrors },
      },
    },
    async (request) => {
      const run = await requireRun(db, request.params.id);
      const { min_methods, limit, offset } = request.query;
      const m = min_methods ?? (JSON.parse(run.params) as RunParams).minMethods;
      const items = await consensusWindows(db, run.id, m, { limit, offset });
      return { run_id: run.id, min_methods: m, items: items.map(consensusView) };
    },
  );

  app.get<{ Querystring: AlertsQuery }>(
    '/v1/structuring/alerts',
    {
      config: { access: 'structuring:read' },
      schema: {
        tags,
        summary:
          'Structuring alerts, newest window first (method=consensus for windows flagged by ≥ m methods)',
        querystring: alertsQuerySchema,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: alertSchema } } },
          400: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const items = await listAlerts(db, {
        runId: q.run_id,
        method: q.method,
        userId: q.user_id,
        merchantId: q.merchant_id,
        ...queryTimeRange(q),
        limit: q.limit,
        offset: q.offset,
      });
      return { items: items.map(alertView) };
    },
  );
}
