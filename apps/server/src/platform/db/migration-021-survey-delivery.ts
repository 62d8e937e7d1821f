// Survey delivery (issue 12): each survey says how it is delivered ('email', 'chat', or 'auto' = the
// channel its conversation came on), each send and response which way it went, and the chat widget finds a
// customer's surveys waiting in the chat by customer and delivery.
import { sql } from 'kysely';
import type { AnyDb } from './migrations.js';

export async function m021SurveyDelivery(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('surveys')
    .addColumn('delivery', 'text', (c) => c.notNull().defaultTo('auto'))
    .execute();
  await db.schema.alterTable('survey_sends').addColumn('delivery', 'text').execute();
  await db.schema.alterTable('survey_responses').addColumn('delivery', 'text').execute();
  await db.schema.createIndex('survey_sends_chat').on('survey_sends').columns(['workspace_id', 'customer_id', 'delivery', 'status']).execute();
  await sql`UPDATE survey_sends SET delivery = 'email' WHERE status = 'sent'`.execute(db);
  await sql`UPDATE survey_responses SET delivery = 'email'`.execute(db);
}
