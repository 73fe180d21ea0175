import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const KEY = 'crash-test-admin-key-0123456789';
const dir = tempDir('centinela-crash-');
const db = join(dir, 'crash.db');
const ACCOUNTS = 12;
const CONCURRENCY = 16;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
}

/** Starts `centinela serve` on the test database and resolves once it listens. */
async function serve(): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--db', db],
    {
      env: {
        ...process.env,
        CENTINELA_ADMIN_KEY: KEY,
        CENTINELA_LOG_LEVEL: 'warn',
        CENTINELA_DATABASE_URL: '',
        CENTINELA_FACE_ENGINE_START: 'lazy',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${out}`)));
  });
  return { child, port, exited };
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on its own connection (no keep-alive), so a reset is attributable to it. */
function send(port: number, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, agent: false, headers: headersOf(payload) },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function headersOf(payload: string | undefined): Record<string, string> {
  const base = { 'x-api-key': KEY, connection: 'close' };
  return payload === undefined ? base : { ...base, 'content-type': 'application/json' };
}

interface Load {
  /** Acknowledged ids: sync → decision, async → 'accepted'. */
  readonly acked: Map<string, string>;
  /** Errors of requests sent before {@link Load.signal} (in flight when the signal came). */
  readonly inFlightErrors: string[];
  /** Marks the moment a signal is sent; returns how many requests were in flight then. */
  signal(): number;
  stop(): void;
  readonly done: Promise<void>;
}

/** Concurrent POSTs (one in four asynchronous) until `stop()` or the server goes away. */
function load(port: number, prefix: string): Load {
  const acked = new Map<string, string>();
  const inFlightErrors: string[] = [];
  let stopped = false;
  let signalled = false;
  let inFlight = 0;
  let n = 0;
  const worker = async () => {
    while (!stopped) {
      const i = n++;
      const id = `${prefix}-${i}`;
      const async = i % 4 === 0;
      const body = { transaction_id: id, account_id: `acc-${i % ACCOUNTS}`, amount: 10 + (i % 97) };
      const sentBeforeSignal = !signalled;
      inFlight++;
      try {
        const answer = await send(port, 'POST', `/v1/transactions${async ? '?mode=async' : ''}`, body);
        if (answer.status === 200) acked.set(id, (JSON.parse(answer.body) as { decision: string }).decision);
        if (answer.status === 202) acked.set(id, 'accepted');
      } catch (error) {
        if (sentBeforeSignal) inFlightErrors.push(`${id}: ${(error as Error).message}`);
        return;
      } finally {
        inFlight--;
      }
    }
  };
  const done = Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => undefined);
  const signal = () => {
    signalled = true;
    return inFlight;
  };
  return { acked, inFlightErrors, signal, stop: () => (stopped = true), done };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForAcks(run: Load, count: number): Promise<void> {
  const end = Date.now() + 20_000;
  while (run.acked.size < count && Date.now() < end) await sleep(20);
}

/** Every acknowledged transaction is stored, decided, with the decision that was answered. */
async function checkStored(server: Server, acked: ReadonlyMap<string, string>): Promise<void> {
  const end = Date.now() + 15_000;
  const rows = () => {
    const sqlite = new Database(db, { readonly: true });
    try {
      const all = sqlite.prepare('select transaction_id, status, decision from transactions').all();
      return new Map(
        (all as { transaction_id: string; status: string; decision: string | null }[]).map((r) => [
          r.transaction_id,
          r,
        ]),
      );
    } finally {
      sqlite.close();
    }
  };
  let stored = rows();
  // Accepted (async) transactions are decided shortly after the restart.
  while ([...stored.values()].some((r) => r.status !== 'decided') && Date.now() < end) {
    await sleep(100);
    stored = rows();
  }
  const missing = [...acked].filter(([id, decision]) => {
    const row = stored.get(id);
    return !row || row.status !== 'decided' || (decision !== 'accepted' && row.decision !== decision);
  });
  expect(missing).toEqual([]);
  expect(server.child.exitCode).toBeNull();
}

/** A new transaction per account sees exactly the stored history in its velocity features. */
async function checkVelocity(server: Server, probe: string): Promise<void> {
  const sqlite = new Database(db, { readonly: true });
  const counts = new Map(
    (
      sqlite.prepare('select account_id, count(*) as n from transactions group by account_id').all() as {
        account_id: string;
        n: number;
      }[]
    ).map((r) => [r.account_id, r.n]),
  );
  sqlite.close();
  for (let a = 0; a < ACCOUNTS; a++) {
    const account = `acc-${a}`;
    const answer = await send(server.port, 'POST', '/v1/transactions', {
      transaction_id: `${probe}-${a}`,
      account_id: account,
      amount: 1,
    });
    expect(answer.status).toBe(200);
    const features = (
      JSON.parse(answer.body) as { features: { prior_transactions: number; count_24h: number } }
    ).features;
    const stored = counts.get(account) ?? 0;
    expect({ account, prior: features.prior_transactions, count_24h: features.count_24h }).toEqual({
      account,
      prior: stored,
      count_24h: stored + 1,
    });
  }
}

function integrity(): string {
  const sqlite = new Database(db, { readonly: true });
  try {
    return (sqlite.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    sqlite.close();
  }
}

describe('crash safety of the embedded server', () => {
  it('keeps every acknowledged transaction and the velocity state across SIGKILL and SIGTERM', async () => {
    const first = await serve();
    const killed = load(first.port, 'kill');
    await waitForAcks(killed, 300);
    killed.signal();
    first.child.kill('SIGKILL');
    await first.exited;
    await killed.done;
    expect(killed.acked.size).toBeGreaterThan(100);

    const second = await serve();
    await checkStored(second, killed.acked);
    await checkVelocity(second, 'probe-1');
    expect(integrity()).toBe('ok');

    const drained = load(second.port, 'term');
    await waitForAcks(drained, 300);
    expect(drained.signal()).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
    await drained.done; // each worker stops at its first refused connection
    expect(await second.exited).toBe(0);
    // Requests in flight when SIGTERM came were answered: no connection was reset under them.
    expect(drained.inFlightErrors).toEqual([]);
    expect(integrity()).toBe('ok');

    const third = await serve();
    await checkStored(third, new Map([...killed.acked, ...drained.acked]));
    await checkVelocity(third, 'probe-2');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(integrity()).toBe('ok');
  }, 90_000);
});
