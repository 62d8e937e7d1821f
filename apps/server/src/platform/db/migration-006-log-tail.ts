// Reading the domain-events log as live streams do: every entry but ingest's per-event
// `interaction.created`, in log order across partitions (each process's tail) and per workspace
// (a reconnecting client's catch-up). Partial indexes leave the interactions out entirely, so a
// flood of ingested events costs the streams nothing. Log order is (tx, seq) on PostgreSQL and
// seq on SQLite. `log_trims` records how far retention has trimmed each partition.
import { sql } from 'kysely';
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

export async function m006LogTail(db: AnyDb, engine: Engine): Promise<void> {
  const pg = engine === 'postgres';
  const live = sql<boolean>`type <> 'interaction.created'`;
  await db.schema
    .createIndex('domain_events_live')
    .on('domain_events')
    .columns(pg ? ['tx', 'seq'] : ['seq'])
    .where(live)
    .execute();
  await db.schema
    .createIndex('domain_events_live_workspace')
    .on('domain_events')
    .columns(pg ? ['workspace_id', 'tx', 'seq'] : ['workspace_id', 'seq'])
    .where(live)
    .execute();
  await db.schema
    .createTable('log_trims')
    .addColumn('log', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('tx', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('seq', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('log_trims_pk', ['log', 'partition'])
    .execute();
}
