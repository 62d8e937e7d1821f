// The interactions spine: write keys, touchpoints, journey settings and stages, organizations,
// the merge log and the rejected-events log.
import type { Kysely } from 'kysely';
import type { Engine } from './database.js';

const text = 'text';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an evolving schema
export async function m002Interactions(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('write_keys')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('prefix', text, (c) => c.notNull())
    .addColumn('key_hash', text, (c) => c.notNull().unique())
    .addColumn('created_by', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('revoked_at', text)
    .addPrimaryKeyConstraint('write_keys_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('journey_settings')
    .addColumn('workspace_id', text, (c) => c.primaryKey())
    .addColumn('stages', text, (c) => c.notNull())
    .addColumn('departments', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('touchpoints')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('key', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('channel', text)
    .addColumn('stage', text)
    .addColumn('department', text)
    .addColumn('critical', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rules', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('touchpoints_pk', ['workspace_id', 'id'])
    .addUniqueConstraint('touchpoints_key', ['workspace_id', 'key'])
    .execute();
  await db.schema
    .createTable('customer_journeys')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('stage', text, (c) => c.notNull())
    .addColumn('stage_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_journeys_pk', ['workspace_id', 'customer_id'])
    .execute();
  await db.schema
    .createTable('organizations')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('group_id', text, (c) => c.notNull())
    .addColumn('name', text)
    .addColumn('traits', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('organizations_pk', ['workspace_id', 'id'])
    .addUniqueConstraint('organizations_group', ['workspace_id', 'group_id'])
    .execute();
  await db.schema
    .createTable('organization_members')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('organization_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('organization_members_pk', ['workspace_id', 'organization_id', 'customer_id'])
    .execute();
  await db.schema.createIndex('organization_members_customer').on('organization_members').columns(['workspace_id', 'customer_id']).execute();
  await db.schema
    .createTable('customer_merges')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('merged_id', text, (c) => c.notNull())
    .addColumn('survivor_id', text, (c) => c.notNull())
    .addColumn('reason', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_merges_pk', ['workspace_id', 'merged_id'])
    .execute();
  await db.schema.createIndex('customer_merges_survivor').on('customer_merges').columns(['workspace_id', 'survivor_id']).execute();
  await db.schema
    .createTable('rejected_events')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('received_at', text, (c) => c.notNull())
    .addColumn('message_id', text)
    .addColumn('type', text)
    .addColumn('reason', text, (c) => c.notNull())
    .addColumn('user_id', text)
    .addColumn('anonymous_id', text)
    .addColumn('payload', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('rejected_events_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('customers_merged_into').on('customers').columns(['workspace_id', 'merged_into_id']).execute();
}
