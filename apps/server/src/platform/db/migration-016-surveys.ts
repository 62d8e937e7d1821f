// Surveys (issue 12): survey definitions, each send (scheduled by a trigger, then mailed or
// skipped), one response per send, the closed loop's follow-up cases, and each workspace's secret
// that signs survey links.
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

const text = 'text';

export async function m016Surveys(db: AnyDb, engine: Engine): Promise<void> {
  const real = engine === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('surveys')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('content', text, (c) => c.notNull())
    .addColumn('trigger', text, (c) => c.notNull())
    .addColumn('trigger_type', text, (c) => c.notNull())
    .addColumn('throttle_days', 'integer', (c) => c.notNull())
    .addColumn('link_days', 'integer', (c) => c.notNull())
    .addColumn('follow_up', 'integer', (c) => c.notNull())
    .addColumn('follow_up_team_id', text)
    .addColumn('recovery_survey_id', text)
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('surveys_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('survey_sends')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('survey_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('trigger_key', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('skip_reason', text)
    .addColumn('run_at', text, (c) => c.notNull())
    .addColumn('sent_at', text)
    .addColumn('expires_at', text)
    .addColumn('conversation_id', text)
    .addColumn('team_id', text)
    .addColumn('agent_id', text)
    .addColumn('channel', text)
    .addColumn('touchpoint_id', text)
    .addColumn('stage', text)
    .addColumn('recovery_of', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('survey_sends_pk', ['workspace_id', 'id'])
    .execute();
  // Never twice for one trigger: one send per survey, customer and trigger source.
  await db.schema
    .createIndex('survey_sends_trigger')
    .unique()
    .on('survey_sends')
    .columns(['workspace_id', 'survey_id', 'customer_id', 'trigger_key'])
    .execute();
  // Throttling looks up a customer's latest send; results count a survey's sends by time.
  await db.schema.createIndex('survey_sends_customer').on('survey_sends').columns(['workspace_id', 'customer_id', 'sent_at']).execute();
  await db.schema.createIndex('survey_sends_survey').on('survey_sends').columns(['workspace_id', 'survey_id', 'sent_at']).execute();
  await db.schema
    .createTable('survey_responses')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('survey_id', text, (c) => c.notNull())
    .addColumn('send_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('score', real)
    .addColumn('comment', text)
    .addColumn('answers', text, (c) => c.notNull())
    .addColumn('sentiment_score', real)
    .addColumn('sentiment_label', text)
    .addColumn('language', text)
    .addColumn('conversation_id', text)
    .addColumn('team_id', text)
    .addColumn('agent_id', text)
    .addColumn('channel', text)
    .addColumn('touchpoint_id', text)
    .addColumn('stage', text)
    .addColumn('department', text)
    .addColumn('recovery_of', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('survey_responses_pk', ['workspace_id', 'id'])
    .execute();
  // One response per send, whatever the number of answers.
  await db.schema.createIndex('survey_responses_send').unique().on('survey_responses').columns(['workspace_id', 'send_id']).execute();
  await db.schema.createIndex('survey_responses_survey').on('survey_responses').columns(['workspace_id', 'survey_id', 'created_at']).execute();
  await db.schema
    .createTable('survey_follow_ups')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('response_id', text, (c) => c.notNull())
    .addColumn('survey_id', text, (c) => c.notNull())
    .addColumn('customer_id', text, (c) => c.notNull())
    .addColumn('conversation_id', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('recovery_send_id', text)
    .addColumn('recovered', 'integer')
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('resolved_at', text)
    .addPrimaryKeyConstraint('survey_follow_ups_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('survey_follow_ups_response').unique().on('survey_follow_ups').columns(['workspace_id', 'response_id']).execute();
  await db.schema.createIndex('survey_follow_ups_conversation').on('survey_follow_ups').columns(['workspace_id', 'conversation_id']).execute();
  await db.schema
    .createTable('survey_secrets')
    .addColumn('workspace_id', text, (c) => c.notNull().primaryKey())
    .addColumn('secret', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
}
