import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

/** Most statements kept per connection; the cache starts over when it is full. */
const MAX_STATEMENTS = 500;

/**
 * Prepared statements of one better-sqlite3 connection by SQL text. Preparing parses and
 * plans the SQL each time; the hot paths run the same statements over and over (one per
 * batch size, up to 256). A statement still being iterated is not handed out twice: the
 * caller gets a fresh one.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly connection: SqliteDatabase) {}

  prepare(sql: string): Statement {
    const cached = this.statements.get(sql);
    if (cached && !cached.busy) return cached;
    const statement = this.connection.prepare(sql);
    if (cached) return statement;
    if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
    this.statements.set(sql, statement);
    return statement;
  }
}
