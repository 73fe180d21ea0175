import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { authErrors } from '../api/schemas.js';
import {
  formatEvents,
  LiveFeed,
  type DecisionSources,
  type LiveEvent,
  type LiveFeedOptions,
} from './live-feed.js';

export interface EventsRoutesDeps {
  readonly transactions: Required<DecisionSources>;
  readonly liveFeed?: LiveFeedOptions;
}

/**
 * `GET /v1/events` (scope `dashboard`): server-sent events with the newest decisions
 * (`event: decisions`) and counters (`event: counters`: decisions/s, totals) once a tick.
 * The key goes in the `x-api-key` header like everywhere else: the dashboard reads the
 * stream with `fetch`, so no key ever lands in a URL or an access log.
 */
export function eventsRoutes(app: FastifyInstance, deps: EventsRoutesDeps): void {
  const { transactions } = deps;
  const feed = new LiveFeed(
    {
      subscribe: (listener) => transactions.subscribe(listener),
      subscribeChanges: (listener) => transactions.subscribeChanges(listener),
    },
    deps.liveFeed,
  );
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

/** Ticks kept while a key check is slow; older ones are dropped (counters are cumulative). */
const MAX_WAITING_TICKS = 5;

/**
 * A feed listener that writes each tick's events to `stream` only after `authorised()`
 * says the caller's key still opens the stream, in order, one check at a time; once it does
 * not (the key was revoked or has expired), the stream ends and nothing more is written.
 */
function whileAuthorised(
  stream: PassThrough,
  authorised: () => Promise<boolean>,
): (events: readonly LiveEvent[]) => void {
  const waiting: string[] = [];
  let checking = false;
  const ended = () => stream.writableEnded || stream.destroyed;
  const drain = async () => {
    while (waiting.length > 0 && !ended()) {
      const ticks = waiting.splice(0);
      if (!(await authorised().catch(() => false))) {
        if (!ended()) stream.end();
        return;
      }
      if (!ended()) for (const text of ticks) stream.write(text);
    }
  };
  return (events) => {
    if (ended()) return;
    waiting.push(formatEvents(events));
    if (waiting.length > MAX_WAITING_TICKS) waiting.shift();
    if (checking) return;
    checking = true;
    void drain().finally(() => (checking = false));
  };
}
