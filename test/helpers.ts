import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../src/config.js';
import { createService, type Service } from '../src/main.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface TestService {
  readonly service: Service;
  readonly config: Config;
  readonly dir: string;
  /** Injects a request with the admin key unless headers say otherwise. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** POSTs a transaction with the admin key. */
  post(body: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
  /** Closes and deletes the temporary folder. */
  destroy(): Promise<void>;
}

/** A fresh temporary folder for a test's database files. */
export function tempDir(prefix = 'centinela-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts the whole service on a SQLite file in a temporary folder (or `dir`). */
export async function startTestService(
  overrides: Partial<Config> = {},
  dir = tempDir(),
): Promise<TestService> {
  const config = loadConfig(
    {},
    {
      databaseUrl: join(dir, 'centinela.db'),
      adminKey: ADMIN_KEY,
      logLevel: 'silent',
      // Tests' webhook receivers listen on 127.0.0.1 (refused by default: see private-addresses.ts).
      webhookAllowPrivateNetworks: true,
      ...overrides,
    },
  );
  const service = await createService(config);
  const request = (options: InjectOptions) =>
    service.app.inject({ ...options, headers: { 'x-api-key': ADMIN_KEY, ...options.headers } });
  const close = () => service.close();
  return {
    service,
    config,
    dir,
    request,
    post: (body) => request({ method: 'POST', url: '/v1/transactions', payload: body as object }),
    close,
    destroy: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment CLI tests run in: no admin key or database from the developer's shell. */
export const CLI_ENV = { ...process.env, CENTINELA_ADMIN_KEY: '', CENTINELA_DATABASE_URL: '' };

/** Runs the CLI from source and returns its exit code and output. */
export function cli(...args: string[]) {
  return cliWith({}, ...args);
}

/** {@link cli} with more environment variables (e.g. another `TZ`). */
export function cliWith(env: Readonly<Record<string, string>>, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...CLI_ENV, ...env },
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout),
  };
}
