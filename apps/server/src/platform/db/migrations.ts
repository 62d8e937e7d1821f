// Versioned, forward-only migrations, identical in meaning on SQLite and PostgreSQL.
// A migration is appended to `migrations` and never edited once released.
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Db, Engine } from './database.js';
import { m002Interactions } from './migration-002-interactions.js';
import { m004Security } from './migration-004-security.js';
import { m005Logs } from './migration-005-logs.js';
import { m006LogTail } from './migration-006-log-tail.js';
import { m007SearchWalk } from './migration-007-search-walk.js';
import { m008Channels } from './migration-008-channels.js';
import { m009Webhooks } from './migration-009-webhooks.js';
import { m014Widget } from './migration-014-widget.js';
import { m015Feelings } from './migration-015-feelings.js';
import { m016Surveys } from './migration-016-surveys.js';
import { m017Topics } from './migration-017-topics.js';
import { m018InboxAddresses } from './migration-018-inbox-addresses.js';
import { m019Rules } from './migration-019-rules.js';
import { m020Sla } from './migration-020-sla.js';
import { m023TypedConsumers } from './migration-023-typed-consumers.js';
import { m021SurveyDelivery } from './migration-021-survey-delivery.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an evolving schema
export type AnyDb = Kysely<any>;

export type EngineMigration = { up(db: AnyDb, engine: Engine): Promise<void> };

const text = 'text';

async function m001Foundation(db: AnyDb, engine: Engine): Promise<void> {
  await db.schema
    .createTable('workspaces')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('conversation_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('users')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('email', text, (c) => c.notNull().unique())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('password_hash', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('members')
    .addColumn('workspace_id', text, (c) => c.notNull().references('workspaces.id'))
    .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('role', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('availability', text, (c) => c.notNull().defaultTo('offline'))
    .addColumn('capacity', 'integer')
    .addColumn('invite_token_hash', text, (c) => c.unique())
    .addColumn('last_assigned_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('members_pk', ['workspace_id', 'user_id'])
    .execute();
  await db.schema.createIndex('members_user').on('members').columns(['user_id']).execute();
  await db.schema
    .createTable('teams')
    .addColumn('workspace_id', text, (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('auto_assign', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('teams_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('team_members')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('team_id', text, (c) => c.notNull())
    .addColumn('user_id', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['workspace_id', 'team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').columns(['workspace_id', 'user_id']).execute();
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', text, (c) => c.primaryKey())
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('expires_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('api_tokens')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('prefix', text, (c) => c.notNull())
    .addColumn('token_hash', text, (c) => c.notNull().unique())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('last_used_at', text)
    .addColumn('revoked_at', text)
    .addPrimaryKeyConstraint('api_tokens_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('audit_log')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('actor_type', text, (c) => c.notNull())
    .addColumn('actor_id', text)
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('object_type', text, (c) => c.notNull())
    .addColumn('object_id', text)
    .addColumn('data', text, (c) => c.notNull())
    .addColumn('ip', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('principal', text, (c) => c.notNull())
    .addColumn('key', text, (c) => c.notNull())
    .addColumn('method', text, (c) => c.notNull())
    .addColumn('path', text, (c) => c.notNull())
    .addColumn('request_hash', text, (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['workspace_id', 'principal', 'key'])
    .execute();
  await db.schema
    .createTable('jobs')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('payload', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', text, (c) => c.notNull())
    .addColumn('locked_until', text)
    .addColumn('last_error', text)
    .addColumn('idempotency_key', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('jobs_idem', ['workspace_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('jobs_ready').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema
    .createTable('customers')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text)
    .addColumn('email', text)
    .addColumn('phone', text)
    .addColumn('traits', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addColumn('merged_into_id', text)
    .addPrimaryKeyConstraint('customers_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('customers_email').on('customers').columns(['workspace_id', 'email']).execute();
  await db.schema.createIndex('customers_updated').on('customers').columns(['workspace_id', 'updated_at', 'id']).execute();
  await db.schema
    .createTable('identities')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('identities_pk', ['workspace_id', 'kind', 'value'])
    .execute();
  await db.schema.createIndex('identities_customer').on('identities').columns(['workspace_id', 'customer_id']).execute();
  await db.schema
    .createTable('conversations')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('channel', text, (c) => c.notNull())
    .addColumn('subject', text)
    .addColumn('category', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('snoozed_until', text)
    .addColumn('priority', text, (c) => c.notNull())
    .addColumn('assignee_id', text)
    .addColumn('team_id', text)
    .addColumn('tags', text, (c) => c.notNull())
    .addColumn('custom_fields', text, (c) => c.notNull())
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('touchpoint_id', text)
    .addColumn('merged_into_id', text)
    .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_preview', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addColumn('last_activity_at', text, (c) => c.notNull())
    .addColumn('first_response_at', text)
    .addColumn('resolved_at', text)
    .addColumn('first_response_seconds', 'double precision')
    .addColumn('resolution_seconds', 'double precision')
    .addPrimaryKeyConstraint('conversations_pk', ['workspace_id', 'id'])
    .addUniqueConstraint('conversations_number', ['workspace_id', 'number'])
    .execute();
  await db.schema.createIndex('conversations_activity').on('conversations').columns(['workspace_id', 'last_activity_at', 'id']).execute();
  await db.schema.createIndex('conversations_status').on('conversations').columns(['workspace_id', 'status', 'last_activity_at']).execute();
  await db.schema.createIndex('conversations_assignee').on('conversations').columns(['workspace_id', 'assignee_id', 'status']).execute();
  await db.schema.createIndex('conversations_customer').on('conversations').columns(['workspace_id', 'customer_id']).execute();
  await db.schema
    .createTable('conversation_tags')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('tag', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_tags_pk', ['workspace_id', 'conversation_id', 'tag'])
    .execute();
  await db.schema.createIndex('conversation_tags_tag').on('conversation_tags').columns(['workspace_id', 'tag']).execute();
  await db.schema
    .createTable('messages')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('author_type', text, (c) => c.notNull())
    .addColumn('author_id', text)
    .addColumn('body', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('messages_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('messages_conversation').on('messages').columns(['workspace_id', 'conversation_id', 'id']).execute();
  await db.schema
    .createTable('custom_fields')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('key', text, (c) => c.notNull())
    .addColumn('label', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('options', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('custom_fields_pk', ['workspace_id', 'id'])
    .addUniqueConstraint('custom_fields_key', ['workspace_id', 'key'])
    .execute();
  await db.schema
    .createTable('canned_responses')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('shortcut', text, (c) => c.notNull())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('body', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('canned_responses_pk', ['workspace_id', 'id'])
    .addUniqueConstraint('canned_responses_shortcut', ['workspace_id', 'shortcut'])
    .execute();
  await db.schema
    .createTable('interactions')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('occurred_at', text, (c) => c.notNull())
    .addColumn('received_at', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('channel', text)
    .addColumn('touchpoint_id', text)
    .addColumn('stage', text)
    .addColumn('department', text)
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('conversation_id', text)
    .addColumn('sentiment', 'double precision')
    .addColumn('emotion', text)
    .addColumn('source_id', text, (c) => c.notNull())
    .addColumn('properties', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('interactions_pk', ['workspace_id', 'id'])
    .addUniqueConstraint('interactions_source', ['workspace_id', 'source_id'])
    .execute();
  await db.schema.createIndex('interactions_customer').on('interactions').columns(['workspace_id', 'customer_id', 'occurred_at']).execute();

  // Full-text search over subjects and messages: FTS5 on SQLite, a GIN-indexed tsvector on PostgreSQL.
  if (engine === 'sqlite') {
    await sql`CREATE VIRTUAL TABLE message_search USING fts5(body, workspace_id UNINDEXED, conversation_id UNINDEXED, ref_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')`.execute(
      db,
    );
  } else {
    await sql`CREATE TABLE message_search (workspace_id text NOT NULL, conversation_id text NOT NULL, ref_id text NOT NULL, body text NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED, PRIMARY KEY (workspace_id, ref_id))`.execute(
      db,
    );
    await sql`CREATE INDEX message_search_tsv ON message_search USING gin (tsv)`.execute(db);
    await sql`CREATE INDEX message_search_conversation ON message_search (workspace_id, conversation_id)`.execute(db);
  }
}

/** Oversize events of the PostgreSQL bus (NOTIFY carries at most 8000 bytes); kept a minute. */
async function m003BusPayloads(db: AnyDb, engine: Engine): Promise<void> {
  await db.schema
    .createTable('bus_payloads')
    .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('payload', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
}

export const migrations: Array<[string, EngineMigration]> = [
  ['001_foundation', { up: m001Foundation }],
  ['002_interactions', { up: m002Interactions }],
  ['003_bus_payloads', { up: m003BusPayloads }],
  ['004_security', { up: m004Security }],
  ['005_logs', { up: m005Logs }],
  ['006_log_tail', { up: m006LogTail }],
  ['007_search_walk', { up: m007SearchWalk }],
  ['008_channels', { up: m008Channels }],
  ['009_webhooks', { up: m009Webhooks }],
  ['014_widget', { up: m014Widget }],
  ['015_feelings', { up: m015Feelings }],
  ['016_surveys', { up: m016Surveys }],
  ['017_topics', { up: m017Topics }],
  ['018_inbox_addresses', { up: m018InboxAddresses }],
  ['019_rules', { up: m019Rules }],
  ['020_sla', { up: m020Sla }],
  ['023_typed_consumers', { up: m023TypedConsumers }],
  ['021_survey_delivery', { up: m021SurveyDelivery }],
];

export async function migrate(db: Db, engine: Engine): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () => Object.fromEntries(migrations.map(([name, m]): [string, Migration] => [name, { up: (kdb) => m.up(kdb, engine) }])),
  };
  // Kysely looks for its bookkeeping tables in every schema of the database; pin them to the
  // schema we run in (search_path), so separate schemas (tests, tenants) never see each other's.
  const schema = engine === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  // Modules built side by side take numbers in advance; a database that already ran a later one
  // still runs an earlier one that lands after it (each migration only adds its own objects).
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
