import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { sleep } from '../delivery.js';

/** The command this machine's NATS server was started with (DEVELOPERS.md). */
const NATS_ARGS = [
  '-a',
  '127.0.0.1',
  '-p',
  '4222',
  '-js',
  '-sd',
  '/var/lib/nats-server',
  '-l',
  '/var/log/nats-server.log',
];
const NATS_BINARY = '/usr/sbin/nats-server';
const NATS_PID_FILE = '/tmp/centinela-test-nats-server.pid';

/** The pid of the local NATS server, if it runs with exactly {@link NATS_ARGS}. */
export function localNatsPid(): number | undefined {
  let pids: string;
  try {
    pids = execFileSync('pgrep', ['-x', 'nats-server'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
  const expected = [NATS_BINARY, ...NATS_ARGS].join('\0');
  return pids
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '') === expected);
}

/** Whether the restart test may run: the test URL is this machine's server and we may restart it. */
export function canRestartNats(url: string): boolean {
  if (process.env.CENTINELA_TEST_NATS_RESTART === '0') return false;
  const { hostname, port } = new URL(url);
  return hostname === '127.0.0.1' && port === '4222' && localNatsPid() !== undefined;
}

/** Starts the local NATS server if it is not running (same command as DEVELOPERS.md), then waits for its port. */
export async function ensureNatsRunning(): Promise<void> {
  if (localNatsPid() === undefined) {
    execFileSync('start-stop-daemon', [
      '--start',
      '--oknodo',
      '--background',
      // without a pid file, another nats-server on this machine (another port) counts as running
      '--pidfile',
      NATS_PID_FILE,
      '--make-pidfile',
      '--exec',
      NATS_BINARY,
      '--',
      ...NATS_ARGS,
    ]);
  }
  await waitForPort(4222, 15_000);
}

/** Stops the local NATS server (SIGTERM to its pid), keeps it down `downMs`, starts it again. */
export async function restartNats(downMs: number): Promise<void> {
  const pid = localNatsPid();
  if (pid === undefined) throw new Error('the local NATS server is not running');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await sleep(50);
  await sleep(downMs);
  await ensureNatsRunning();
}

/** Whether this machine has the NATS server binary (to start servers of its own). */
export const hasNatsBinary = existsSync(NATS_BINARY);

/**
 * Starts a NATS server of the test's own on `port`, with the extra `args` (without `-js` it
 * has no JetStream); resolves once it listens, with what stops it.
 */
export async function startOwnNats(port: number, args: readonly string[] = []): Promise<() => void> {
  const child = spawn(NATS_BINARY, ['-a', '127.0.0.1', '-p', String(port), ...args], { stdio: 'ignore' });
  await waitForPort(port, 15_000);
  return () => child.kill('SIGKILL');
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`port ${port} did not open`);
    await sleep(100);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
