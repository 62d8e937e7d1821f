// Child process for bench/ingest.ts: Rapport on a fresh SQLite file (BENCH_DATA_DIR) or a
// fresh PostgreSQL schema (DATABASE_URL + BENCH_PG_SCHEMA); prints {"port":N} when ready.
import path from 'node:path';
import { buildApp } from '../apps/server/src/app.js';
import { openDatabase } from '../apps/server/src/platform/db/database.js';
import { migrate } from '../apps/server/src/platform/db/migrations.js';

const url = process.env.DATABASE_URL;
const handle = url
  ? openDatabase({
      engine: 'postgres',
      url,
      poolSize: Number(process.env.BENCH_POOL ?? 10),
      ...(process.env.BENCH_PG_SCHEMA ? { schema: process.env.BENCH_PG_SCHEMA } : {}),
    })
  : openDatabase({ engine: 'sqlite', file: path.join(process.env.BENCH_DATA_DIR ?? '/tmp/rapport-ingest-bench', 'rapport.db') });
await migrate(handle.db, handle.engine);
const { app } = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, runWorker: true });
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
      .then(() => process.exit(0)),
);
