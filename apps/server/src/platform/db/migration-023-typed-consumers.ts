// Consumers of the domain-events log that declare the types they handle (platform/logs.ts
// `types`) and leave out ingest's per-event `interaction.created` read their partition through
// this partial index: the firehose is not in it, so its volume costs them nothing (the cursor
// still passes it, by an index-only range over `domain_events_order`). Same words as the live
// indexes' of migration 006. Log order is (tx, seq) on PostgreSQL and seq on SQLite (tx is 0).
import { sql } from 'kysely';
import type { AnyDb } from './migrations.js';

export async function m023TypedConsumers(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('domain_events_partition_live')
    .on('domain_events')
    .columns(['partition', 'tx', 'seq'])
    .where(sql<boolean>`type <> 'interaction.created'`)
    .execute();
}
