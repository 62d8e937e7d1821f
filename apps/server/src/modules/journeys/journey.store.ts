// SQL for each customer's current journey stage (history lives in 'stage_changed' interactions).
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import { inValues } from '../../platform/db/bulk-insert.js';
import type { CustomerJourneyRow } from '../../platform/db/schema.js';

export function createJourneyStore(db: Db, engine: Engine) {
  return {
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
    /** Every interaction with a stage, oldest first (stage changes themselves excluded). */
    staged: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex
        .selectFrom('interactions')
        .select(['stage', 'occurred_at', 'source_id'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('stage', 'is not', null)
        .where('kind', '!=', 'stage_changed')
        .orderBy('occurred_at')
        .orderBy('id')
        .execute(),
    history: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('interactions')
        .select(['stage', 'occurred_at', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('kind', '=', 'stage_changed')
        .orderBy('occurred_at')
        .orderBy('id')
        .execute(),
    deleteChanges: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex.deleteFrom('interactions').where('workspace_id', '=', workspaceId).where('customer_id', '=', customerId).where('kind', '=', 'stage_changed').execute(),
    deleteJourney: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', '=', customerId).execute(),
  };
}
export type JourneyStore = ReturnType<typeof createJourneyStore>;
