// SQL for the GDPR export and erasure of one customer (and the customers merged into it).
// Erasure reaches into the conversations module's tables on purpose: a person's right to be
// forgotten covers their conversations and messages, in the same transaction.
import type { Db, Tx } from '../../platform/db/database.js';

const count = (r: { numDeletedRows: bigint } | undefined) => Number(r?.numDeletedRows ?? 0);

export function createPrivacyStore(db: Db) {
  return {
    mergedInto: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.selectFrom('customers').select('id').where('workspace_id', '=', workspaceId).where('merged_into_id', '=', id).execute(),
    interactions: (workspaceId: string, customerIds: string[]) =>
      db
        .selectFrom('interactions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', 'in', customerIds)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute(),
    conversations: (ex: Tx | Db, workspaceId: string, customerIds: string[]) =>
      ex
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', 'in', customerIds)
        .orderBy('created_at')
        .execute(),
    messages: (workspaceId: string, conversationIds: string[]) =>
      conversationIds.length === 0
        ? Promise.resolve([])
        : db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).orderBy('id').execute(),
    identityValues: (ex: Tx | Db, workspaceId: string, customerIds: string[]) =>
      ex.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute(),

    async erase(tx: Tx, workspaceId: string, customerIds: string[], conversationIds: string[], identityValues: { userIds: string[]; anonymousIds: string[] }) {
      const counts: Record<string, number> = {};
      if (conversationIds.length > 0) {
        counts.messages = count(
          await tx.deleteFrom('messages').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).executeTakeFirst(),
        );
        await tx.deleteFrom('message_search').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute();
        await tx.deleteFrom('conversation_tags').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute();
        counts.conversations = count(
          await tx.deleteFrom('conversations').where('workspace_id', '=', workspaceId).where('id', 'in', conversationIds).executeTakeFirst(),
        );
      }
      counts.interactions = count(
        await tx.deleteFrom('interactions').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).executeTakeFirst(),
      );
      counts.identities = count(
        await tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).executeTakeFirst(),
      );
      await tx.deleteFrom('organization_members').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
      await tx.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
      await tx
        .deleteFrom('customer_merges')
        .where('workspace_id', '=', workspaceId)
        .where((eb) => eb.or([eb('merged_id', 'in', customerIds), eb('survivor_id', 'in', customerIds)]))
        .execute();
      const { userIds, anonymousIds } = identityValues;
      if (userIds.length > 0 || anonymousIds.length > 0) {
        counts.rejectedEvents = count(
          await tx
            .deleteFrom('rejected_events')
            .where('workspace_id', '=', workspaceId)
            .where((eb) =>
              eb.or([eb('user_id', 'in', userIds.length > 0 ? userIds : ['']), eb('anonymous_id', 'in', anonymousIds.length > 0 ? anonymousIds : [''])]),
            )
            .executeTakeFirst(),
        );
      }
      counts.customers = count(await tx.deleteFrom('customers').where('workspace_id', '=', workspaceId).where('id', 'in', customerIds).executeTakeFirst());
      return counts;
    },
  };
}
export type PrivacyStore = ReturnType<typeof createPrivacyStore>;
