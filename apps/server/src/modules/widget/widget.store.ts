// SQL of the chat widget's visitors.
import type { Db } from '../../platform/db/database.js';
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
    /** GDPR erasure: a customer's visitors go with them. */
    eraseForCustomers: (workspaceId: string, customerIds: string[]) =>
      customerIds.length === 0
        ? Promise.resolve()
        : db.deleteFrom('widget_visitors').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute(),
  };
}
export type WidgetStore = ReturnType<typeof createWidgetStore>;
