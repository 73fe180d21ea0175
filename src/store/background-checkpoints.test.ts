import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { BackgroundCheckpoints, START_AFTER_STATEMENTS } from './background-checkpoints.js';
import { SqliteWorkerDialect } from './sqlite-worker.dialect.js';
import { SQLITE_AUTOCHECKPOINT_PAGES } from './wal.js';

/** How many times the log was started again: the WAL header's checkpoint sequence number. */
function restartsOf(walPath: string): number {
  const header = Buffer.alloc(16);
  const file = openSync(walPath, 'r');
  readSync(file, header, 0, 16, 0);
  closeSync(file);
  return header.readUInt32BE(12);
}

const autocheckpoint = (db: SqliteDatabase.Database) => db.pragma('wal_autocheckpoint', { simple: true });

describe('background WAL checkpoints', () => {
  let db: Kysely<unknown> | undefined;
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
  });

  it('keep the log from growing while single statements keep coming, and lose no row', async () => {
    const path = join(tempDir(), 'wal.db');
    db = new Kysely({
      dialect: new SqliteWorkerDialect({ path, synchronous: 'normal', restartLogAfterFrames: 50 }),
    });
    await sql`create table notes (id integer primary key, text text not null)`.execute(db);
    const writer = db;
    const rows = 5000;
    const text = 'x'.repeat(1000);
    // Waves of statements queued at once: the writer thread runs each wave back to back while
    // the checkpoint thread copies the log. Each commit adds at least one 4 KiB page to the log:
    // 20 MB a burst. Not the whole burst at once: the writer thread drains every message queued
    // on its port before it handles the checkpoint thread's answer, so 5,000 statements queued
    // together held that answer back until they had all run (the log grew by 13–18 MB in one
    // run of five). The service queues a few batches at a time, never thousands of statements.
    const wave = 250;
    const burst = async (first: number) => {
      for (let start = first; start < first + rows; start += wave) {
        await Promise.all(
          Array.from({ length: wave }, (_, i) =>
            sql`insert into notes (id, text) values (${start + i}, ${text})`.execute(writer),
          ),
        );
      }
    };
    const walBytes = () => statSync(`${path}-wal`).size;

    await burst(0); // the checkpoint thread starts during this one
    const afterFirst = walBytes();
    const restartsAfterFirst = restartsOf(`${path}-wal`);
    await burst(rows);
    // The guard is the restart count: the log must have started again during the burst (it fails
    // alone when the passes are turned off). The file only grows to its high-water mark, and
    // without checkpoints the burst adds 31.2 MB to it here (a 4 KiB page and a 24-byte frame
    // header per commit at least: 20.6 MB). How much less it adds with them depends on the CPU
    // and the disk the checkpoint thread gets on a shared two-core machine: nothing here, alone
    // or with both cores busy (31-67 restarts during the burst), but 5.4, 10.3, 10.5, 16.5 and
    // (2026-12-07, a loaded host) 22.8 MB in CI runs. So the size bound, about seven eighths of
    // the growth without checkpoints, only rules out a first restart at the burst's very end.
    expect(restartsOf(`${path}-wal`)).toBeGreaterThan(restartsAfterFirst);
    expect(walBytes() - afterFirst).toBeLessThan(rows * 5500);

    const pragma = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    expect(pragma.rows[0]?.wal_autocheckpoint).toBe(0);
    await db.destroy();
    db = undefined;
    // The writer's connection closed last: it copied the rest of the log and removed it.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new SqliteDatabase(path, { readonly: true });
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(reopened.prepare('select count(*) from notes').pluck().get()).toBe(2 * rows);
    reopened.close();
  });

  it('start the log again under a writer that never pauses, by checkpointing on the writer what a pass left', async () => {
    const path = join(tempDir(), 'busy.db');
    const writer = new SqliteDatabase(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('synchronous = normal');
    writer.exec('create table notes (id integer primary key, text text not null)');
    const checkpoints = new BackgroundCheckpoints(
      { path, synchronous: 'normal', restartLogAfterFrames: 50 },
      writer,
    );
    const insert = writer.prepare('insert into notes (id, text) values (?, ?)');
    let id = 0;
    // Back-to-back commits, a turn of the event loop (for the passes' answers) every 20.
    const write = async (count: number) => {
      for (let i = 0; i < count; i++) {
        insert.run(id++, 'x'.repeat(1000));
        checkpoints.afterStatement(writer);
        if (id % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const walBytes = () => statSync(`${path}-wal`).size;

    // Until the log has been started again once (the checkpoint thread takes a while to start).
    await expect
      .poll(async () => (await write(500), restartsOf(`${path}-wal`)), { timeout: 20_000, interval: 0 })
      .toBeGreaterThan(0);
    const before = { bytes: walBytes(), restarts: restartsOf(`${path}-wal`) };
    await write(20_000); // at least 80 MB through the log
    expect(walBytes() - before.bytes).toBeLessThan(4e6);
    expect(restartsOf(`${path}-wal`)).toBeGreaterThan(before.restarts);

    await checkpoints.close();
    writer.close();
  });

  it('start only after a number of statements, so that short-lived stores keep SQLite’s own checkpoints', async () => {
    const path = join(tempDir(), 'short.db');
    const writer = new SqliteDatabase(path);
    writer.pragma('journal_mode = WAL');
    const checkpoints = new BackgroundCheckpoints({ path, synchronous: 'normal' }, writer);
    for (let i = 1; i < START_AFTER_STATEMENTS; i++) checkpoints.afterStatement(writer);
    expect(autocheckpoint(writer)).toBe(SQLITE_AUTOCHECKPOINT_PAGES);
    checkpoints.afterStatement(writer);
    expect(autocheckpoint(writer)).toBe(0);
    const bulk = new SqliteDatabase(path);
    checkpoints.adopt(bulk); // as the writer's second connection, opened later
    expect(autocheckpoint(bulk)).toBe(0);
    await checkpoints.close();
    bulk.close();
    writer.close();
  });

  it('give the writer back SQLite’s own checkpoints when the checkpoint thread fails', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    onTestFinished(() => void process.off('warning', onWarning));
    const dir = tempDir();
    const writer = new SqliteDatabase(join(dir, 'writer.db'));
    // The checkpoint thread cannot open a database in a directory that does not exist.
    const checkpoints = new BackgroundCheckpoints(
      { path: join(dir, 'missing', 'x.db'), synchronous: 'normal' },
      writer,
    );
    for (let i = 0; i < START_AFTER_STATEMENTS; i++) checkpoints.afterStatement(writer);
    expect(autocheckpoint(writer)).toBe(0);
    await expect.poll(() => autocheckpoint(writer), { timeout: 10_000 }).toBe(SQLITE_AUTOCHECKPOINT_PAGES);
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code)).toEqual([
      'CENTINELA_SQLITE_CHECKPOINTS',
    ]);
    checkpoints.afterStatement(writer);
    await checkpoints.close();
    writer.close();
  });
});
