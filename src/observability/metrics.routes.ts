import type { FastifyInstance } from 'fastify';
import { authErrors } from '../api/schemas.js';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics` (Prometheus text format, scope `metrics:read`: Prometheus sends the key as
 * `authorization: Bearer …`), and one count and latency observation per answered request,
 * labelled by route pattern (never the raw URL, so ids do not explode the series).
 */
export function metricsRoutes(app: FastifyInstance, { metrics }: { metrics: Metrics }): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    metrics.httpRequests.inc({ method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
    if (reply.statusCode === 429) metrics.rateLimited.inc();
    done();
  });

  app.get(
    '/metrics',
    {
      config: { access: 'metrics:read' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: authErrors,
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    },
  );
}
