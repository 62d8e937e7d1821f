// Security hardening (issue 8): invitations that expire and are bound to their address, write
// keys with a kind (client or server) and allowed origins, a per-workspace identity-verification
// secret, and expiring, sampled rejected-event logs with a count of what was not kept.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m004Security(db: AnyDb, _engine: Engine): Promise<void> {
  await db.schema.alterTable('members').addColumn('invite_expires_at', text).execute();
  await db.schema.alterTable('members').addColumn('invited_by', text).execute();
  // Keys made before kinds existed keep today's behaviour: they are server keys.
  await db.schema
    .alterTable('write_keys')
    .addColumn('kind', text, (c) => c.notNull().defaultTo('server'))
    .execute();
  await db.schema
    .alterTable('write_keys')
    .addColumn('allowed_origins', text, (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.alterTable('workspaces').addColumn('identity_secret', text).execute();
  await db.schema.createIndex('rejected_events_received').on('rejected_events').columns(['received_at']).execute();
  await db.schema
    .createTable('rejected_event_counts')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('day', text, (c) => c.notNull())
    .addColumn('kept', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('dropped', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('rejected_event_counts_pk', ['workspace_id', 'day'])
    .execute();
}
