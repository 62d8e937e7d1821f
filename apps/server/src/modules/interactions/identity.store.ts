// SQL for identity resolution and customer merges. Merging is the customers module's
// operation, but it moves rows of several modules at once (interactions, identities,
// conversations, organization memberships, journeys), so it lives beside the ingest that
// triggers it and writes those tables directly, in the caller's transaction.
import { sql } from 'kysely';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { CustomerRow, IdentityRow } from '../../platform/db/schema.js';
import { bulkInsert, type BulkInsert } from './bulk-insert.store.js';

export type IdentityKey = { kind: string; value: string };

const CUSTOMER_INSERT: BulkInsert<CustomerRow> = {
  table: 'customers',
  columns: ['workspace_id', 'id', 'name', 'email', 'phone', 'traits', 'created_at', 'updated_at', 'merged_into_id'],
};
const IDENTITY_INSERT: BulkInsert<IdentityRow> = {
  table: 'identities',
  columns: ['workspace_id', 'kind', 'value', 'customer_id', 'created_at'],
  onConflict: 'on conflict (workspace_id, kind, value) do nothing',
  returning: 'kind, value',
};

const CHUNK = 400;
function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createIdentityStore(db: Db, engine: Engine) {
  return {
    db,
    engine,
    /** Owners of the given identities, one query per kind and chunk. */
    async lookup(ex: Tx | Db, workspaceId: string, keys: IdentityKey[]): Promise<Array<{ kind: string; value: string; customer_id: string }>> {
      const byKind = new Map<string, string[]>();
      for (const k of keys) {
        const list = byKind.get(k.kind) ?? [];
        list.push(k.value);
        byKind.set(k.kind, list);
      }
      const out: Array<{ kind: string; value: string; customer_id: string }> = [];
      for (const [kind, values] of byKind) {
        for (const part of chunks(values)) {
          const rows = await ex
            .selectFrom('identities')
            .select(['kind', 'value', 'customer_id'])
            .where('workspace_id', '=', workspaceId)
            .where('kind', '=', kind)
            .where('value', 'in', part)
            .execute();
          out.push(...rows);
        }
      }
      return out;
    },
    /** Customers by id; on PostgreSQL share-locked so a concurrent merge waits for this batch. */
    async customers(ex: Tx | Db, workspaceId: string, ids: string[]): Promise<CustomerRow[]> {
      const out: CustomerRow[] = [];
      for (const part of chunks(ids)) {
        let q = ex.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', part);
        if (engine === 'postgres') q = q.forShare();
        out.push(...(await q.execute()));
      }
      return out;
    },
    insertCustomers: async (tx: Tx, rows: CustomerRow[]) => {
      await bulkInsert(tx, engine, CUSTOMER_INSERT, rows);
    },
    /** Inserts identities; returns the ones this call created (the others already had an owner). */
    async insertIdentities(tx: Tx, rows: IdentityRow[]): Promise<Set<string>> {
      const created = await bulkInsert<IdentityRow, { kind: string; value: string }>(tx, engine, IDENTITY_INSERT, rows);
      return new Set(created.map((x) => `${x.kind}\u0000${x.value}`));
    },
    updateCustomer: (ex: Tx | Db, workspaceId: string, id: string, patch: Partial<CustomerRow>) =>
      ex.updateTable('customers').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    getCustomer: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    /** Moves everything of `from` to `to` and leaves a merge pointer behind. */
    async moveCustomer(tx: Tx, workspaceId: string, from: string, to: string, reason: string, now: string) {
      await tx.updateTable('identities').set({ customer_id: to }).where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      await tx.updateTable('interactions').set({ customer_id: to }).where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      await tx.updateTable('conversations').set({ customer_id: to }).where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      await sql`INSERT INTO organization_members (workspace_id, organization_id, customer_id, created_at)
        SELECT workspace_id, organization_id, ${to}, created_at FROM organization_members WHERE workspace_id = ${workspaceId} AND customer_id = ${from}
        ON CONFLICT DO NOTHING`.execute(tx);
      await tx.deleteFrom('organization_members').where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      const journeys = await tx.selectFrom('customer_journeys').selectAll().where('workspace_id', '=', workspaceId).where('customer_id', 'in', [from, to]).execute();
      const mergedJourney = journeys.find((j) => j.customer_id === from);
      const survivorJourney = journeys.find((j) => j.customer_id === to);
      if (mergedJourney && (!survivorJourney || mergedJourney.stage_at > survivorJourney.stage_at)) {
        await tx.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', '=', to).execute();
        await tx.updateTable('customer_journeys').set({ customer_id: to, updated_at: now }).where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      } else if (mergedJourney) {
        await tx.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      }
      await tx.updateTable('customers').set({ merged_into_id: to, updated_at: now }).where('workspace_id', '=', workspaceId).where('merged_into_id', '=', from).execute();
      await tx.updateTable('customers').set({ merged_into_id: to, updated_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', from).execute();
      await tx
        .insertInto('customer_merges')
        .values({ workspace_id: workspaceId, merged_id: from, survivor_id: to, reason, created_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'merged_id']).doNothing())
        .execute();
    },
  };
}
export type IdentityStore = ReturnType<typeof createIdentityStore>;
