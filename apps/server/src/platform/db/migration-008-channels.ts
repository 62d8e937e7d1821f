// Channels (issue 11): inboxes, and what a message and a conversation carry of the outside world —
// the channel a message travelled, its provider id (Message-ID, SMS sid) for threading and dedup,
// sanitised HTML, outbound delivery state, attachments.
import { sql } from 'kysely';
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m008Channels(db: AnyDb, engine: Engine): Promise<void> {
  await db.schema
    .createTable('inboxes')
    .addColumn('workspace_id', text, (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('channel', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('address', text)
    .addColumn('team_id', text)
    .addColumn('settings', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('secrets', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('inboxes_pk', ['workspace_id', 'id'])
    .execute();
  // Provider endpoints name an inbox by its id alone (ids are global); mail and numbers route by address.
  await db.schema.createIndex('inboxes_id').on('inboxes').column('id').unique().execute();
  await sql`CREATE UNIQUE INDEX inboxes_address ON inboxes (channel, address) WHERE address IS NOT NULL`.execute(db);

  await db.schema.alterTable('conversations').addColumn('inbox_id', text).execute();
  await db.schema.alterTable('conversations').addColumn('external_id', text).execute();
  await sql`CREATE UNIQUE INDEX conversations_external ON conversations (workspace_id, inbox_id, external_id) WHERE external_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX conversations_inbox_customer ON conversations (workspace_id, inbox_id, customer_id, last_activity_at) WHERE inbox_id IS NOT NULL`.execute(
    db,
  );

  for (const [name, type] of [
    ['channel', text],
    ['external_id', text],
    ['html', text],
    ['delivery_status', text],
    ['delivery_error', text],
    ['delivery_attempts', 'integer'],
    ['delivery_at', text],
  ] as const) {
    await db.schema.alterTable('messages').addColumn(name, type).execute();
  }
  await sql`CREATE UNIQUE INDEX messages_external ON messages (workspace_id, channel, external_id) WHERE external_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX messages_external_any ON messages (workspace_id, external_id) WHERE external_id IS NOT NULL`.execute(db);

  await db.schema
    .createTable('message_attachments')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('message_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('filename', text, (c) => c.notNull())
    .addColumn('content_type', text, (c) => c.notNull())
    .addColumn('size', engine === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('storage_key', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('message_attachments_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('message_attachments_message').on('message_attachments').columns(['workspace_id', 'message_id']).execute();
}
