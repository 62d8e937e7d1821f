// SQL for inboxes.
import type { Db, Tx } from '../../platform/db/database.js';
import type { InboxRow } from '../../platform/db/schema.js';

export function createInboxesStore(db: Db) {
  return {
    insert: (ex: Tx | Db, row: InboxRow) => ex.insertInto('inboxes').values(row).execute(),
    list: (workspaceId: string) => db.selectFrom('inboxes').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    count: async (workspaceId: string) =>
      Number(
        (
          await db
            .selectFrom('inboxes')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('workspace_id', '=', workspaceId)
            .executeTakeFirst()
        )?.n ?? 0,
      ),
    get: (workspaceId: string, id: string) =>
      db.selectFrom('inboxes').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /** By its global id alone: provider endpoints name the inbox in their path. */
    byId: (id: string) => db.selectFrom('inboxes').selectAll().where('id', '=', id).executeTakeFirst(),
    /**
     * Email routes by address, so an email address is the server's to hand out once; a number or
     * a page id is only a label inside its workspace (providers name the inbox in the webhook path).
     */
    byAddress: (channel: string, address: string, workspaceId: string | null) => {
      let q = db.selectFrom('inboxes').selectAll().where('channel', '=', channel).where('address', '=', address);
      if (workspaceId !== null) q = q.where('workspace_id', '=', workspaceId);
      return q.executeTakeFirst();
    },
    firstOfChannel: (workspaceId: string, channel: string) =>
      db
        .selectFrom('inboxes')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('channel', '=', channel)
        .where('enabled', '=', 1)
        .orderBy('is_default', 'desc')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst(),
    update: (workspaceId: string, id: string, patch: Partial<InboxRow>) =>
      db.updateTable('inboxes').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    remove: (workspaceId: string, id: string) => db.deleteFrom('inboxes').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
  };
}
export type InboxesStore = ReturnType<typeof createInboxesStore>;
