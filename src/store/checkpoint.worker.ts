/**
 * Worker thread that copies SQLite's write-ahead log into the database file (PASSIVE
 * checkpoints: they never make the writer wait, though while one copies, the writer's
 * commits cannot start the log again), so that the writer thread's commits don't have to
 * (see background-checkpoints.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { CheckpointRequest, CheckpointResult, SqliteWorkerOptions } from './sqlite-protocol.js';
import { passiveCheckpoint } from './wal.js';

const options = workerData as SqliteWorkerOptions;
const db = new SqliteDatabase(options.path);
db.pragma('busy_timeout = 5000');
db.pragma(`synchronous = ${options.synchronous}`);

parentPort?.on('message', (request: CheckpointRequest) => {
  if (request === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  parentPort?.postMessage(pass());
});

function pass(): CheckpointResult {
  try {
    const { logFrames } = passiveCheckpoint(db);
    return logFrames === undefined ? { busy: true } : { logFrames };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
