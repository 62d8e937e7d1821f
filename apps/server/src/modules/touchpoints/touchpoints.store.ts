// SQL for the touchpoint catalogue and the per-workspace stage and department lists (every
// function runs on the executor its caller hands it).
import type { Db, Tx } from '../../platform/db/database.js';
import type { JourneySettingsRow, TouchpointRow } from '../../platform/db/schema.js';

export function createTouchpointsStore() {
  return {
    getSettings: (ex: Tx | Db, workspaceId: string) => ex.selectFrom('journey_settings').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst(),
    /** Inserts the settings row unless one exists; true when this call created it. */
    async insertSettings(ex: Tx | Db, row: JourneySettingsRow): Promise<boolean> {
      const r = await ex
        .insertInto('journey_settings')
        .values(row)
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    updateSettings: (ex: Tx | Db, workspaceId: string, patch: Partial<JourneySettingsRow>) =>
      ex.updateTable('journey_settings').set(patch).where('workspace_id', '=', workspaceId).execute(),
    list: (ex: Tx | Db, workspaceId: string) =>
      ex.selectFrom('touchpoints').selectAll().where('workspace_id', '=', workspaceId).orderBy('position').orderBy('key').execute(),
    get: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.selectFrom('touchpoints').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    getMany: (ex: Tx | Db, workspaceId: string, ids: string[]) =>
      ids.length === 0 ? Promise.resolve([]) : ex.selectFrom('touchpoints').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute(),
    getByKey: (ex: Tx | Db, workspaceId: string, key: string) =>
      ex.selectFrom('touchpoints').selectAll().where('workspace_id', '=', workspaceId).where('key', '=', key).executeTakeFirst(),
    insertMany: async (ex: Tx | Db, rows: TouchpointRow[]) => {
      if (rows.length > 0)
        await ex
          .insertInto('touchpoints')
          .values(rows)
          .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
          .execute();
    },
    update: (ex: Tx | Db, workspaceId: string, id: string, patch: Partial<TouchpointRow>) =>
      ex.updateTable('touchpoints').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    delete: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.deleteFrom('touchpoints').where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** Past interactions that rules classify, in id order, one page at a time. */
  };
}
export type TouchpointsStore = ReturnType<typeof createTouchpointsStore>;
