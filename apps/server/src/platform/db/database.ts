// Opens Kysely on SQLite (embedded default, WAL) or PostgreSQL (DATABASE_URL=postgres://…).
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type DbHandle = {
  db: Db;
  engine: Engine;
  /** PostgreSQL only: how to open more connections (the bus listener). */
  postgres?: { url: string; schema?: string | undefined };
  close(): Promise<void>;
};

export type DbOptions =
  | { engine: 'sqlite'; file: string }
  | { engine: 'postgres'; url: string; schema?: string; poolSize?: number; strictPool?: boolean };

/**
 * Set while a transaction's function runs (platform/db/transactions.ts). A query on the pool from
 * inside one needs a second connection while the first is held: with every connection held that
 * way the pool deadlocks. Tests open databases with `strictPool`, which refuses it outright.
 */
export const insideTransaction = new AsyncLocalStorage<true>();

export function openDatabase(opts: DbOptions): DbHandle {
  if (opts.engine === 'sqlite') {
    if (opts.file !== ':memory:') mkdirSync(path.dirname(opts.file), { recursive: true });
    const sqlite = new SQLite(opts.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('cache_size = -65536');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, engine: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    // A pool that cannot hand out a connection answers with an error, never hangs a request.
    connectionTimeoutMillis: 15_000,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  const strict = opts.strictPool === true;
  const guarded = {
    connect() {
      if (strict && insideTransaction.getStore()) {
        return Promise.reject(new Error('a query outside the open transaction needs a second connection (pass the tx to the store)'));
      }
      return pool.connect();
    },
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guarded }) });
  return { db, engine: 'postgres', postgres: { url: opts.url, schema: opts.schema }, close: () => db.destroy() };
}

/**
 * Kysely prepares every SQLite statement anew; preparing cost ~11% of a request in profiles.
 * better-sqlite3 statements are reusable (calls are synchronous, so never interleaved), so
 * keep the most recent ones by SQL text.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SqliteDatabaseLike {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
type SqliteDatabaseLike = ConstructorParameters<typeof SqliteDialect>[0]['database'] & object;

/** Whether the database answers (`/ready`). */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** The PostgreSQL schema this connection works in (its search_path). */
export async function currentSchema(db: Db): Promise<string | undefined> {
  return (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s;
}
