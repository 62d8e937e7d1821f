// SQL of the chat widget's visitors.
import type { Db, Tx } from '../../platform/db/database.js';
import type { WidgetVisitorRow } from '../../platform/db/schema.js';

export function createWidgetStore(db: Db) {
  return {
    insert: (row: WidgetVisitorRow) => db.insertInto('widget_visitors').values(row).execute(),
    /** By its id alone: a token names its visitor, not its workspace. */
    byId: (id: string) => db.selectFrom('widget_visitors').selectAll().where('id', '=', id).executeTakeFirst(),
    update: (workspaceId: string, id: string, patch: Partial<WidgetVisitorRow>) =>
      db.updateTable('widget_visitors').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** Visitors of these customers in this inbox (a customer may use several browsers). */
    ofCustomers: (workspaceId: string, inboxId: string, customerIds: string[]) =>
      customerIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('widget_visitors')
            .selectAll()
            .where('workspace_id', '=', workspaceId)
            .where('inbox_id', '=', inboxId)
            .where('customer_id', 'in', customerIds)
            .orderBy('last_seen_at', 'desc')
            .limit(100)
            .execute(),
    /** Visitors of these customers on any chat inbox of the workspace (where a survey in the chat can reach them). */
    ofCustomersAnywhere: (workspaceId: string, customerIds: string[]) =>
      customerIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('widget_visitors')
            .selectAll()
            .where('workspace_id', '=', workspaceId)
            .where('customer_id', 'in', customerIds)
            .orderBy('last_seen_at', 'desc')
            .limit(100)
            .execute(),
    /** Anonymous visitors who never wrote (no customer) and have not been seen since `before`. */
    async pruneIdle(before: string): Promise<number> {
      const r = await db.deleteFrom('widget_visitors').where('customer_id', 'is', null).where('last_seen_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows ?? 0);
    },
    /** GDPR erasure: the visitors of these customers, or whose anonymous or user id is theirs. */
    async eraseForCustomers(tx: Tx, workspaceId: string, q: { customerIds: string[]; visitorIds: string[]; userIds: string[] }): Promise<number> {
      let n = 0;
      const parts: Array<['customer_id' | 'id' | 'user_id', string[]]> = [
        ['customer_id', q.customerIds],
        ['id', q.visitorIds],
        ['user_id', q.userIds],
      ];
      for (const [column, values] of parts) {
        if (values.length === 0) continue;
        const r = await tx.deleteFrom('widget_visitors').where('workspace_id', '=', workspaceId).where(column, 'in', values).executeTakeFirst();
        n += Number(r.numDeletedRows ?? 0);
      }
      return n;
    },
  };
}
export type WidgetStore = ReturnType<typeof createWidgetStore>;
