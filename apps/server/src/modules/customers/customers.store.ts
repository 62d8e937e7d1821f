// SQL for customers, the merge log and organizations (B2B accounts from group calls) with their
// members. Identities belong to the identity module; a merge's other rows move through their
// owners (workflows/merge-customers.ts), which is why the merge parts here are statements.
import { sql, type ExpressionBuilder } from 'kysely';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import { bulkInsert, inValues, type BulkInsert } from '../../platform/db/bulk-insert.js';
import type { CustomerRow, Database, OrganizationRow } from '../../platform/db/schema.js';
import { caseMap, statement, type Statement } from '../../platform/db/statements.js';

const CUSTOMER_INSERT: BulkInsert<CustomerRow> = {
  table: 'customers',
  columns: ['workspace_id', 'id', 'name', 'email', 'phone', 'traits', 'created_at', 'updated_at', 'merged_into_id'],
};
export type Move = { from: string; to: string };
export type ProfileColumns = Pick<CustomerRow, 'id' | 'name' | 'email' | 'phone' | 'traits'>;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Name, email or phone containing the text, case-insensitive; phone numbers compared without spaces. */
const matchesText = (q: string) => {
  const like = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return (eb: ExpressionBuilder<Database, 'customers'>) =>
    eb.or([
      eb(sql`lower(name)`, 'like', sql`${like} escape '\\'`),
      eb('email', 'like', sql<string>`${like} escape '\\'`),
      eb(sql`replace(phone, ' ', '')`, 'like', sql`${like.replaceAll(' ', '')} escape '\\'`),
    ]);
};

export function createCustomersStore(db: Db, engine: Engine) {
  return {
    /** Customers by id; on PostgreSQL share-locked so a concurrent merge waits for the caller's batch. */
    async lockMany(ex: Tx | Db, workspaceId: string, ids: string[]): Promise<CustomerRow[]> {
      const out: CustomerRow[] = [];
      for (const part of chunks(ids, 10_000)) {
        let q = ex
          .selectFrom('customers')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .where(inValues(engine, 'id', part));
        if (engine === 'postgres') q = q.forShare();
        out.push(...(await q.execute()));
      }
      return out;
    },
    insertMany: async (tx: Tx, rows: CustomerRow[]) => {
      await bulkInsert(tx, engine, CUSTOMER_INSERT, rows);
    },
    /** Sets name, email, phone and traits of many customers, 100 per statement. */
    async updateProfiles(tx: Tx, workspaceId: string, all: ProfileColumns[], now: string) {
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
    /**
     * The customers module's part of merging each `from` into its `to`: organization memberships
     * move (copied, then the old ones deleted: in one PostgreSQL statement both see the rows as
     * they were), the merge is logged, and merge pointers are left behind (and re-pointed for
     * customers merged into a `from` earlier). A `to` is never itself a `from`.
     */
    mergeStatements(workspaceId: string, pairs: Move[], reason: string, now: string): Statement[] {
      const froms = sql.join(pairs.map((p) => p.from));
      return [
        statement(sql`INSERT INTO organization_members (workspace_id, organization_id, customer_id, created_at)
          SELECT workspace_id, organization_id, ${caseMap('customer_id', pairs)}, created_at FROM organization_members WHERE workspace_id = ${workspaceId} AND customer_id IN (${froms})
          ON CONFLICT DO NOTHING`),
        statement(sql`DELETE FROM organization_members WHERE workspace_id = ${workspaceId} AND customer_id IN (${froms})`),
        statement(sql`INSERT INTO customer_merges (workspace_id, merged_id, survivor_id, reason, created_at)
          VALUES ${sql.join(pairs.map((p) => sql`(${workspaceId}, ${p.from}, ${p.to}, ${reason}, ${now})`))}
          ON CONFLICT (workspace_id, merged_id) DO NOTHING`),
        statement(
          sql`UPDATE customers SET merged_into_id = ${caseMap('merged_into_id', pairs)}, updated_at = ${now} WHERE workspace_id = ${workspaceId} AND merged_into_id IN (${froms})`,
        ),
        statement(
          sql`UPDATE customers SET merged_into_id = ${caseMap('id', pairs)}, updated_at = ${now} WHERE workspace_id = ${workspaceId} AND id IN (${froms})`,
        ),
      ];
    },
    /** Forgets merge records and organization memberships of erased customers. */
    async eraseLinks(tx: Tx, workspaceId: string, customerIds: string[]) {
      await tx.deleteFrom('organization_members').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
      await tx
        .deleteFrom('customer_merges')
        .where('workspace_id', '=', workspaceId)
        .where((eb) => eb.or([eb('merged_id', 'in', customerIds), eb('survivor_id', 'in', customerIds)]))
        .execute();
    },
    organizationsOf: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('organization_members as m')
        .innerJoin('organizations as o', (j) => j.onRef('o.workspace_id', '=', 'm.workspace_id').onRef('o.id', '=', 'm.organization_id'))
        .selectAll('o')
        .where('m.workspace_id', '=', workspaceId)
        .where('m.customer_id', '=', customerId)
        .orderBy('o.id')
        .execute(),
    organizationsByGroup: (tx: Tx, workspaceId: string, groupIds: string[]) =>
      tx.selectFrom('organizations').selectAll().where('workspace_id', '=', workspaceId).where('group_id', 'in', groupIds).execute(),
    insertOrganizations: async (tx: Tx, rows: OrganizationRow[]) => {
      if (rows.length > 0)
        await tx
          .insertInto('organizations')
          .values(rows)
          .onConflict((oc) => oc.columns(['workspace_id', 'group_id']).doNothing())
          .execute();
    },
    updateOrganization: (tx: Tx, workspaceId: string, id: string, patch: Partial<OrganizationRow>) =>
      tx.updateTable('organizations').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    addMembers: async (tx: Tx, rows: Array<{ workspace_id: string; organization_id: string; customer_id: string; created_at: string }>) => {
      if (rows.length > 0)
        await tx
          .insertInto('organization_members')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .execute();
    },
    listOrganizations: (workspaceId: string, opts: { before: string | null; limit: number }) => {
      let q = db.selectFrom('organizations').selectAll().where('workspace_id', '=', workspaceId);
      if (opts.before) q = q.where('id', '<', opts.before);
      return q
        .orderBy('id', 'desc')
        .limit(opts.limit + 1)
        .execute();
    },
    /** Live (unmerged) customers in id order after `afterId` (a scheduled rule's audience, page by page). */
    pageRows: (ex: Tx | Db, workspaceId: string, afterId: string | null, limit: number) => {
      let q = ex.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('merged_into_id', 'is', null);
      if (afterId) q = q.where('id', '>', afterId);
      return q.orderBy('id').limit(limit).execute();
    },
    insert: (tx: Tx | Db, row: CustomerRow) => tx.insertInto('customers').values(row).execute(),
    mergedInto: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.selectFrom('customers').select('id').where('workspace_id', '=', workspaceId).where('merged_into_id', '=', id).execute(),
    deleteMany: async (tx: Tx, workspaceId: string, ids: string[]) =>
      Number((await tx.deleteFrom('customers').where('workspace_id', '=', workspaceId).where('id', 'in', ids).executeTakeFirst()).numDeletedRows),
    get: (tx: Tx | Db, workspaceId: string, id: string) =>
      tx.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /** Customer ids by feeling label, as a subquery other modules filter by. */
    idsByFeeling: (workspaceId: string, label: string) =>
      sql`SELECT id FROM customers WHERE workspace_id = ${workspaceId} AND feeling_label = ${label} AND merged_into_id IS NULL`,
    /** A conversation row's customer's feeling score (0 until read), for ordering the inbox by it. */
    feelingOfConversationCustomer: () =>
      sql<number>`COALESCE((SELECT fc.feeling_score FROM customers fc WHERE fc.workspace_id = conversations.workspace_id AND fc.id = conversations.customer_id), 0)`,
    getMany: (workspaceId: string, ids: string[]) =>
      ids.length === 0 ? Promise.resolve([]) : db.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute(),
    update: (tx: Tx | Db, workspaceId: string, id: string, patch: Partial<CustomerRow>) =>
      tx.updateTable('customers').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** Ids of up to `limit` customers whose name, email or phone contains `q` (the inbox's search by customer). */
    idsMatching: async (workspaceId: string, q: string, limit: number) =>
      (
        await db
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where('merged_into_id', 'is', null)
          .where(matchesText(q))
          .limit(limit)
          .execute()
      ).map((r) => r.id),
    list: (workspaceId: string, opts: { q?: string | undefined; after: [string, string] | null; limit: number }) => {
      let query = db.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('merged_into_id', 'is', null);
      if (opts.q) query = query.where(matchesText(opts.q));
      if (opts.after) {
        const [u, id] = opts.after;
        query = query.where((eb) => eb.or([eb('updated_at', '<', u), eb.and([eb('updated_at', '=', u), eb('id', '<', id)])]));
      }
      return query
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit + 1)
        .execute();
    },
  };
}
export type CustomersStore = ReturnType<typeof createCustomersStore>;
