import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { cli, CLI_ENV, cliWith, tempDir } from './helpers.js';

const dir = tempDir('centinela-cli-');
const db = join(dir, 'cli.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('output to a reader that stops early', () => {
  it('ends quietly when stdout is closed under it (`… | head -c 10`)', () => {
    const accounts = Array.from({ length: 40_000 }, (_, i) => `acc-${i}`);
    const file = join(dir, 'big-deny.json');
    writeFileSync(
      file,
      JSON.stringify({ ...DEFAULT_RULE_SET, lists: { ...DEFAULT_RULE_SET.lists, deny_accounts: accounts } }),
    );
    const pipeDb = join(dir, 'pipe.db');
    expect(cli('rules', 'apply', file, '--db', pipeDb).status).toBe(0);
    const command = `"${process.execPath}" --import tsx src/cli/main.ts rules show --db "${pipeDb}" --json | head -c 10 > /dev/null`;
    const piped = spawnSync('bash', ['-o', 'pipefail', '-c', command], { encoding: 'utf8', env: CLI_ENV });
    // Before: "Error: write EPIPE" with its stack, and exit status 1.
    expect([piped.stderr, piped.status]).toEqual(['', 0]);
  });
});

describe('start-up', () => {
  it('loads only the command it runs: no DuckDB, face engine or HTTP server for `keys list`', () => {
    const log = join(dir, 'modules.log');
    const listed = cliWith(
      { MODULE_LOG: log, NODE_OPTIONS: '--import ./test/fixtures/module-log/register.mjs' },
      'keys',
      'list',
      '--db',
      db,
    );
    expect(listed.status, listed.stderr).toBe(0);
    const loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('/kysely/'); // the log works: the store is loaded
    for (const heavy of ['@duckdb', '@tensorflow', '/fastify/', '/sharp/'])
      expect(loaded, heavy).not.toContain(heavy);
  });
});

describe('centinela keys', () => {
  it('creates, lists and revokes keys, printing JSON for scripts', () => {
    const created = cli(
      'keys',
      'create',
      '--scopes',
      'transactions:read,rules:read',
      '--name',
      'ops',
      '--db',
      db,
      '--json',
    );
    expect(created.status).toBe(0);
    const key = created.json();
    expect(key.key).toMatch(/^cnt_[a-z0-9]{12}_/);
    expect(key.scopes).toEqual(['transactions:read', 'rules:read']);
    const listed = cli('keys', 'list', '--db', db, '--json').json();
    expect(listed.find((k: { id: string }) => k.id === key.id)).toMatchObject({
      name: 'ops',
      revoked_at: null,
    });
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect(cli('keys', 'revoke', key.id, '--db', db).status).toBe(0);
    expect(cli('keys', 'list', '--db', db, '--json').json()[0].revoked_at).not.toBeNull();
  });

  it('refuses unknown scopes with a clear error', () => {
    const bad = cli('keys', 'create', '--scopes', 'everything', '--db', db);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_FAILED: Unknown scopes: everything; known scopes: ');
    expect(bad.stderr).toContain('transactions:write');
  });

  it("holds names and rate limits to the API's bounds, and revokes a key given whole without printing it", () => {
    const blank = cli('keys', 'create', '--scopes', 'rules:read', '--name', '  ', '--db', db, '--json');
    expect([blank.status, blank.json().error.details[0].field]).toEqual([1, 'name']);
    const fast = cli(
      'keys',
      'create',
      '--scopes',
      'rules:read',
      '--rate-limit',
      '9007199254740991',
      '--db',
      db,
      '--json',
    );
    expect([fast.status, fast.json().error.details[0].field]).toEqual([1, '--rate-limit']);
    const created = cli(
      'keys',
      'create',
      '--scopes',
      'rules:read',
      '--name',
      ' whole ',
      '--db',
      db,
      '--json',
    ).json();
    expect(created.name).toBe('whole');
    const revoked = cli('keys', 'revoke', created.key, '--db', db, '--json');
    expect([revoked.status, revoked.json()]).toEqual([0, { id: created.id, revoked: true }]);
    expect(revoked.stdout + revoked.stderr).not.toContain(created.key);
  }, 60_000);

  it('refuses a bad --expires-in-days before creating anything', () => {
    const before = cli('keys', 'list', '--db', db, '--json').json().length as number;
    for (const days of ['abc', '0', '-1', '1.5', '1e400', '100000000']) {
      const bad = cli(
        'keys',
        'create',
        '--scopes',
        'rules:read',
        '--expires-in-days',
        days,
        '--db',
        db,
        '--json',
      );
      expect(bad.status, days).toBe(1);
      expect(bad.json().error, days).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(bad.json().error.message).toContain('--expires-in-days');
    }
    expect(cli('keys', 'list', '--db', db, '--json').json()).toHaveLength(before);
  }, 120_000); // eight CLI processes, one after another: 36 s on a slow, busy day
});

describe('failures', () => {
  it('with --json print the API error envelope, details included', () => {
    const file = join(dir, 'bad-envelope.json');
    writeFileSync(file, JSON.stringify({ rules: [{ id: 'X', condition: 'amount >' }] }));
    const result = cli('rules', 'apply', file, '--db', db, '--json');
    expect(result.status).toBe(1);
    const { error } = result.json();
    expect(error).toMatchObject({ code: 'RULESET_INVALID' });
    expect(error.details).toContainEqual(expect.objectContaining({ field: 'rules[0].condition' }));
  });

  it('of usage (unknown command or flag, missing argument) are one JSON document with --json', () => {
    const cases = [
      [['bogus', '--json'], "unknown command 'bogus'"],
      [['keys', 'list', '--bogus', '--json'], "unknown option '--bogus'"],
      [['keys', 'revoke', '--json'], "missing required argument 'id'"],
    ] as const;
    for (const [args, message] of cases) {
      const result = cli(...args);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.json(), args.join(' ')).toEqual({ error: { code: 'VALIDATION_FAILED', message } });
    }
    // A flag is not taken as another flag's value (--db --json used '--json' as the path).
    const swallowed = cli('keys', 'list', '--db', '--json');
    expect(swallowed.status).toBe(1);
    expect(swallowed.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: '--db needs a value, not the flag --json.',
      details: [{ field: '--db' }],
    });
    const help = cli('keys', 'list', '--db', '--help', '--json');
    expect(help.json().error.message).toBe('--db needs a value, not the flag --help.');
    const plain = cli('keys', 'list', '--bogus');
    expect([plain.status, plain.stdout]).toEqual([1, '']);
    expect(plain.stderr).toContain("error: unknown option '--bogus'");
    expect(plain.stderr).toContain('Usage: centinela keys list');
  });

  it('of simulate: a bad --target is refused, and --duration bounds a run the target cannot keep up with', () => {
    const bad = cli('simulate', '--target', 'notaurl', '--api-key', 'k', '--json');
    expect([bad.status, bad.json().error.code]).toEqual([1, 'VALIDATION_FAILED']);
    // Nothing listens on port 9: every request fails, at most as fast as this machine sends them.
    const run = cli(
      'simulate',
      '--rate',
      '1000000',
      '--duration',
      '1',
      '--target',
      'http://127.0.0.1:9',
      '--api-key',
      'k',
      '--json',
    );
    const summary = run.json();
    expect(summary.seconds).toBeLessThan(5);
    expect(summary.sent).toBeLessThan(1_000_000);
    expect(summary.errors).toBe(summary.sent);
    expect(run.status).toBe(1); // every request failed
  });

  it('refuse a detector --seed that is not a whole number and train --samples 0', () => {
    const seed = cli('structuring', 'run', '--stored', '--seed', 'abc', '--db', db, '--json');
    expect([seed.status, seed.json().error.code]).toEqual([1, 'VALIDATION_FAILED']);
    expect(seed.json().error.message).toContain('--seed');
    // Number flags are decimal text: Number() read 0x10 as 16 and 1e3 as 1000.
    const rate = cli('simulate', '--rate', '0x10', '--api-key', 'k', '--json');
    expect(rate.json().error.message).toBe("--rate must be a positive number, not '0x10'.");
    const limit = cli('structuring', 'consensus', 'run-x', '--limit', '1e3', '--db', db, '--json');
    expect(limit.json().error.message).toBe("--limit must be a whole number of at least 1, not '1e3'.");
    const samples = cli('train', '--samples', '0', '--db', db, '--json');
    expect([samples.status, samples.json().error.code]).toEqual([1, 'VALIDATION_FAILED']);
    expect(samples.json().error.message).toBe("--samples must be a whole number of at least 1, not '0'.");
  });

  it('say why a store cannot be opened: a directory, a file that is not a database', () => {
    const notADatabase = join(dir, 'not-a-database.db');
    writeFileSync(notADatabase, 'plain text, not SQLite');
    const cases = { [dir]: 'SQLITE_CANTOPEN', [notADatabase]: 'SQLITE_NOTADB' };
    for (const [path, code] of Object.entries(cases)) {
      const result = cli('keys', 'list', '--db', path);
      expect(result.status, path).toBe(1);
      expect(result.stderr, path).toMatch(new RegExp(`STORE_UNAVAILABLE: .+ \\(${code}\\)`));
    }
  });

  it('of serve on a port in use: CONFLICT, the process ends, and no first admin key is made', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = String((holder.address() as AddressInfo).port);
    const store = join(dir, 'port-in-use.db');
    try {
      const result = cli('serve', '--port', port, '--db', store, '--json');
      expect(result.status).toBe(1);
      expect(result.json().error).toMatchObject({ code: 'CONFLICT' });
      expect(result.json().error.message).toContain(`Port ${port}`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expect(cli('keys', 'list', '--db', store, '--json').json()).toEqual([]);
  });

  it('refuse a --from after --to instead of reporting an empty range', () => {
    const range = ['--from', '2026-03-31T00:00:00Z', '--to', '2026-03-01T00:00:00Z', '--db', db];
    for (const args of [
      ['replay', ...range],
      ['structuring', 'run', '--stored', ...range],
    ]) {
      const result = cli(...args);
      expect(result.status, args[0]).toBe(1);
      expect(result.stderr, args[0]).toContain('VALIDATION_FAILED: --from must not be after --to.');
    }
  });

  it('read --from/--to as ISO-8601 in UTC, refusing dates that do not exist and bare numbers', () => {
    for (const [flag, value] of [
      ['--from', '2026-02-30'], // Date.parse rolled it over to March 2
      ['--to', '1'], // Date.parse read it as the year 2001
      ['--from', '2026-12-31T23:59:60Z'],
    ] as const) {
      for (const args of [
        ['replay', flag, value, '--db', db],
        ['structuring', 'run', '--stored', flag, value, '--db', db],
        ['models', 'shadow-report', flag, value, '--db', db],
      ]) {
        const result = cli(...args);
        expect(result.status, args.join(' ')).toBe(1);
        expect(result.stderr, args.join(' ')).toContain(
          `VALIDATION_FAILED: ${flag} must be an ISO-8601 date`,
        );
        expect(result.stderr, args.join(' ')).toContain(`not '${value}'`);
      }
    }
    // A time without an offset is UTC, as in transactions, not the machine's zone.
    const utc = cli('replay', '--from', '2026-03-01 00:00', '--to', '2026-02-28T23:00:00Z', '--db', db);
    expect(utc.stderr).toContain('--from must not be after --to.');
    // Read as local time in New York (UTC-5) this --from would be after --to and refused.
    const range = ['--from', '2026-03-01T00:00', '--to', '2026-03-01T00:30:00+00:00'];
    const withTz = cliWith({ TZ: 'America/New_York' }, 'replay', ...range, '--db', db, '--json');
    expect(withTz.status, withTz.stderr).toBe(0);
  }, 120_000); // eleven CLI starts of about 1.3 s each, more on a busy machine

  it("refuse a bad dlq --limit before connecting to NATS (its error, not the connection's)", () => {
    for (const sub of ['list', 'replay']) {
      const result = cli('dlq', sub, '--limit', '0', '--nats', 'nats://127.0.0.1:1');
      expect(result.status, sub).toBe(1);
      expect(result.stderr, sub).toContain('--limit must be a whole number of at least 1');
      expect(result.stderr, sub).not.toContain('NATS');
    }
    // A letter id is a whole number too: 'abc' was looked for and 'not found'.
    const id = cli('dlq', 'replay', '--id', 'abc', '--nats', 'nats://127.0.0.1:1', '--json');
    expect([id.status, id.json().error.code, id.json().error.details[0].field]).toEqual([
      1,
      'VALIDATION_FAILED',
      '--id',
    ]);
  });

  it('end the process even with handles open: a worker that cannot reach NATS', () => {
    const started = Date.now();
    const result = cli('worker', '--db', join(dir, 'worker.db'), '--nats', 'nats://127.0.0.1:1');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('NATS');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuse a --port that is not a whole number from 0 to 65535', () => {
    for (const port of ['abc', '-1', '99999', '4100.5', '0x50', '1e3']) {
      const started = Date.now();
      const result = cli('serve', '--port', port, '--db', join(dir, 'serve.db'));
      expect(result.status, port).toBe(1);
      expect(result.stderr).toContain('--port');
      expect(Date.now() - started).toBeLessThan(30_000);
    }
  });

  it('of a structuring run name an unwritable --out or --export before any work', () => {
    const input = join(dir, 'tiny.csv');
    writeFileSync(input, 'user_id,transaction_date,transaction_amount\nu1,2026-01-01T00:00:00Z,5\n');
    for (const [flag, path] of [
      ['--out', join(dir, 'missing', 'report.html')],
      ['--out', dir],
      ['--export', join(dir, 'missing', 'windows.csv')],
      ['--export', join(dir, 'windows.xlsx')],
    ] as const) {
      const result = cli(
        'structuring',
        'run',
        '--input',
        input,
        '--methods',
        'rules',
        flag,
        path,
        '--db',
        db,
      );
      expect(result.status, path).toBe(1);
      expect(result.stderr, path).toContain(`${flag} ${path}`);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});

describe('centinela rules', () => {
  it('lists, applies and shows rule sets', () => {
    expect(cli('rules', 'list', '--db', db, '--json').json()).toHaveLength(1);
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_RULE_SET, name: 'stricter' }));
    const applied = cli('rules', 'apply', file, '--db', db, '--json');
    expect(applied.json()).toMatchObject({ version: 2, active: true, name: 'stricter' });
    expect(cli('rules', 'show', '--db', db, '--json').json()).toMatchObject({ version: 2 });
    expect(cli('rules', 'show', '1', '--db', db).stdout).toContain('HIGH_AMOUNT');
  });

  it('names a version that is not a number instead of looking up NaN', () => {
    for (const command of ['show', 'activate']) {
      const result = cli('rules', command, 'abc', '--db', db);
      expect(result.status, command).toBe(1);
      expect(result.stderr, command).toContain("VERSION must be a whole number of at least 1, not 'abc'.");
    }
  });

  it('rejects an invalid rule set and names the field', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ rules: [{ id: 'X', condition: 'amount >' }] }));
    const result = cli('rules', 'apply', file, '--db', db);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('RULESET_INVALID');
    expect(result.stderr).toContain('rules[0].condition');
  });

  it('says on stderr when a command creates the store it was pointed at (a mistyped --db)', () => {
    const typo = join(dir, 'centinel.db');
    const first = cli('rules', 'list', '--db', typo, '--json');
    expect(first.status).toBe(0);
    expect(first.stderr).toContain(`no store was at ${typo}; a new one was created there (a mistyped --db?)`);
    expect(first.json()).toEqual([expect.objectContaining({ version: 1, name: 'default' })]);
    expect(cli('rules', 'list', '--db', typo, '--json').stderr).not.toContain('no store was at');
  });

  it('refuses a store in a folder that does not exist, and creates none; only ./data, the default, is created', () => {
    const typo = join(dir, 'no-such-folder', 'deeper', 'c.db');
    const refused = cli('keys', 'list', '--db', typo, '--json');
    expect([refused.status, refused.json().error.code]).toEqual([1, 'CONFIG_INVALID']);
    expect(refused.json().error.message).toContain(`The folder of the SQLite store ${typo} does not exist`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
    const home = tempDir('centinela-cli-default-');
    const tsx = import.meta.resolve('tsx');
    const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
    const byDefault = spawnSync(process.execPath, ['--import', tsx, main, 'keys', 'list', '--json'], {
      cwd: home,
      encoding: 'utf8',
      env: CLI_ENV,
    });
    expect(byDefault.status, byDefault.stderr).toBe(0);
    expect(existsSync(join(home, 'data', 'centinela.db'))).toBe(true);
  });

  it('says a rule set file is missing (INPUT_NOT_FOUND) or a folder, apart from one that is not JSON', () => {
    const run = (file: string) => cli('rules', 'apply', file, '--db', db, '--json');
    const missing = run(join(dir, 'no-such-rules.json'));
    expect([missing.status, missing.json().error]).toEqual([
      1,
      expect.objectContaining({
        code: 'INPUT_NOT_FOUND',
        details: { file: join(dir, 'no-such-rules.json') },
      }),
    ]);
    const folder = run(dir);
    expect([folder.status, folder.json().error.code, folder.json().error.message]).toEqual([
      1,
      'INPUT_INVALID',
      `Cannot read ${dir}: it is a folder.`,
    ]);
    const text = join(dir, 'not-json.json');
    writeFileSync(text, 'rules: none');
    expect(run(text).json().error.code).toBe('RULESET_INVALID');
  });

  it('says clearly that the store is busy when another process holds its write lock too long', () => {
    const file = join(dir, 'rules.json');
    const other = new SqliteDatabase(db);
    try {
      other.exec('begin immediate'); // held for longer than the 5 s busy timeout
      const blocked = cli('rules', 'apply', file, '--db', db);
      expect(blocked.status).toBe(1);
      expect(blocked.stderr).toContain('STORE_UNAVAILABLE: The store is busy');
      expect(blocked.stderr).not.toContain('    at ');
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect(cli('rules', 'apply', file, '--db', db, '--json').json()).toMatchObject({ active: true });
  });
});

describe('centinela serve and simulate', () => {
  it('does not start with an active rule set that cannot be evaluated; rules activate repairs it', async () => {
    const brokenDb = join(dir, 'broken-rules.db');
    expect(cli('rules', 'list', '--db', brokenDb).status).toBe(0);
    const sqlite = new SqliteDatabase(brokenDb);
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    const document = { ...DEFAULT_RULE_SET, rules: [{ ...first, condition: 'amount >> 5' }, ...rest] };
    sqlite.prepare('UPDATE rule_sets SET active = 0').run();
    sqlite
      .prepare(
        `INSERT INTO rule_sets (version, name, document, created_at, created_by, active, activated_at)
        VALUES (2, 'broken', ?, 0, 'hand', 1, 0)`,
      )
      .run(JSON.stringify(document));
    sqlite.close();
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--db', brokenDb],
      {
        env: { ...CLI_ENV, CENTINELA_LOG_LEVEL: 'warn', CENTINELA_FACE_ENGINE_START: 'lazy' },
      },
    );
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const stop = setTimeout(() => server.kill('SIGKILL'), 50_000); // started after all: fail, not hang
    const status = await new Promise((resolve) => server.on('exit', resolve));
    clearTimeout(stop);
    expect(status).toBe(1);
    expect(stderr).toContain(
      'RULESET_INVALID: The active rule set v2 cannot be evaluated (rules[0].condition:',
    );
    expect(cli('rules', 'show', '--db', brokenDb, '--json').json()).toMatchObject({
      version: 2,
      active: true,
    });
    expect(cli('rules', 'activate', '1', '--db', brokenDb).status).toBe(0);
    expect(cli('rules', 'show', '--db', brokenDb, '--json').json()).toMatchObject({
      version: 1,
      active: true,
    });
  }, 60_000);

  it('with --json prints its start-up facts as one JSON line, and logs only on stderr', async () => {
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--db', join(dir, 'json.db'), '--json'],
      { env: { ...CLI_ENV, CENTINELA_LOG_LEVEL: 'info', CENTINELA_FACE_ENGINE_START: 'lazy' } },
    );
    let output = '';
    let errors = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    for (let i = 0; i < 200 && !output.includes('\n'); i++) await new Promise((r) => setTimeout(r, 100));
    const facts = JSON.parse(output.split('\n')[0] ?? '') as Record<string, string>;
    expect(facts).toMatchObject({ store: join(dir, 'json.db'), dashboard_url: `${facts.url}/` });
    expect(facts.admin_key).toMatch(/^cnt_/);
    const rules = await fetch(`${facts.url}/v1/rules`, { headers: { 'x-api-key': facts.admin_key! } });
    expect(rules.status).toBe(200);
    server.kill('SIGTERM');
    expect(await new Promise((resolve) => server.on('exit', resolve))).toBe(0);
    // Logs (Fastify's "Server listening" at info) and stopping go to stderr: stdout is the one line.
    expect(output.trim().split('\n')).toEqual([JSON.stringify(facts)]);
    expect(errors).toContain('Server listening at');
  }, 60_000);

  it('prints the URL and a first admin key, scores traffic from the simulator, stops on SIGTERM', async () => {
    const serveDb = join(dir, 'serve.db');
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--db', serveDb],
      {
        env: { ...CLI_ENV, CENTINELA_LOG_LEVEL: 'warn' },
      },
    );
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 200 && !output.includes('cnt_'); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    const key = /(cnt_[A-Za-z0-9_-]+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    expect(key).toBeDefined();

    const sim = spawn(process.execPath, [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'simulate',
      '--rate',
      '100',
      '--duration',
      '2',
      '--target',
      url!,
      '--api-key',
      key!,
      '--json',
    ]);
    let simOut = '';
    sim.stdout.on('data', (chunk: Buffer) => (simOut += chunk.toString()));
    const simCode = await new Promise((resolve) => sim.on('exit', resolve));
    expect(simCode).toBe(0);
    const summary = JSON.parse(simOut);
    expect(summary.sent).toBe(200);
    expect(summary.errors).toBe(0);
    const decided = summary.patterns.reduce((n: number, p: { sent: number }) => n + p.sent, 0);
    expect(decided).toBe(200);

    // A rule set applied by another process reaches the running server without a restart.
    const stricter = {
      ...DEFAULT_RULE_SET,
      name: 'low-limit',
      rules: DEFAULT_RULE_SET.rules.map((r) =>
        r.id === 'HIGH_AMOUNT' ? { ...r, condition: 'amount > 100' } : r,
      ),
    };
    const file = join(dir, 'low-limit.json');
    writeFileSync(file, JSON.stringify(stricter));
    const applied = cli('rules', 'apply', file, '--db', serveDb, '--json').json();
    const score = async () =>
      (
        await fetch(`${url}/v1/transactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key! },
          body: JSON.stringify({ account_id: `live-rules-${Date.now()}`, amount: 150 }),
        })
      ).json() as Promise<{ decision: string; rules_version: number }>;
    let latest = await score();
    for (let i = 0; i < 50 && latest.rules_version !== applied.version; i++) {
      await new Promise((r) => setTimeout(r, 200));
      latest = await score();
    }
    expect(latest).toMatchObject({ rules_version: applied.version, decision: 'review' });

    server.kill('SIGTERM');
    const code = await new Promise((resolve) => server.on('exit', resolve));
    expect(code).toBe(0);
  }, 60_000);
});

describe('usage errors', () => {
  it('are VALIDATION_FAILED naming the flag in details, as the API names a field', () => {
    const cases: [string[], string, string][] = [
      [['structuring', 'run', '--stored', '--input', 'x.csv', '--db', db], '--input', 'conflict'],
      [['structuring', 'run', '--db', db], '--input', 'required'],
      [['structuring', 'schedule', '--every', 'abc', '--db', db], '--every', 'format'],
      [['train', '--generator', 'bogus', '--db', db], '--generator', 'invalid'],
      [['models', 'shadow', '--db', db], 'version', 'required'],
      [['models', 'shadow', 'v1', '--off', '--db', db], '--off', 'conflict'],
      [['train', '--from-store', '--generator', 'prototype', '--db', db], '--generator', 'invalid'],
      [['evaluate', '--model', 'v1', '--db', db], '--data', 'required'],
      [
        ['models', 'shadow-report', '--from', '2026-03-02', '--to', '2026-03-01', '--db', db],
        '--from',
        'range',
      ],
      [['simulate', '--rate', '0', '--api-key', 'k'], '--rate', 'range'],
      [['simulate', '--target', 'notaurl', '--api-key', 'k'], '--target', 'format'],
    ];
    for (const [args, field, code] of cases) {
      const result = cli(...args, '--json');
      expect([result.status, result.json().error], args.join(' ')).toEqual([
        1,
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ field, code })],
        }),
      ]);
    }
  }, 180_000); // twelve CLI starts
});
