import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ENV, tempDir } from './helpers.js';

/** A port nothing listens on right now (the demo needs to know its URL before it starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('npm run demo', () => {
  it('starts the service and the simulator: decisions are stored, Ctrl-C stops both', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const key = 'demo-test-key-0123456789abcdef';
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      env: {
        ...CLI_ENV,
        CENTINELA_PORT: String(port),
        CENTINELA_ADMIN_KEY: key,
        CENTINELA_FACE_ENGINE_START: 'lazy',
        DEMO_RATE: '50',
        DEMO_DB: join(tempDir('centinela-demo-'), 'demo.db'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      expect(await until(() => output.includes('Centinela demo: open'), 60_000)).toBe(true);
      expect(output).toContain(`${url}/`);
      expect(output).toContain(key);

      const stored = async () => {
        const response = await fetch(`${url}/v1/transactions?limit=100`, { headers: { 'x-api-key': key } });
        if (!response.ok) return 0;
        return ((await response.json()) as { items: unknown[] }).items.length;
      };
      expect(await until(async () => (await stored()) >= 20, 30_000)).toBe(true);
      const dashboard = await fetch(`${url}/`);
      expect([dashboard.status, dashboard.headers.get('content-type')]).toEqual([
        200,
        expect.stringContaining('text/html'),
      ]);
    } finally {
      demo.kill('SIGINT');
    }
    expect(await exited(demo)).toBe(0);
    const down = await until(
      () =>
        fetch(`${url}/healthz`).then(
          () => false,
          () => true,
        ),
      15_000,
    );
    expect(down).toBe(true);
  }, 120_000);
});
