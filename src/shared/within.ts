/** How long `/readyz` and `/metrics` wait for the stream server (NATS) before they answer without it. */
export const STREAM_SERVER_ANSWER_MS = 1_000;

/**
 * `promise`, or a rejection saying that it gave no answer within `ms` (the promise itself
 * goes on; its outcome is then ignored).
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // its failure after the deadline is no one's to handle
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
