import type { Command } from 'commander';
import { stopAccepting } from '../api/drain.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { createService, type Service } from '../main.js';
import { configFrom, type StoreFlags } from './common.js';
import { stopOnSignals } from './signals.js';

interface ServeFlags extends StoreFlags {
  port?: string;
  host?: string;
}

/** `centinela serve`: the API on the embedded store. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('start the API (SQLite by default) and print its URL and how to authenticate')
    .option('--port <port>', 'port (default: PORT or 3000)')
    .option('--host <host>', 'interface (default: 127.0.0.1)')
    .option('--db <path>', 'SQLite file (default: ./data/centinela.db)')
    .option('--json', 'print the start-up facts as one JSON line instead of the banner')
    .action(async (flags: ServeFlags) => {
      const config = configFrom(flags);
      // --json: stdout holds only the start-up line, logs go to stderr.
      const service = await createService(config, flags.json ? { logStream: process.stderr } : {});
      const address = await listen(service, config);
      // Only once listening: a first admin key made by a start that then failed could never be shown.
      const firstKey = config.adminKey ? undefined : await service.keys.createFirstAdminKey();
      const started = { address, store: service.store.location, firstKey: firstKey?.key };
      if (flags.json) printStarted(started);
      else printBanner(started, Boolean(config.adminKey));
      if (config.faceEngineStart === 'eager') warmUpFaceEngine(service);
      stopOnSignals(async () => {
        await stopAccepting(service.app);
        await service.close();
      });
    });
}

/** Listens on the configured port; on failure closes the service (a port in use: CONFLICT). */
async function listen(service: Service, config: Config): Promise<string> {
  try {
    return await service.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await service.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') {
      throw new AppError(
        'CONFIG_INVALID',
        `--host ${config.host} is not an address of this machine (${code}).`,
        {
          details: [{ field: '--host', code: 'address', message: `${config.host} cannot be listened on` }],
          cause: error,
        },
      );
    }
    if (code !== 'EADDRINUSE') throw error;
    throw new AppError('CONFLICT', `Port ${config.port} on ${config.host} is in use by another process.`, {
      cause: error,
    });
  }
}

/** Loads the face models in the background, so the first verification does not wait for them. */
function warmUpFaceEngine(service: Service): void {
  service.identity.engine.ready().catch((error: unknown) => {
    service.app.log.error({ err: error }, 'face engine failed to start; identity routes answer 503');
  });
}

interface Started {
  readonly address: string;
  readonly store: string;
  /** The admin key created at the first start (shown only this once). */
  readonly firstKey: string | undefined;
}

/** `--json`: one line a script can parse, e.g. to pick up the first admin key. */
function printStarted({ address, store, firstKey }: Started): void {
  const facts = {
    url: address,
    docs_url: `${address}/docs`,
    dashboard_url: `${address}/`,
    store,
    admin_key: firstKey ?? null,
  };
  process.stdout.write(`${JSON.stringify(facts)}\n`);
}

function printBanner({ address, store: location, firstKey }: Started, envKey: boolean): void {
  const lines = [
    `Centinela is listening on ${address}  (API docs: ${address}/docs)`,
    `Dashboard: ${address}/  (sign in with an API key that has the dashboard or admin scope)`,
    `Store: ${location}`,
  ];
  if (firstKey) {
    lines.push(
      '',
      'First start: an admin API key was created. It is shown only this once; keep it:',
      `  ${firstKey}`,
      '',
      `Try: curl -H 'x-api-key: ${firstKey}' -H 'content-type: application/json' \\`,
      `       -d '{"account_id":"acc-1","amount":42.5}' ${address}/v1/transactions`,
    );
  } else if (envKey) {
    lines.push('Authenticate with the key in CENTINELA_ADMIN_KEY (header x-api-key).');
  } else {
    lines.push(
      'Authenticate with an API key in the x-api-key header (create one: centinela keys create --scopes admin).',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
