/**
 * Synthetic transaction logs in the payments team's columns, generated and written by
 * DuckDB (so 10M rows take seconds and never exist as JS objects). Every random draw is
 * a hash of (seed, row keys): the same seed gives the same file.
 *
 * Besides ordinary purchases it plants labelled split-payment episodes
 * (`is_structuring = 1`: a large sum broken into 5–12 payments within hours, mostly to one
 * merchant) and innocent look-alikes (`is_structuring = 0`): commuters paying four small
 * fares each weekday, and shops paying their supplier several times each weekday.
 */
import { literal } from './duckdb.js';
import { openEngine, queryNumber } from './duckdb.js';
import { isParquet } from './table-files.js';

export interface LedgerOptions {
  readonly users: number;
  readonly days: number;
  readonly out: string;
  /** Default 1. */
  readonly seed?: number;
  /** First day, ISO date. Default 2025-01-01. */
  readonly start?: string;
  /** Share of users with split-payment episodes. Default 0.02. */
  readonly structuringShare?: number;
}

export interface LedgerSummary {
  readonly rows: number;
  readonly structuring_rows: number;
  readonly episodes: number;
  readonly users: number;
  readonly days: number;
}

/** Uniform [0, 1) from the hash of the arguments and the seed. */
const u = (seed: number, ...keys: (string | number)[]) =>
  `((hash(${[...keys, seed].join(', ')}) % 1000003)::DOUBLE / 1000003)`;

/** Time `day` days and `hours` hours after the start. */
const at = (start: string, day: string, hours: string) =>
  `(TIMESTAMP ${literal(start)} + to_milliseconds(((${day}) * 86400000 + (${hours}) * 3600000)::BIGINT))`;

function ordinarySql(o: Required<LedgerOptions>): string {
  const s = o.seed;
  const merchants = Math.max(50, Math.round(o.users / 20));
  const z = `sqrt(-2 * ln(1 - ${u(s, 'user', 'k', 6)})) * cos(2 * pi() * ${u(s, 'user', 'k', 7)})`;
  return `SELECT user, (user * 31 + floor(pow(${u(s, 'user', 'k', 5)}, 2) * 6)::BIGINT * 97) % ${merchants} AS merchant,
      ${at(o.start, `floor(${u(s, 'user', 'k', 2)} * ${o.days})`, `7 + 15 * (${u(s, 'user', 'k', 3)} + ${u(s, 'user', 'k', 4)}) / 2`)} AS ts,
      least(20000, round(exp(ln(40) + 0.9 * ${z}), 2)) AS amount,
      CASE WHEN ${u(s, 'user', 'k', 8)} < 0.8 THEN 'purchase' WHEN ${u(s, 'user', 'k', 8)} < 0.95 THEN 'transfer' ELSE 'payment' END AS type,
      0 AS label
    FROM range(${o.users}) r(user), range(${Math.ceil(o.days * 3)}) q(k)
    WHERE k < ${o.days} * (0.4 + 2.6 * ${u(s, 'user', 1)})`;
}

function structuringSql(o: Required<LedgerOptions>): string {
  const s = o.seed;
  const parts = `(5 + floor(${u(s, 'user', 'e', 11)} * 8))`;
  const total = `(8000 + 22000 * ${u(s, 'user', 'e', 12)})`;
  const span = `(1 + 11 * ${u(s, 'user', 'e', 13)})`;
  return `SELECT user, CASE WHEN ${u(s, 'user', 'e', 14)} < 0.8 THEN 90000 + user % 500
        ELSE 90000 + (user + j * 7) % 500 END AS merchant,
      ${at(o.start, `floor(${u(s, 'user', 'e', 15)} * ${o.days})`, `8 + ${u(s, 'user', 'e', 16)} * 4 + ${span} * j / ${parts} + ${u(s, 'user', 'e', 'j', 17)} * 0.3`)} AS ts,
      round(${total} / ${parts} * (0.85 + 0.3 * ${u(s, 'user', 'e', 'j', 18)}), 2) AS amount,
      CASE WHEN ${u(s, 'user', 'e', 19)} < 0.5 THEN 'transfer' ELSE 'payment' END AS type,
      1 AS label
    FROM range(${o.users}) r(user), range(3) q(e), range(12) p(j)
    WHERE ${u(s, 'user', 10)} < ${o.structuringShare} AND e <= floor(${u(s, 'user', 20)} * 3) AND j < ${parts}`;
}

function commuterSql(o: Required<LedgerOptions>): string {
  const s = o.seed;
  return `SELECT user, 80000 + user % 5 AS merchant,
      ${at(o.start, 'day', `[7.5, 8.2, 17.6, 18.3][leg + 1] + ${u(s, 'user', 'day', 'leg', 21)} * 0.25`)} AS ts,
      round(1.5 + 3 * ${u(s, 'user', 'day', 'leg', 22)}, 2) AS amount, 'purchase' AS type, 0 AS label
    FROM range(${o.users}) r(user), range(${o.days}) d(day), range(4) l(leg)
    WHERE ${u(s, 'user', 30)} < 0.03 AND day % 7 < 5`;
}

function supplierSql(o: Required<LedgerOptions>): string {
  const s = o.seed;
  return `SELECT user, 85000 + user % 40 AS merchant,
      ${at(o.start, 'day', `[9, 12, 15, 17, 18][n + 1] + ${u(s, 'user', 'day', 'n', 31)} * 0.5`)} AS ts,
      round(800 + 1700 * ${u(s, 'user', 'day', 'n', 32)}, 2) AS amount, 'payment' AS type, 0 AS label
    FROM range(${o.users}) r(user), range(${o.days}) d(day), range(5) m(n)
    WHERE ${u(s, 'user', 40)} < 0.01 AND day % 7 < 5 AND n < 3 + floor(${u(s, 'user', 'day', 33)} * 3)`;
}

/** The whole ledger in the default columns, ordered by time. */
export function ledgerSql(options: LedgerOptions): string {
  const o: Required<LedgerOptions> = { seed: 1, start: '2025-01-01', structuringShare: 0.02, ...options };
  const all = [ordinarySql(o), structuringSql(o), commuterSql(o), supplierSql(o)].join('\nUNION ALL\n');
  return `SELECT row_number() OVER (ORDER BY ts, user, merchant, amount) AS _id,
      'AC' || lpad(user::VARCHAR, 8, '0') AS account_number,
      'U' || lpad(user::VARCHAR, 7, '0') AS user_id,
      'M' || lpad(merchant::VARCHAR, 6, '0') AS merchant_id,
      'S' || lpad((user % 12)::VARCHAR, 2, '0') AS subsidiary,
      date_trunc('second', ts) AS transaction_date,
      type AS transaction_type,
      amount AS transaction_amount,
      label AS is_structuring
    FROM (${all})
    ORDER BY ts, user, merchant, amount`;
}

/** Writes the ledger to `out` (`.parquet` or CSV) and counts what it holds. */
export async function generateLedger(options: LedgerOptions): Promise<LedgerSummary> {
  const engine = await openEngine();
  try {
    const format = isParquet(options.out) ? 'PARQUET' : 'CSV, HEADER';
    await engine.connection.run(`CREATE TEMP TABLE ledger AS ${ledgerSql(options)}`);
    await engine.connection.run(`COPY ledger TO ${literal(options.out)} (FORMAT ${format})`);
    const count = (where: string) =>
      queryNumber(engine.connection, `SELECT count(*) FROM ledger WHERE ${where}`);
    const episodes = await queryNumber(
      engine.connection,
      `SELECT count(*) FROM (SELECT DISTINCT user_id, transaction_date::DATE FROM ledger WHERE is_structuring = 1)`,
    );
    return {
      rows: await count('true'),
      structuring_rows: await count('is_structuring = 1'),
      episodes,
      users: options.users,
      days: options.days,
    };
  } finally {
    engine.close();
  }
}
