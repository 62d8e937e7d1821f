// SQL for the feelings module: the key phrases of customers' messages, under their topics.
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.js';
import type { MessagePhraseRow } from '../../platform/db/schema.js';

export function createFeelingsStore(db: Db) {
  return {
    insertPhrases: async (tx: Tx, rows: MessagePhraseRow[]) => {
      if (rows.length === 0) return;
      await tx
        .insertInto('message_phrases')
        .values(rows)
        .onConflict((oc) => oc.columns(['workspace_id', 'message_id', 'phrase']).doNothing())
        .execute();
    },
    /** Topics in a period: messages, customers, mean sentiment and negative messages, most written about first. */
    topics: (workspaceId: string, from: string, to: string, limit: number) =>
      db
        .selectFrom('message_phrases')
        .select([
          'topic',
          sql<number>`count(distinct message_id)`.as('messages'),
          sql<number>`count(distinct customer_id)`.as('customers'),
          sql<number>`avg(score)`.as('average'),
          sql<number>`count(distinct case when score < -0.05 then message_id end)`.as('negative'),
        ])
        .where('workspace_id', '=', workspaceId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .groupBy('topic')
        .orderBy(sql`count(distinct message_id)`, 'desc')
        .orderBy('topic')
        .limit(limit)
        .execute(),
    /** Messages of a period with at least one phrase. */
    messageCount: async (workspaceId: string, from: string, to: string) =>
      Number(
        (
          await db
            .selectFrom('message_phrases')
            .select(sql<number>`count(distinct message_id)`.as('n'))
            .where('workspace_id', '=', workspaceId)
            .where('created_at', '>=', from)
            .where('created_at', '<', to)
            .executeTakeFirst()
        )?.n ?? 0,
      ),
    /** The phrases of some topics in a period, with how often each was written. */
    phrasesOf: (workspaceId: string, topics: string[], from: string, to: string) =>
      topics.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('message_phrases')
            .select(['topic', 'phrase', sql<number>`count(*)`.as('count')])
            .where('workspace_id', '=', workspaceId)
            .where('topic', 'in', topics)
            .where('created_at', '>=', from)
            .where('created_at', '<', to)
            .groupBy(['topic', 'phrase'])
            .orderBy(sql`count(*)`, 'desc')
            .orderBy('phrase')
            .execute(),
    eraseByCustomers: async (tx: Tx, workspaceId: string, customerIds: string[]) =>
      customerIds.length === 0
        ? 0
        : Number(
            (await tx.deleteFrom('message_phrases').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).executeTakeFirst())
              .numDeletedRows,
          ),
  };
}
export type FeelingsStore = ReturnType<typeof createFeelingsStore>;
