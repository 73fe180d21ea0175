import { performance } from 'node:perf_hooks';
import { KeepAlivePool } from './keep-alive-pool.js';

export interface OpenLoopOptions {
  /** Origin of the server, e.g. http://127.0.0.1:3000. */
  readonly origin: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Offered requests per second, evenly spaced. */
  readonly rate: number;
  readonly seconds: number;
  /** Keep-alive connections the requests are spread over (one request in flight on each). */
  readonly connections: number;
  /** Body of the next request. */
  readonly nextBody: () => string;
}

export interface OpenLoopResult {
  readonly sent: number;
  /** Answers (2xx). */
  readonly answered: number;
  /** Answers (2xx) per second, from the first request's due time to the last answer. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /**
   * Longest time between two turns of the sender's 1 ms timer: a stall of this process (its
   * garbage collection, the machine), counted in the latency of every request it delayed.
   */
  readonly senderGapMs: number;
}

/** How often the sender wakes up to send the requests that have come due. */
const TICK_MS = 1;

/**
 * A fixed offered load: request i is due at start + i / rate and is sent then, whatever the
 * earlier requests are doing (open loop; waiting for a free connection counts as latency). Its
 * latency runs from its due time to its answer, so a stall of the server that holds requests
 * back is counted rather than hidden (no coordinated omission).
 *
 * autocannon's `overallRate` is not this: each connection sends its share of a second as fast
 * as the server answers and then waits for the next second, so most of its latencies are those
 * of a saturated server.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new KeepAlivePool(options.origin, options.path, options.headers, options.connections);
  const latencies: number[] = [];
  let errors = 0;
  const send = (dueAt: number) =>
    new Promise<void>((resolve) => {
      pool.send({
        body: options.nextBody(),
        done: (status) => {
          if (typeof status === 'number' && status < 300) latencies.push(performance.now() - dueAt);
          else errors++;
          resolve();
        },
      });
    });
  const start = performance.now();
  const { requests, longestGapMs } = await sendOnSchedule(start, options, send);
  const elapsedS = (performance.now() - start) / 1000;
  pool.close();
  latencies.sort((a, b) => a - b);
  return {
    sent: requests,
    answered: latencies.length,
    rps: latencies.length / elapsedS,
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    errors,
    senderGapMs: round(longestGapMs),
  };
}

/**
 * Calls `send` for each request when it comes due; resolves once all are answered, with their
 * count and the longest gap between two turns of the timer.
 */
async function sendOnSchedule(
  start: number,
  options: OpenLoopOptions,
  send: (dueAt: number) => Promise<void>,
): Promise<{ requests: number; longestGapMs: number }> {
  const interval = 1000 / options.rate;
  const total = Math.round(options.rate * options.seconds);
  const inFlight: Promise<void>[] = [];
  let lastTurn = start;
  let longestGapMs = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - lastTurn);
      lastTurn = now;
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      while (inFlight.length < due) inFlight.push(send(start + inFlight.length * interval));
      if (inFlight.length === total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await Promise.all(inFlight);
  return { requests: total, longestGapMs };
}

/** The value below which a share `q` of the sorted values lie (nearest rank). */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
