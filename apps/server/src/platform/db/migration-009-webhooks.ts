// Outgoing webhooks (issue 11): subscriptions per workspace and their delivery log. A delivery
// keeps the exact body it sends, so every attempt and redelivery carries the same bytes under the
// same webhook-id. The signing secret is stored as is: Rapport must sign with it.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m009Webhooks(db: AnyDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('url', text, (c) => c.notNull())
    .addColumn('events', text, (c) => c.notNull())
    .addColumn('description', text)
    .addColumn('include_internal', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('secret', text, (c) => c.notNull())
    .addColumn('previous_secret', text)
    .addColumn('previous_secret_until', text)
    .addColumn('disabled_reason', text)
    .addColumn('disabled_at', text)
    .addColumn('failing_since', text)
    .addColumn('last_success_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('webhooks_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('webhook_id', text, (c) => c.notNull())
    .addColumn('message_id', text, (c) => c.notNull())
    .addColumn('event_type', text, (c) => c.notNull())
    .addColumn('payload', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('manual', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('redelivery_of', text)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', text)
    .addColumn('last_attempt_at', text)
    .addColumn('last_status', 'integer')
    .addColumn('last_response', text)
    .addColumn('last_error', text)
    .addColumn('last_duration_ms', 'integer')
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addColumn('delivered_at', text)
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['workspace_id', 'id'])
    .execute();
  // The delivery log of one subscription, newest first (ids are time-ordered).
  await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['workspace_id', 'webhook_id', 'id']).execute();
  // Retention sweeps by age.
  await db.schema.createIndex('webhook_deliveries_created').on('webhook_deliveries').columns(['created_at']).execute();
}
