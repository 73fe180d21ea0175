/**
 * `npm run demo`: the service on `data/demo.db` (or `DEMO_DB`) with a fresh admin key, and
 * `centinela simulate` sending traffic to it, so the dashboard has something to show. Ctrl-C
 * stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.CENTINELA_PORT ?? process.env.PORT ?? 3000);
const url = `http://127.0.0.1:${port}`;
const key = process.env.CENTINELA_ADMIN_KEY ?? `demo-${randomBytes(18).toString('base64url')}`;
const rate = process.env.DEMO_RATE ?? '20';
const database = process.env.DEMO_DB ?? 'data/demo.db';
const children: ChildProcess[] = [];

function centinela(args: string[], quiet: boolean): ChildProcess {
  const compiled = existsSync(new URL('../dist/cli/main.js', import.meta.url));
  const command = compiled ? ['bin/centinela.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: root,
    env: { ...process.env, CENTINELA_ADMIN_KEY: key },
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
  });
  children.push(child);
  return child;
}

async function waitUntilUp(server: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if (server.exitCode !== null)
      throw new Error(`the service exited (${server.exitCode}); is port ${port} in use?`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the service did not start within 30 s');
}

function stop(code: number): never {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exit(code);
}

async function main(): Promise<void> {
  if (!existsSync(new URL('../dashboard/dist/index.html', import.meta.url))) {
    console.log('Building the dashboard first (npm run build:dashboard)…');
    const build = spawn('npm', ['run', 'build:dashboard'], { cwd: root, stdio: 'inherit' });
    await new Promise((resolve) => build.on('exit', resolve));
  }
  mkdirSync(dirname(resolve(root, database)), { recursive: true });
  const server = centinela(['serve', '--port', String(port), '--db', database], true);
  await waitUntilUp(server);
  console.log(
    [
      '',
      `  Centinela demo: open ${url}/ and sign in with this admin key:`,
      '',
      `    ${key}`,
      '',
      `  Simulated traffic: ${rate} transactions/s for an hour. Ctrl-C stops everything.`,
      '',
    ].join('\n'),
  );
  const simulator = centinela(['simulate', '--rate', rate, '--duration', '3600', '--target', url], false);
  simulator.on('exit', () => console.log('Simulation finished; the service keeps running (Ctrl-C to stop).'));
  server.on('exit', (code) => stop(code ?? 1));
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  stop(1);
});
