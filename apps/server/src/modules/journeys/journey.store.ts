// SQL for each customer's current journey stage (history lives in 'stage_changed' interactions,
// read and written through the interactions log).
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import { inValues } from '../../platform/db/bulk-insert.js';
import type { CustomerJourneyRow } from '../../platform/db/schema.js';

export function createJourneyStore(db: Db, engine: Engine) {
  return {
    /** Reads and deletes the customers' rows in one statement (a merge inserts back the kept ones). */
    takeMany: (tx: Tx, workspaceId: string, customerIds: string[]) =>
      tx.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).returningAll().execute(),
    insertMany: async (tx: Tx, rows: CustomerJourneyRow[]) => {
      if (rows.length > 0) await tx.insertInto('customer_journeys').values(rows).execute();
    },
    eraseByCustomers: (tx: Tx, workspaceId: string, customerIds: string[]) =>
      tx.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute(),
    getMany: (ex: Tx | Db, workspaceId: string, customerIds: string[]) =>
      customerIds.length === 0
        ? Promise.resolve([])
        : ex
            .selectFrom('customer_journeys')
            .selectAll()
            .where('workspace_id', '=', workspaceId)
            .where(inValues(engine, 'customer_id', customerIds))
            .execute(),
    upsert: async (ex: Tx | Db, rows: CustomerJourneyRow[]) => {
      if (rows.length === 0) return;
      await ex
        .insertInto('customer_journeys')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'customer_id']).doUpdateSet((eb) => ({
            stage: eb.ref('excluded.stage'),
            stage_at: eb.ref('excluded.stage_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },
    deleteJourney: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', '=', customerId).execute(),
  };
}
export type JourneyStore = ReturnType<typeof createJourneyStore>;
