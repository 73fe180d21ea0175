import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { authErrors } from '../api/schemas.js';
import { formatEvents, LiveFeed, type LiveFeedOptions } from './live-feed.js';
import type { DecisionListener } from '../transactions/ingestion.js';

export interface EventsRoutesDeps {
  readonly transactions: { subscribe(listener: DecisionListener): () => void };
  readonly liveFeed?: LiveFeedOptions;
}

/**
 * `GET /v1/events` (scope `dashboard`): server-sent events with the newest decisions
 * (`event: decisions`) and counters (`event: counters`: decisions/s, totals) once a tick.
 * The key goes in the `x-api-key` header like everywhere else: the dashboard reads the
 * stream with `fetch`, so no key ever lands in a URL or an access log.
 */
export function eventsRoutes(app: FastifyInstance, deps: EventsRoutesDeps): void {
  const feed = new LiveFeed((listener) => deps.transactions.subscribe(listener), deps.liveFeed);
  const streams = new Set<PassThrough>();
  app.addHook('onClose', (_instance, done) => {
    feed.stop();
    for (const stream of streams) stream.end();
    done();
  });

  app.get(
    '/v1/events',
    {
      config: { access: 'dashboard' },
      schema: {
        tags: ['dashboard'],
        summary: 'Live decisions and counters (text/event-stream)',
        description:
          'Server-sent events, once a second: `counters` {rate_per_s, totals, at} and, when there were any, `decisions` {items: newest decisions}.',
        response: authErrors,
      },
    },
    (_request, reply) => {
      const stream = new PassThrough();
      streams.add(stream);
      stream.write(': centinela live feed\nretry: 2000\n\n');
      const disconnect = feed.connect((events) => stream.write(formatEvents(events)));
      stream.on('close', () => {
        disconnect();
        streams.delete(stream);
      });
      reply.raw.on('close', () => stream.destroy());
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );
}
