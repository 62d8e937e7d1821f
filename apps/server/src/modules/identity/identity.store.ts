// SQL for identity resolution and customer merges. Merging is the customers module's
// operation, but it moves rows of several modules at once (interactions, identities,
// conversations, organization memberships, journeys), so it lives beside the ingest that
// triggers it and writes those tables directly, in the caller's transaction.
import { sql } from 'kysely';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { CustomerJourneyRow, CustomerRow, IdentityRow } from '../../platform/db/schema.js';
import { bulkInsert, inValues, type BulkInsert } from '../../platform/db/bulk-insert.js';

import type { IdentityKey } from './identity.types.js';

export type { IdentityKey };

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
  const inList = (column: string, values: string[]) => inValues(engine, column, values);

  /** Organization memberships, journeys (the one that moved last wins) and the merge log. */
  async function moveRest(tx: Tx, workspaceId: string, pairs: Array<{ from: string; to: string }>, reason: string, now: string, membersAndLogDone = false) {
    const froms = pairs.map((p) => p.from);
    if (!membersAndLogDone) await tx.deleteFrom('organization_members').where('workspace_id', '=', workspaceId).where('customer_id', 'in', froms).execute();
    const ids = [...new Set([...froms, ...pairs.map((p) => p.to)])];
    // Read and delete the journeys in one statement; the kept ones are inserted back below.
    const journeys = new Map(
      (await tx.deleteFrom('customer_journeys').where('workspace_id', '=', workspaceId).where('customer_id', 'in', ids).returningAll().execute()).map((j) => [
        j.customer_id,
        j,
      ]),
    );
    const kept = new Map<string, CustomerJourneyRow>();
    for (const p of pairs) {
      const candidates = [kept.get(p.to) ?? journeys.get(p.to), journeys.get(p.from)].filter((j): j is CustomerJourneyRow => j !== undefined);
      const best = candidates.reduce<CustomerJourneyRow | null>((acc, j) => (!acc || j.stage_at > acc.stage_at ? j : acc), null);
      if (best) kept.set(p.to, { ...best, customer_id: p.to, updated_at: now });
    }
    if (kept.size > 0)
      await tx
        .insertInto('customer_journeys')
        .values([...kept.values()])
        .execute();
    if (membersAndLogDone) return;
    await tx
      .insertInto('customer_merges')
      .values(pairs.map((p) => ({ workspace_id: workspaceId, merged_id: p.from, survivor_id: p.to, reason, created_at: now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'merged_id']).doNothing())
      .execute();
  }

  return {
    valuesOf: (ex: Tx | Db, workspaceId: string, customerIds: string[]) =>
      ex.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute(),
    /** Forgets customers' identities and merge records (GDPR erasure); returns how many identities went. */
    async eraseByCustomers(tx: Tx, workspaceId: string, customerIds: string[]): Promise<number> {
      const r = await tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).executeTakeFirst();
      await tx
        .deleteFrom('customer_merges')
        .where('workspace_id', '=', workspaceId)
        .where((eb) => eb.or([eb('merged_id', 'in', customerIds), eb('survivor_id', 'in', customerIds)]))
        .execute();
      return Number(r.numDeletedRows);
    },
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
    /** Customers by id; on PostgreSQL share-locked so a concurrent merge waits for this batch. */
    async customers(ex: Tx | Db, workspaceId: string, ids: string[]): Promise<CustomerRow[]> {
      const out: CustomerRow[] = [];
      for (const part of chunks(ids, 10_000)) {
        let q = ex.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where(inList('id', part));
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

    /**
     * Moves everything of each `from` customer to its `to` and leaves merge pointers behind, a
     * handful of statements for any number of pairs (no `to` may itself be a `from`).
     */
    async moveCustomers(tx: Tx, workspaceId: string, all: Array<{ from: string; to: string }>, reason: string, now: string) {
      // CASE … WHEN maps plus IN lists: both engines walk the (workspace_id, customer_id) indexes.
      for (const pairs of chunks(all, 200)) {
        const froms = pairs.map((p) => p.from);
        const map = (column: string) =>
          sql<string>`CASE ${sql.ref(column)} ${sql.join(
            pairs.map((p) => sql`WHEN ${p.from} THEN ${p.to}`),
            sql` `,
          )} END`;
        if (engine === 'postgres') {
          // One round trip instead of six (a group's statements run one after another, and under
          // load each PostgreSQL round trip costs milliseconds): data-modifying CTEs on distinct
          // rows. The two customers updates touch disjoint rows (a `from` is never merged itself).
          await sql`WITH
            ident AS (UPDATE identities SET customer_id = ${map('customer_id')} WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})),
            inter AS (UPDATE interactions SET customer_id = ${map('customer_id')} WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})),
            conv AS (UPDATE conversations SET customer_id = ${map('customer_id')} WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})),
            members AS (INSERT INTO organization_members (workspace_id, organization_id, customer_id, created_at)
              SELECT workspace_id, organization_id, ${map('customer_id')}, created_at FROM organization_members WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})
              ON CONFLICT DO NOTHING),
            gone AS (DELETE FROM organization_members WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})),
            logged AS (INSERT INTO customer_merges (workspace_id, merged_id, survivor_id, reason, created_at)
              VALUES ${sql.join(pairs.map((p) => sql`(${workspaceId}, ${p.from}, ${p.to}, ${reason}, ${now})`))}
              ON CONFLICT (workspace_id, merged_id) DO NOTHING),
            chained AS (UPDATE customers SET merged_into_id = ${map('merged_into_id')}, updated_at = ${now} WHERE workspace_id = ${workspaceId} AND merged_into_id IN (${sql.join(froms)}))
            UPDATE customers SET merged_into_id = ${map('id')}, updated_at = ${now} WHERE workspace_id = ${workspaceId} AND id IN (${sql.join(froms)})`.execute(
            tx,
          );
          await moveRest(tx, workspaceId, pairs, reason, now, true);
          continue;
        }
        for (const table of ['identities', 'interactions', 'conversations'] as const) {
          await sql`UPDATE ${sql.table(table)} SET customer_id = ${map('customer_id')} WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})`.execute(
            tx,
          );
        }
        await sql`INSERT INTO organization_members (workspace_id, organization_id, customer_id, created_at)
          SELECT workspace_id, organization_id, ${map('customer_id')}, created_at FROM organization_members WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(froms)})
          ON CONFLICT DO NOTHING`.execute(tx);
        await sql`UPDATE customers SET merged_into_id = ${map('merged_into_id')}, updated_at = ${now} WHERE workspace_id = ${workspaceId} AND merged_into_id IN (${sql.join(froms)})`.execute(
          tx,
        );
        await sql`UPDATE customers SET merged_into_id = ${map('id')}, updated_at = ${now} WHERE workspace_id = ${workspaceId} AND id IN (${sql.join(froms)})`.execute(
          tx,
        );
        await moveRest(tx, workspaceId, pairs, reason, now);
      }
    },
    /** Sets name, email, phone and traits of many customers, 100 per statement. */
    async updateProfiles(tx: Tx, workspaceId: string, all: Array<Pick<CustomerRow, 'id' | 'name' | 'email' | 'phone' | 'traits'>>, now: string) {
      for (const rows of chunks(all, 100)) {
        const set = (column: 'name' | 'email' | 'phone' | 'traits') =>
          sql`CASE id ${sql.join(
            rows.map((r) => sql`WHEN ${r.id} THEN ${r[column]}`),
            sql` `,
          )} END`;
        await sql`UPDATE customers SET name = ${set('name')}, email = ${set('email')}, phone = ${set('phone')}, traits = ${set('traits')}, updated_at = ${now}
          WHERE workspace_id = ${workspaceId} AND id IN (${sql.join(rows.map((r) => r.id))})`.execute(tx);
      }
    },
  };
}
export type IdentityStore = ReturnType<typeof createIdentityStore>;
