// SQL for customers and their identities.
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.js';
import type { CustomerRow } from '../../platform/db/schema.js';

export function createCustomersStore(db: Db) {
  return {
    insert: (tx: Tx | Db, row: CustomerRow) => tx.insertInto('customers').values(row).execute(),
    mergedInto: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.selectFrom('customers').select('id').where('workspace_id', '=', workspaceId).where('merged_into_id', '=', id).execute(),
    deleteMany: async (tx: Tx, workspaceId: string, ids: string[]) =>
      Number((await tx.deleteFrom('customers').where('workspace_id', '=', workspaceId).where('id', 'in', ids).executeTakeFirst()).numDeletedRows),
    get: (tx: Tx | Db, workspaceId: string, id: string) =>
      tx.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    getMany: (workspaceId: string, ids: string[]) =>
      ids.length === 0 ? Promise.resolve([]) : db.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute(),
    update: (tx: Tx | Db, workspaceId: string, id: string, patch: Partial<CustomerRow>) =>
      tx.updateTable('customers').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    deleteIdentityValue: (tx: Tx | Db, workspaceId: string, kind: string, value: string) =>
      tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('kind', '=', kind).where('value', '=', value).execute(),
    findIdentity: (tx: Tx | Db, workspaceId: string, kind: string, value: string) =>
      tx
        .selectFrom('identities')
        .select('customer_id')
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('value', '=', value)
        .executeTakeFirst(),
    upsertIdentity: (tx: Tx | Db, row: { workspace_id: string; kind: string; value: string; customer_id: string; created_at: string }) =>
      tx
        .insertInto('identities')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doNothing())
        .execute(),
    deleteIdentity: (tx: Tx | Db, workspaceId: string, kind: string, customerId: string) =>
      tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('kind', '=', kind).where('customer_id', '=', customerId).execute(),
    list: (workspaceId: string, opts: { q?: string | undefined; after: [string, string] | null; limit: number }) => {
      let query = db.selectFrom('customers').selectAll().where('workspace_id', '=', workspaceId).where('merged_into_id', 'is', null);
      if (opts.q) {
        const like = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where((eb) =>
          eb.or([
            eb(sql`lower(name)`, 'like', sql`${like} escape '\\'`),
            eb('email', 'like', sql<string>`${like} escape '\\'`),
            eb(sql`replace(phone, ' ', '')`, 'like', sql`${like.replaceAll(' ', '')} escape '\\'`),
          ]),
        );
      }
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
