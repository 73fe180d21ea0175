import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { TrafficGenerator } from '../src/simulate/traffic.generator.js';
import {
  CENTINELA_COMMAND,
  median,
  printTable,
  SERVICE_V8_FLAG,
  startProcess,
  stopProcess,
  writeResult,
} from './lib.js';
import { openLoop } from './open-loop.js';
import { CpuMeter, microsecondsPer } from './process-cpu.js';

const KEY = 'bench-admin-key-0123456789abcdef';
const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_HTTP_RUNS ?? 3);
const WARMUP_S = Number(process.env.BENCH_HTTP_WARMUP_SECONDS ?? 2);

interface Load {
  readonly name: string;
  readonly connections: number;
  /**
   * Offered requests per second, evenly spaced (open loop, see open-loop.ts); undefined = as
   * fast as the server answers, one request in flight per connection (autocannon).
   */
  readonly rate?: number;
}

const OFFERED_LOAD = 'offered loads are evenly spaced requests (open loop), each timed from when it was due';

/**
 * An open-loop client can offer no more than its connections divided by the latency (one
 * request in flight on each): 64 connections cap it near 15,000/s once answers take 4 ms, so the
 * 15,000/s offered load also runs over 256 connections, as many clients would send it.
 */
const LOADS: readonly Load[] = [
  { name: 'max', connections: 64 },
  { name: 'offered 5000/s', connections: 64, rate: 5000 },
  { name: 'offered 15000/s', connections: 64, rate: 15000 },
  { name: 'offered 15000/s', connections: 256, rate: 15000 },
];

/**
 * HTTP scoring throughput and latency (every transaction persisted), next to a bare Fastify
 * route; both servers run under the V8 flag `npm start` uses.
 */
export async function runHttpBench() {
  const rows = [
    ...(await measure(
      'bare fastify (ceiling)',
      [SERVICE_V8_FLAG, '--import', 'tsx', 'bench/bare-server.ts'],
      LOADS.slice(0, 1),
    )),
    ...(await measure('centinela (SQLite, synchronous=full)', [...CENTINELA_COMMAND, 'serve'], LOADS)),
  ];
  printTable(
    `HTTP, ${DURATION_S} s per run after a ${WARMUP_S} s warm-up, median of ${RUNS} runs; ${OFFERED_LOAD}`,
    rows,
  );
  writeResult('http-scoring', { duration_s: DURATION_S, runs: RUNS, offered_load: OFFERED_LOAD, rows });
  return rows;
}

async function measure(target: string, args: string[], loads: readonly Load[]) {
  const rows: Record<string, string | number>[] = [];
  for (const load of loads) {
    const runs = [];
    for (let run = 0; run < RUNS; run++)
      runs.push(await withServer(args, run, (url, pid) => fire(url, pid, load)));
    rows.push({
      target,
      load: load.name,
      connections: load.connections,
      'req/s': Math.round(median(runs.map((r) => r.rps))),
      'p50 ms': median(runs.map((r) => r.p50)),
      'p99 ms': median(runs.map((r) => r.p99)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      // The server process's CPU per answered request: varies less than throughput and latency
      // with the load of a shared machine.
      ...(CpuMeter.available && { 'server CPU µs/req': median(runs.map((r) => r.cpuMicrosPerRequest)) }),
      // Offered loads: the load generator's longest stall in any run (see open-loop.ts).
      'sender gap ms': Math.max(...runs.map((r) => r.senderGapMs)) || '-',
    });
  }
  return rows;
}

async function withServer<T>(
  args: string[],
  run: number,
  work: (url: string, pid: number) => Promise<T>,
): Promise<T> {
  const port = 3900 + run;
  const dir = join(tmpdir(), `centinela-bench-${process.pid}-${run}`);
  mkdirSync(dir, { recursive: true });
  const env = {
    PORT: String(port),
    CENTINELA_DATABASE_URL: join(dir, 'bench.db'),
    CENTINELA_ADMIN_KEY: KEY,
    CENTINELA_LOG_LEVEL: 'warn',
    CENTINELA_FACE_ENGINE_START: 'lazy',
  };
  const child = await startProcess('node', args, env, `http://127.0.0.1:${port}/healthz`);
  try {
    return await work(`http://127.0.0.1:${port}`, child.pid ?? NaN);
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A warm-up at the same load (JIT, caches, SQLite pages; not counted), then the measured run. */
async function fire(url: string, serverPid: number, load: Load) {
  const bodies = new RequestBodies();
  await drive(url, load, WARMUP_S, bodies);
  const meter = new CpuMeter({ server: () => [serverPid] });
  meter.start();
  const result = await drive(url, load, DURATION_S, bodies);
  return { ...result, cpuMicrosPerRequest: microsecondsPer(meter.stop().server, result.answered) };
}

const HEADERS = { 'content-type': 'application/json', 'x-api-key': KEY };

function drive(url: string, load: Load, seconds: number, bodies: RequestBodies) {
  bodies.prepare((load.rate ?? MAX_EXPECTED_RATE) * seconds);
  if (load.rate === undefined) return flatOut(url, load, seconds, bodies);
  return openLoop({
    origin: url,
    path: '/v1/transactions',
    headers: HEADERS,
    rate: load.rate,
    seconds,
    connections: load.connections,
    nextBody: () => bodies.next(),
  });
}

/** As many requests as the server answers, one in flight on each connection. */
async function flatOut(url: string, load: Load, seconds: number, bodies: RequestBodies) {
  const result = await autocannon({
    url: `${url}/v1/transactions`,
    method: 'POST',
    connections: load.connections,
    duration: seconds,
    headers: HEADERS,
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies.next() }) }],
  });
  return {
    answered: result['2xx'],
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    senderGapMs: 0, // not measured by autocannon (shown as "-")
  };
}

/** Most requests per second the server is expected to answer flat out. */
const MAX_EXPECTED_RATE = 20_000;

/**
 * Synthetic transactions as JSON request bodies. They are made before a run where possible, so
 * the load generator (on the same two cores) spends its time sending requests, not making them.
 */
class RequestBodies {
  private readonly generator = new TrafficGenerator(11, 20_000);
  private readonly backlog: string[] = [];
  private taken = 0;

  /** Drops the bodies already sent and makes more until `count` are waiting. */
  prepare(count: number): void {
    this.backlog.splice(0, this.taken);
    this.taken = 0;
    while (this.backlog.length - this.taken < count) this.more();
  }

  next(): string {
    if (this.taken === this.backlog.length) this.more();
    return this.backlog[this.taken++] as string;
  }

  private more(): void {
    this.backlog.push(...this.generator.nextEpisode().map((tx) => JSON.stringify(tx.body)));
  }
}
