// Child process for bench/ingest.ts: Rapport on a fresh SQLite file (BENCH_DATA_DIR) or a
// fresh PostgreSQL schema (DATABASE_URL + BENCH_PG_SCHEMA); prints {"port":N} when ready.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.js';
import { openDatabase } from '../apps/server/src/platform/db/database.js';
import { migrate } from '../apps/server/src/platform/db/migrations.js';

const url = process.env.DATABASE_URL;
const statKey = (text: string) =>
  text
    .replace(/\((\?,?)+\)(,\((\?,?)+\))*/g, '(?…)')
    .replace(/\(\$\d+(,\$\d+)*\)(,\(\$\d+(,\$\d+)*\))*/g, '($…)')
    .slice(0, 140);
// BENCH_SQLSTATS=1: time every SQLite statement (by SQL text) and print the totals on exit.
const sqlStats = new Map<string, { n: number; ms: number; max: number }>();
if (process.env.BENCH_SQLSTATS) {
  const proto =
    (SQLite as unknown as { Statement?: { prototype: Record<string, unknown> } }).Statement?.prototype ??
    Object.getPrototypeOf(new SQLite(':memory:').prepare('select 1'));
  for (const m of ['run', 'all', 'get']) {
    const orig = proto[m] as (...a: unknown[]) => unknown;
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      const t0 = performance.now();
      try {
        return orig.apply(this, a);
      } finally {
        const key = statKey(this.source);
        const s = sqlStats.get(key) ?? { n: 0, ms: 0, max: 0 };
        const ms = performance.now() - t0;
        s.n++;
        s.ms += ms;
        s.max = Math.max(s.max, ms);
        sqlStats.set(key, s);
      }
    };
  }
  const pgProto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const pgQuery = pgProto.query;
  pgProto.query = function (this: unknown, ...a: unknown[]) {
    const text = typeof a[0] === 'string' ? a[0] : typeof a[0] === 'object' && a[0] && 'text' in a[0] ? String(a[0].text) : null;
    const res = pgQuery.apply(this, a);
    if (text === null || !(res instanceof Promise)) return res;
    const t0 = performance.now();
    return res.finally(() => {
      const s = sqlStats.get(statKey(text)) ?? { n: 0, ms: 0, max: 0 };
      const ms = performance.now() - t0;
      s.n++;
      s.ms += ms;
      s.max = Math.max(s.max, ms);
      sqlStats.set(statKey(text), s);
    });
  };
}
const handle = url
  ? openDatabase({
      engine: 'postgres',
      url,
      poolSize: Number(process.env.BENCH_POOL ?? 10),
      ...(process.env.BENCH_PG_SCHEMA ? { schema: process.env.BENCH_PG_SCHEMA } : {}),
    })
  : openDatabase({ engine: 'sqlite', file: path.join(process.env.BENCH_DATA_DIR ?? '/tmp/rapport-ingest-bench', 'rapport.db') });
await migrate(handle.db, handle.engine);
for (const p of (process.env.BENCH_PRAGMAS ?? '').split(';').filter(Boolean)) await sql.raw(`pragma ${p}`).execute(handle.db);
const { app } = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, runWorker: true, ingestRate: 1_000_000, ingestBurst: 10_000_000 });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
if (process.env.BENCH_MEMLOG) {
  setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(
      `rss ${(m.rss / 1e6).toFixed(0)} heap ${(m.heapUsed / 1e6).toFixed(0)}/${(m.heapTotal / 1e6).toFixed(0)} external ${(m.external / 1e6).toFixed(0)} buffers ${(m.arrayBuffers / 1e6).toFixed(0)}\n`,
    );
  }, 2000).unref();
}
process.on(
  'SIGINT',
  () =>
    void app
      .close()
      .then(() => handle.close())
      .then(() => {
        if (sqlStats.size > 0)
          for (const [k, v] of [...sqlStats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
            process.stderr.write(`${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(7)}x  max ${v.max.toFixed(0).padStart(5)} ms  ${k}\n`);
        process.exit(0);
      }),
);
