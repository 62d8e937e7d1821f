// Topics (issue 12): the key phrases of customers' messages, each under its topic (the phrase's
// head word), so a workspace sees what its customers write about and how they feel about it.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

export async function m017Topics(db: AnyDb, engine: Engine): Promise<void> {
  const real = engine === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('message_phrases')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('phrase', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('score', real, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_phrases_pk', ['workspace_id', 'message_id', 'phrase'])
    .execute();
  await db.schema.createIndex('message_phrases_time').on('message_phrases').columns(['workspace_id', 'created_at']).execute();
  await db.schema.createIndex('message_phrases_customer').on('message_phrases').columns(['workspace_id', 'customer_id']).execute();
}
