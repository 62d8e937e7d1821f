// The logs (issue 10): append-only tables written in the same transaction as the change they
// describe (the transactional outbox), and the cursors of the named consumers that read them.
//   domain_events: every state change of the desk and the spine, typed and versioned.
//   ingest_log:    raw accepted events, processed just behind the answer.
// `seq` orders a log on SQLite (one writer: commit order). On PostgreSQL concurrent transactions
// commit out of sequence order, so every row also records its transaction id (`tx`), and readers
// take only rows whose transaction is older than every transaction still running, ordered by
// (tx, seq): no row can later appear behind a consumer's cursor.
import { sql } from 'kysely';
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m005Logs(db: AnyDb, engine: Engine): Promise<void> {
  const pg = engine === 'postgres';
  for (const table of ['domain_events', 'ingest_log']) {
    await db.schema
      .createTable(table)
      .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('tx', pg ? 'bigint' : 'integer', (c) => c.notNull().defaultTo(pg ? sql`(pg_current_xact_id()::text::bigint)` : 0))
      .addColumn('partition', 'integer', (c) => c.notNull())
      .addColumn('workspace_id', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('meta', text)
      .addColumn('data', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex(`${table}_order`)
      .on(table)
      .columns(['partition', 'tx', 'seq'])
      .execute();
  }
  await db.schema.createIndex('domain_events_workspace').on('domain_events').columns(['workspace_id', 'seq']).execute();
  await db.schema
    .createTable('log_cursors')
    .addColumn('consumer', text, (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('tx', pg ? 'bigint' : 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('seq', pg ? 'bigint' : 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('log_cursors_pk', ['consumer', 'partition'])
    .execute();
}
