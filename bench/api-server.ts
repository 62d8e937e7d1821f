// Child process for bench/api.ts: serves either Rapport or a bare Fastify baseline on a free
// loopback port and prints {"port":N} when ready. Usage: tsx bench/api-server.ts rapport|bare
import path from 'node:path';
import Fastify from 'fastify';
import { buildApp } from '../apps/server/src/app.js';
import { openDatabase } from '../apps/server/src/platform/db/database.js';
import { migrate } from '../apps/server/src/platform/db/migrations.js';

const mode = process.argv[2];
if (mode === 'bare') {
  // The same JSON Rapport answers, from memory: the cost of HTTP + JSON alone.
  const listBody = process.env.BENCH_LIST_BODY ?? '{}';
  const createBody = process.env.BENCH_CREATE_BODY ?? '{}';
  const app = Fastify({ logger: false });
  app.get('/api/v1/conversations', async (_req, reply) => reply.type('application/json').send(listBody));
  app.post('/api/v1/conversations', async (req, reply) => {
    if (!req.body) throw new Error('no body');
    return reply.code(201).type('application/json').send(createBody);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  process.on('SIGINT', () => void app.close().then(() => process.exit(0)));
} else {
  const url = process.env.DATABASE_URL;
  const handle = url
    ? openDatabase({ engine: 'postgres', url, poolSize: 10 })
    : openDatabase({ engine: 'sqlite', file: path.join(process.env.BENCH_DATA_DIR ?? '/tmp/rapport-bench', 'rapport.db') });
  await migrate(handle.db, handle.engine);
  const { app } = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, runWorker: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  process.on(
    'SIGINT',
    () =>
      void app
        .close()
        .then(() => handle.close())
        .then(() => process.exit(0)),
  );
}
