import { Server } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long connections accepted just before a stop get to send their request (ms). */
export const SETTLE_MS = 250;
/** How long the listener keeps accepting after the signal, so no queued connection is reset (ms). */
export const ACCEPT_MS = 50;

/**
 * First step of a graceful stop: after {@link ACCEPT_MS}, no new connections; connections
 * already accepted are left alone for `settleMs` so the requests they carry are read and
 * then answered by the drain of `app.close()`. (Node's `http.Server.close()` destroys at once every connection
 * that has not started a request yet, which resets requests that were already on the wire.)
 */
export async function stopAccepting(app: FastifyInstance, settleMs = SETTLE_MS): Promise<void> {
  if (!app.server.listening) return;
  // Connections already in the kernel's accept queue would be reset by closing the listener
  // now (the signal can be handled before them in the same event-loop turn): accept them first.
  await new Promise((resolve) => setTimeout(resolve, ACCEPT_MS));
  // net.Server's close stops listening without http's "close idle connections" step.
  Server.prototype.close.call(app.server);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
}
