// The proactive engine (issue 13): rules, their firings (one per rule, customer and trigger key),
// the absence and idle windows they wait on, each customer-condition rule's last reading, the
// contacts the contact policy counts, each workspace's policy, and the breached SLAs it holds
// marketing back for.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m019Rules(db: AnyDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('rules')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('purpose', text, (c) => c.notNull())
    .addColumn('trigger_type', text, (c) => c.notNull())
    .addColumn('trigger', text, (c) => c.notNull())
    .addColumn('conditions', text)
    .addColumn('actions', text, (c) => c.notNull())
    .addColumn('goal', text)
    .addColumn('next_run_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('rules_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('rules_schedule').on('rules').columns(['trigger_type', 'next_run_at']).execute();
  await db.schema
    .createTable('rule_firings')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('rule_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text)
    .addColumn('fire_key', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('reason', text)
    .addColumn('facts', text, (c) => c.notNull())
    .addColumn('outcomes', text, (c) => c.notNull())
    .addColumn('run_at', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('fired_at', text)
    .addPrimaryKeyConstraint('rule_firings_pk', ['workspace_id', 'id'])
    .execute();
  // Exactly once: one firing per rule, customer and what triggered it (an interaction, a window, a tick).
  await db.schema.createIndex('rule_firings_key').unique().on('rule_firings').columns(['workspace_id', 'rule_id', 'customer_id', 'fire_key']).execute();
  await db.schema.createIndex('rule_firings_conversation').on('rule_firings').columns(['workspace_id', 'conversation_id', 'created_at']).execute();
  await db.schema.createIndex('rule_firings_customer').on('rule_firings').columns(['workspace_id', 'customer_id', 'created_at']).execute();
  await db.schema.createIndex('rule_firings_list').on('rule_firings').columns(['workspace_id', 'rule_id', 'id']).execute();
  await db.schema
    .createTable('rule_waits')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('rule_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text)
    .addColumn('start_ref', text, (c) => c.notNull())
    .addColumn('correlation', text)
    .addColumn('started_at', text, (c) => c.notNull())
    .addColumn('due_at', text, (c) => c.notNull())
    .addColumn('facts', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_waits_pk', ['workspace_id', 'id'])
    .execute();
  // A window is opened once per rule and starting interaction; a window that ends (fired or
  // cleared) is deleted, so the table holds only what still waits and the sweep reads its due end.
  await db.schema.createIndex('rule_waits_start').unique().on('rule_waits').columns(['workspace_id', 'rule_id', 'customer_id', 'start_ref']).execute();
  await db.schema.createIndex('rule_waits_due').on('rule_waits').columns(['due_at']).execute();
  await db.schema
    .createTable('rule_states')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('rule_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('matched', 'integer', (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_states_pk', ['workspace_id', 'rule_id', 'customer_id'])
    .execute();
  await db.schema
    .createTable('rule_contacts')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('ref', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rule_contacts_customer').on('rule_contacts').columns(['workspace_id', 'customer_id', 'at']).execute();
  await db.schema
    .createTable('contact_policies')
    .addColumn('workspace_id', text, (c) => c.primaryKey())
    .addColumn('policy', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('rule_sla_breaches')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_sla_breaches_pk', ['workspace_id', 'conversation_id'])
    .execute();
  await db.schema.createIndex('rule_sla_breaches_customer').on('rule_sla_breaches').columns(['workspace_id', 'customer_id']).execute();
}
