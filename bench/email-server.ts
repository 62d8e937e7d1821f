// Child process for bench/email.ts: Rapport on SQLite in BENCH_DATA_DIR with its SMTP server on a
// free loopback port and one email inbox at BENCH_INBOX; prints {"port":N} (the SMTP port) when ready.
import path from 'node:path';
import { buildApp } from '../apps/server/src/app.js';
import { openDatabase } from '../apps/server/src/platform/db/database.js';
import { migrate } from '../apps/server/src/platform/db/migrations.js';

const dir = process.env.BENCH_DATA_DIR ?? '/tmp/rapport-bench-email';
const handle = openDatabase({ engine: 'sqlite', file: path.join(dir, 'rapport.db') });
await migrate(handle.db, handle.engine);
const rapport = await buildApp({
  handle,
  logger: false,
  passwordCost: 10,
  webDir: null,
  runWorker: true,
  attachmentsDir: path.join(dir, 'attachments'),
  mailDomain: 'bench.test',
  // Generated traffic comes from a few hundred senders: the per-sender flood limit is not what is measured.
  smtp: { senderLimit: 1_000_000 },
});
await rapport.app.ready();
const owner = await rapport.services.workspaces.createOwner(
  { workspaceName: 'Bench', name: 'Bea Bench', email: 'bea@bench.test', password: 'bench password 1' },
  null,
);
const auth = {
  workspaceId: owner.workspace.id,
  userId: owner.user.id,
  userName: 'Bea',
  role: 'owner' as const,
  teamIds: [],
  method: 'token' as const,
  tokenId: null,
  ip: null,
};
await rapport.services.channels.inboxes.create(auth, { channel: 'email', address: process.env.BENCH_INBOX ?? 'help@bench.test' });
const port = await rapport.services.email.smtp.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on(
  'SIGINT',
  () =>
    void rapport.app
      .close()
      .then(() => handle.close())
      .then(() => process.exit(0)),
);
