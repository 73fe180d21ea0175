import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { migrate, openStore } from '../src/store/database.js';
import { TrafficGenerator } from '../src/simulate/traffic.generator.js';
import { createJetStreamTransport } from '../src/transport/nats/jetstream.transport.js';
import type { DecisionBatch } from '../src/transactions/transaction.worker.js';
import type { Transport } from '../src/transport/transport.js';
import { CENTINELA_COMMAND, median, printTable, writeResult } from './lib.js';
import { CpuMeter, microsecondsPer, processesNamed } from './process-cpu.js';

const NATS_URL = process.env.CENTINELA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env.CENTINELA_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const PARTITIONS = 16;
const SECONDS = Number(process.env.BENCH_PIPELINE_SECONDS ?? 10);
/** Traffic sent first at the same rate and left out of the figures (JIT, connections, caches). */
const WARMUP_SECONDS = Number(process.env.BENCH_PIPELINE_WARMUP_SECONDS ?? 2);
const IN_FLIGHT = 512;
/** Each run is repeated and reported as medians: single runs on a shared 2-core machine vary a lot. */
const REPEATS = Number(process.env.BENCH_PIPELINE_REPEATS ?? 3);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  readonly workers: number;
  /** Offered publishes per second; undefined = as fast as possible. */
  readonly rate?: number;
}

/** Runs as `workers[@rate]`, comma-separated: BENCH_PIPELINE_RUNS=2@5000 measures one. */
const RUNS: readonly Run[] = (process.env.BENCH_PIPELINE_RUNS ?? '1,2,1@5000,2@5000')
  .split(',')
  .map((spec) => {
    const [workers, rate] = spec.split('@').map(Number);
    return rate ? { workers: workers ?? 1, rate } : { workers: workers ?? 1 };
  });

/** End-to-end: publish to JetStream → worker decides → stored in PostgreSQL → decision published. */
export async function runPipelineBench() {
  const rows = [];
  for (const run of RUNS) rows.push(await measureRepeatedly(run));
  printTable(
    `Pipeline (JetStream + PostgreSQL, worker processes), ${SECONDS} s per run, median of ${REPEATS}; ` +
      'latency from publish to the stored decision (worker commit), "received": to its arrival back at the publisher',
    rows,
  );
  writeResult('pipeline', { seconds: SECONDS, partitions: PARTITIONS, repeats: REPEATS, rows });
  return rows;
}

/** Medians over REPEATS runs of each figure, and the p99 of every run. */
async function measureRepeatedly(run: Run) {
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  for (let i = 0; i < REPEATS; i++) results.push(await measure(run));
  const mid = (key: Exclude<keyof (typeof results)[number], 'sent' | 'decided' | 'cpu'>) =>
    median(results.map((r) => r[key]));
  const cpu = (name: CpuName) => median(results.map((r) => r.cpu[name]));
  return {
    workers: run.workers,
    load: run.rate ? `offered ${run.rate}/s` : 'max',
    sent: Math.round(median(results.map((r) => r.sent))),
    lost: results.reduce((n, r) => n + r.sent - r.decided, 0),
    'decided/s': mid('decided/s'),
    'p50 ms': mid('p50 ms'),
    'p99 ms': mid('p99 ms'),
    'p99 of each run': results.map((r) => r['p99 ms']).join(' / '),
    'received p50 ms': mid('received p50 ms'),
    'received p99 ms': mid('received p99 ms'),
    ...(CpuMeter.available && {
      'CPU µs/tx: workers': cpu('workers'),
      'nats-server': cpu('nats-server'),
      postgres: cpu('postgres'),
      publisher: cpu('publisher'),
    }),
  };
}

async function measure(run: Run) {
  const database = `centinela_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  await admin(`create database ${database}`);
  const url = Object.assign(new URL(PG_URL), { pathname: `/${database}` }).toString();
  const store = openStore({ url });
  await migrate(store.db);
  await store.close();
  const workers = Array.from({ length: run.workers }, () => spawnWorker(url, prefix));
  const transport = await createJetStreamTransport({ servers: NATS_URL, partitions: PARTITIONS, prefix });
  try {
    await sharedOut(workers);
    const meter = new CpuMeter({
      workers: () => workers.flatMap((w) => (w.pid === undefined ? [] : [w.pid])),
      'nats-server': processesNamed('nats-server'),
      postgres: processesNamed('postgres'),
      publisher: () => [process.pid],
    });
    return await drive(transport, run.rate, meter);
  } finally {
    workers.forEach((w) => w.kill('SIGKILL'));
    await transport.destroy(); // this run's streams and lease bucket
    await admin(`drop database if exists ${database} with (force)`);
  }
}

/** Wall clock in ms with fractions, comparable across the processes of this machine. */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * Publishes for WARMUP_SECONDS + SECONDS at `rate` (or flat out) and times the decisions of
 * the last SECONDS: from the publish to the worker's commit of the decision (the batch's
 * `stored_at`), and to the decision's arrival back here. The CPU of the processes on this
 * machine, from the first measured publish until its decisions are back, per decided
 * transaction: a figure that varies less than throughput and latency with the load of a
 * shared machine (the servers count whatever else uses them then).
 */
async function drive(transport: Transport, rate: number | undefined, meter: CpuMeter<CpuName>) {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const received: number[] = [];
  let lastDecisionAt = performance.now();
  const unsubscribe = await transport.subscribe('decisions', (delivery) => {
    const now = wallClock();
    const batch = delivery.json<DecisionBatch>();
    for (const { transaction_id } of batch.decisions) {
      const start = sentAt.get(transaction_id);
      if (start === undefined) continue;
      latencies.push(batch.stored_at - start);
      received.push(now - start);
      lastDecisionAt = performance.now();
    }
  });
  const generator = new TrafficGenerator(3, 50_000);
  const inFlight = new Set<Promise<unknown>>();
  const started = performance.now();
  const measuredFrom = started + WARMUP_SECONDS * 1000;
  let sent = 0;
  let measured = 0;
  while (performance.now() - started < (WARMUP_SECONDS + SECONDS) * 1000) {
    const due = rate ? Math.floor(((performance.now() - started) / 1000) * rate) : sent + IN_FLIGHT;
    while (sent < due && inFlight.size < IN_FLIGHT) {
      for (const tx of generator.nextEpisode()) {
        const id = `b-${sent++}`;
        if (performance.now() >= measuredFrom) {
          if (measured === 0) meter.start();
          sentAt.set(id, wallClock());
          measured++;
        }
        const body = { ...tx.body, transaction_id: id };
        const publish = transport.publish(
          'transactions',
          { transaction: body, received_at: Date.now() },
          { key: String(tx.body.account_id), msgId: id },
        );
        inFlight.add(publish);
        void publish.finally(() => inFlight.delete(publish));
      }
    }
    // Wait for a publish to finish when the window is full, else for the next due time.
    if (inFlight.size >= IN_FLIGHT || !rate) await Promise.race([...inFlight, sleep(1)]);
    else await sleep(1);
  }
  await Promise.all(inFlight);
  const deadline = performance.now() + 60_000;
  while (latencies.length < measured && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const elapsed = (lastDecisionAt - measuredFrom) / 1000;
  const cpu = microsecondsPerTransaction(meter.stop(), latencies.length);
  unsubscribe();
  return {
    sent: measured,
    decided: latencies.length,
    'decided/s': Math.round(latencies.length / elapsed),
    'p50 ms': quantile(latencies, 0.5),
    'p99 ms': quantile(latencies, 0.99),
    'received p50 ms': quantile(received, 0.5),
    'received p99 ms': quantile(received, 0.99),
    cpu,
  };
}

type CpuName = 'workers' | 'nats-server' | 'postgres' | 'publisher';

function microsecondsPerTransaction(seconds: Record<CpuName, number>, decided: number) {
  const perTransaction = {} as Record<CpuName, number>;
  for (const [name, spent] of Object.entries(seconds) as [CpuName, number][])
    perTransaction[name] = microsecondsPer(spent, decided);
  return perTransaction;
}

function quantile(values: number[], q: number): number {
  values.sort((a, b) => a - b);
  return Math.round((values[Math.floor(q * (values.length - 1))] ?? NaN) * 10) / 10;
}

function spawnWorker(url: string, prefix: string): ChildProcess {
  return spawn(process.execPath, [...CENTINELA_COMMAND, 'worker'], {
    env: {
      ...process.env,
      CENTINELA_DATABASE_URL: url,
      CENTINELA_NATS_URL: NATS_URL,
      CENTINELA_NATS_PREFIX: prefix,
      CENTINELA_PARTITIONS: String(PARTITIONS),
      CENTINELA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * Resolves once every worker owns an equal share of the partitions (from the "owns
 * partitions" lines they print), so that no rebalance falls inside the measured run.
 */
async function sharedOut(workers: readonly ChildProcess[]): Promise<void> {
  const owned = workers.map(() => 0);
  workers.forEach((worker, i) => {
    createInterface({ input: worker.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const share = /owns partitions (.*)$/.exec(line)?.[1];
      if (share !== undefined) owned[i] = share === '(none)' ? 0 : share.split(',').length;
    });
  });
  const fair = Math.floor(PARTITIONS / workers.length);
  const deadline = performance.now() + 60_000;
  while (!owned.every((n) => n >= fair)) {
    if (performance.now() > deadline)
      throw new Error(`workers did not share the partitions: ${owned.join(', ')}`);
    await sleep(100);
  }
  await sleep(1000); // let each worker load its partitions' state and start fetching
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
