// Reading the domain-events log in log order across partitions (each process's live tail) and
// per workspace (a reconnecting client's catch-up). On PostgreSQL log order is (tx, seq), which
// the partition index cannot serve; on SQLite it is the primary key, so nothing is needed there.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

export async function m006LogTail(db: AnyDb, engine: Engine): Promise<void> {
  if (engine !== 'postgres') return;
  await db.schema.createIndex('domain_events_tail').on('domain_events').columns(['tx', 'seq']).execute();
  await db.schema.createIndex('domain_events_workspace_order').on('domain_events').columns(['workspace_id', 'tx', 'seq']).execute();
}
