import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { RulesService } from '../rules/rules.service.js';
import type { Database } from '../store/database.js';

/** A readiness probe: resolves when its part is usable, throws (or rejects) with why not. */
export type ReadinessProbe = () => unknown;

/**
 * `/healthz` (the process answers) and `/readyz`: the store, the rules, the models (the
 * active and shadow versions load), the transport (`probes.transport`: the stream
 * connection in distributed mode; `in-process` otherwise) and any other `probes`.
 */
export function healthRoutes(
  app: FastifyInstance,
  deps: {
    db: Kysely<Database>;
    rules: RulesService;
    models?: ModelRegistry;
    probes?: Readonly<Record<string, ReadinessProbe>>;
  },
): void {
  const tags = ['health'];
  app.get('/healthz', { config: { access: 'public' }, schema: { tags } }, () => ({ status: 'ok' }));

  const probes: Record<string, ReadinessProbe> = {
    store: () => sql`select 1`.execute(deps.db),
    rules: () => deps.rules.current(),
    ...(deps.models ? { models: () => deps.models?.refresh() } : {}),
    transport: () => 'in-process',
    ...deps.probes,
  };
  app.get('/readyz', { config: { access: 'public' }, schema: { tags } }, async (_request, reply) => {
    const entries = await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => [name, await check(probe)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ready = entries.every(([, result]) => result === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
}

async function check(probe: ReadinessProbe): Promise<string> {
  try {
    await probe();
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : 'failed';
  }
}
