import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { authErrors } from '../api/schemas.js';
import { formatEvents, LiveFeed, type LiveEvent, type LiveFeedOptions } from './live-feed.js';
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
  // preClose, not onClose: onClose runs only once every connection has ended, and an open
  // stream never ends by itself, so a shutdown waited for the dashboard tabs to go away.
  app.addHook('preClose', (done) => {
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
    (request, reply) => {
      const stream = new PassThrough();
      streams.add(stream);
      stream.write(': centinela live feed\nretry: 2000\n\n');
      const disconnect = feed.connect(whileAuthorised(stream, () => app.stillAuthorised(request)));
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

/**
 * A feed listener that writes each tick's events to `stream` only after `authorised()`
 * says the caller's key still opens the stream, in order; once it does not (the key was
 * revoked or has expired), the stream ends and nothing more is written to it.
 */
function whileAuthorised(
  stream: PassThrough,
  authorised: () => Promise<boolean>,
): (events: readonly LiveEvent[]) => void {
  let previous = Promise.resolve(true);
  return (events) => {
    const text = formatEvents(events);
    previous = previous.then(async (open) => {
      if (!open) return false;
      const still = await authorised();
      if (still) stream.write(text);
      else stream.end();
      return still;
    });
  };
}
