// SQL for identities: every user id, anonymous id, email, phone and external id a workspace
// knows, each owned by one customer. A customer merge's part here is one statement
// (workflows/merge-customers.ts sends it with the other owners' parts).
import { sql } from 'kysely';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { IdentityRow } from '../../platform/db/schema.js';
import { reassignCustomerColumn, type Statement } from '../../platform/db/statements.js';
import { bulkInsert, inValues, type BulkInsert } from '../../platform/db/bulk-insert.js';

import type { IdentityKey } from './identity.types.js';

export type { IdentityKey };

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
  const inList = (column: string, values: string[]) => inValues(engine, column, values);

  return {
    valuesOf: (ex: Tx | Db, workspaceId: string, customerIds: string[]) =>
      ex.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute(),
    /** Forgets customers' identities (GDPR erasure); returns how many went. */
    async eraseByCustomers(tx: Tx, workspaceId: string, customerIds: string[]): Promise<number> {
      const r = await tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /** One customer's identities, for the customer 360. */
    listOf: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex
        .selectFrom('identities')
        .select(['kind', 'value', 'created_at'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .orderBy('kind')
        .orderBy('value')
        .execute(),
    find: (ex: Tx | Db, workspaceId: string, kind: string, value: string) =>
      ex
        .selectFrom('identities')
        .select('customer_id')
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('value', '=', value)
        .executeTakeFirst(),
    /** Links an identity unless it has an owner already. */
    link: (ex: Tx | Db, row: IdentityRow) =>
      ex
        .insertInto('identities')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doNothing())
        .execute(),
    unlinkValue: (ex: Tx | Db, workspaceId: string, kind: string, value: string) =>
      ex.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('kind', '=', kind).where('value', '=', value).execute(),
    /** The identities' part of a customer merge. */
    reassign: (workspaceId: string, pairs: Array<{ from: string; to: string }>): Statement => reassignCustomerColumn('identities', workspaceId, pairs),
    engine,
    /** Owners of the given identities, one query per kind and chunk. */
    async lookup(ex: Tx | Db, workspaceId: string, keys: IdentityKey[]): Promise<Array<{ kind: string; value: string; customer_id: string }>> {
      if (engine === 'postgres') {
        // One round trip for all kinds, written as a join on the unnested pairs so the plan
        // probes the (workspace_id, kind, value) key once per pair; `value = any(array)` was
        // planned as a scan of every identity of the kind (cost grew with the table, not the batch).
        const out: Array<{ kind: string; value: string; customer_id: string }> = [];
        for (const part of chunks(keys, 10_000)) {
          const res = await sql<{ kind: string; value: string; customer_id: string }>`select i.kind, i.value, i.customer_id
            from unnest(${part.map((k) => k.kind)}::text[], ${part.map((k) => k.value)}::text[]) as k(kind, value)
            join identities i on i.workspace_id = ${workspaceId} and i.kind = k.kind and i.value = k.value`.execute(ex);
          out.push(...res.rows);
        }
        return out;
      }
      const byKind = new Map<string, string[]>();
      for (const k of keys) {
        const list = byKind.get(k.kind) ?? [];
        list.push(k.value);
        byKind.set(k.kind, list);
      }
      const out: Array<{ kind: string; value: string; customer_id: string }> = [];
      for (const [kind, values] of byKind) {
        for (const part of chunks(values, 10_000)) {
          const rows = await ex
            .selectFrom('identities')
            .select(['kind', 'value', 'customer_id'])
            .where('workspace_id', '=', workspaceId)
            .where('kind', '=', kind)
            .where(inList('value', part))
            .execute();
          out.push(...rows);
        }
      }
      return out;
    },
    /** Inserts identities; returns the ones this call created (the others already had an owner). */
    async insertIdentities(tx: Tx, rows: IdentityRow[]): Promise<Set<string>> {
      const created = await bulkInsert<IdentityRow, { kind: string; value: string }>(tx, engine, IDENTITY_INSERT, rows);
      return new Set(created.map((x) => `${x.kind}\u0000${x.value}`));
    },
  };
}
export type IdentityStore = ReturnType<typeof createIdentityStore>;
