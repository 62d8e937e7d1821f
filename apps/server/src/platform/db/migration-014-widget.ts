// The chat widget (issue 11): its visitors. A visitor is one browser's session with one chat
// inbox, anonymous or a verified user of the site; it holds the SHA-256 of the token the browser
// proves itself with, the contact email an anonymous visitor left (unverified: never an
// identity), and until when a socket of it was last known to be open.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m014Widget(db: AnyDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('widget_visitors')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('inbox_id', text, (c) => c.notNull())
    .addColumn('user_id', text)
    .addColumn('token_hash', text, (c) => c.notNull())
    .addColumn('customer_id', text)
    .addColumn('email', text)
    .addColumn('name', text)
    .addColumn('page_url', text)
    .addColumn('online_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('last_seen_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('widget_visitors_pk', ['workspace_id', 'id'])
    .execute();
  // Tokens name the visitor by its id alone (the workspace is not known before it is read).
  await db.schema.createIndex('widget_visitors_id').unique().on('widget_visitors').columns(['id']).execute();
  await db.schema.createIndex('widget_visitors_customer').on('widget_visitors').columns(['workspace_id', 'customer_id']).execute();
}
