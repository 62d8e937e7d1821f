// Multi-row INSERTs for the ingest hot path, without the query builder. Rows are cut into
// chunks whose sizes repeat (100, then powers of two on SQLite; up to 1000 rows on PostgreSQL), so the SQL texts repeat and
// SQLite's statement cache holds a handful of statements per table instead of one per row count.
import { CompiledQuery, sql } from 'kysely';
import type { Db, Engine, Tx } from './database.js';

export type BulkInsert<R> = {
  table: string;
  columns: ReadonlyArray<keyof R & string>;
  /** e.g. `on conflict (workspace_id, source_id) do nothing` */
  onConflict?: string;
  returning?: string;
};

// PostgreSQL pays a round trip per statement, SQLite a statement-cache slot per size.
const maxChunk = (engine: Engine) => (engine === 'postgres' ? 1000 : 100);
const sqlCache = new Map<string, string>();

function sizesOf(engine: Engine, n: number): number[] {
  const sizes: number[] = [];
  let left = n;
  const max = maxChunk(engine);
  while (left >= max) {
    sizes.push(max);
    left -= max;
  }
  if (left === 0) return sizes;
  if (engine === 'postgres') return [...sizes, left];
  for (let p = 64; p >= 1; p /= 2) {
    if (left >= p) {
      sizes.push(p);
      left -= p;
    }
  }
  return sizes;
}

function textOf<R>(engine: Engine, spec: BulkInsert<R>, rows: number): string {
  const key = `${engine}:${spec.table}:${spec.onConflict ?? ''}:${spec.returning ?? ''}:${rows}`;
  let text = sqlCache.get(key);
  if (!text) {
    let n = 0;
    const tuple = () => `(${spec.columns.map(() => (engine === 'postgres' ? `$${++n}` : '?')).join(',')})`;
    text = `insert into ${spec.table} (${spec.columns.join(',')}) values ${Array.from({ length: rows }, tuple).join(',')}${spec.onConflict ? ` ${spec.onConflict}` : ''}${spec.returning ? ` returning ${spec.returning}` : ''}`;
    sqlCache.set(key, text);
  }
  return text;
}

/** Inserts the rows in as few statements as the chunking allows; returns the RETURNING rows. */
export async function bulkInsert<R extends Record<string, unknown>, Out = never>(tx: Tx | Db, engine: Engine, spec: BulkInsert<R>, rows: R[]): Promise<Out[]> {
  const out: Out[] = [];
  let at = 0;
  for (const size of sizesOf(engine, rows.length)) {
    const params: unknown[] = [];
    for (let i = at; i < at + size; i++) {
      const row = rows[i] as R;
      for (const c of spec.columns) params.push(row[c]);
    }
    at += size;
    const res = await tx.executeQuery<Out>(CompiledQuery.raw(textOf(engine, spec, size), params));
    out.push(...res.rows);
  }
  return out;
}

/**
 * `column IN (values)` with one parameter, so the SQL text does not change with the number of
 * values: an array on PostgreSQL, a JSON array read by json_each on SQLite (which keeps the
 * statement cache from filling with one statement per list length).
 */
export function inValues(engine: Engine, column: string, values: string[]) {
  return engine === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${values}::text[])`
    : sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;
}
