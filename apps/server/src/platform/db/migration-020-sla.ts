// SLA policies (issue 13): business-hours calendars, ordered policies, each conversation's SLA
// (the policy that applies, whether its clock is paused) and its targets, one row per measured
// target (first response, each next response, resolution) with its due and warning instants in
// epoch milliseconds, so the sweep finds what is due with one index range.
import { sql } from 'kysely';
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m020Sla(db: AnyDb, engine: Engine): Promise<void> {
  const big = engine === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('sla_calendars')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('time_zone', text, (c) => c.notNull())
    .addColumn('always_open', 'integer', (c) => c.notNull())
    .addColumn('hours', text, (c) => c.notNull())
    .addColumn('holidays', text, (c) => c.notNull())
    .addColumn('team_id', text)
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('sla_calendars_pk', ['workspace_id', 'id'])
    .execute();
  await sql`CREATE UNIQUE INDEX sla_calendars_team ON sla_calendars (workspace_id, team_id) WHERE team_id IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX sla_calendars_default ON sla_calendars (workspace_id) WHERE is_default = 1`.execute(db);
  await db.schema
    .createTable('sla_policies')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('conditions', text, (c) => c.notNull())
    .addColumn('targets', text, (c) => c.notNull())
    .addColumn('calendar_id', text)
    .addColumn('warning', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('sla_policies_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('sla_conversations')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('policy_id', text)
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('paused_since', text)
    .addColumn('next_due_ms', big)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('sla_conversations_pk', ['workspace_id', 'conversation_id'])
    .execute();
  await db.schema
    .createTable('sla_metrics')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('metric', text, (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('policy_id', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('paused', 'integer', (c) => c.notNull())
    .addColumn('start_at', text, (c) => c.notNull())
    .addColumn('target_ms', big, (c) => c.notNull())
    .addColumn('paused_ms', big, (c) => c.notNull())
    .addColumn('due_ms', big)
    .addColumn('warn_ms', big)
    .addColumn('warned_at', text)
    .addColumn('breached_at', text)
    .addColumn('satisfied_at', text)
    .addColumn('decided_at', text)
    .addColumn('outcome', text)
    .addColumn('team_id', text)
    .addColumn('assignee_id', text)
    .addColumn('channel', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('sla_metrics_pk', ['workspace_id', 'conversation_id', 'metric', 'seq'])
    .execute();
  // The sweep: open, running targets whose warning or due instant has come, over every workspace.
  await sql`CREATE INDEX sla_metrics_due ON sla_metrics (due_ms) WHERE status = 'open' AND paused = 0 AND breached_at IS NULL`.execute(db);
  await sql`CREATE INDEX sla_metrics_warn ON sla_metrics (warn_ms) WHERE status = 'open' AND paused = 0 AND warned_at IS NULL`.execute(db);
  // Attainment reads decided targets of a period.
  await db.schema.createIndex('sla_metrics_decided').on('sla_metrics').columns(['workspace_id', 'decided_at']).execute();
}
