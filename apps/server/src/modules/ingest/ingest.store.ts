// SQL of ingest: organizations and their members, and the rejected-events log (accepted events
// become interactions through the interactions log).
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.js';
import type { OrganizationRow, RejectedEventRow } from '../../platform/db/schema.js';

export function createIngestStore(db: Db) {
  return {
    /** Organization memberships and rejected events of erased customers; returns the rejected events removed. */
    async eraseForCustomers(tx: Tx, workspaceId: string, customerIds: string[], ids: { userIds: string[]; anonymousIds: string[] }): Promise<number> {
      await tx.deleteFrom('organization_members').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
      if (ids.userIds.length === 0 && ids.anonymousIds.length === 0) return 0;
      const r = await tx
        .deleteFrom('rejected_events')
        .where('workspace_id', '=', workspaceId)
        .where((eb) =>
          eb.or([
            eb('user_id', 'in', ids.userIds.length > 0 ? ids.userIds : ['']),
            eb('anonymous_id', 'in', ids.anonymousIds.length > 0 ? ids.anonymousIds : ['']),
          ]),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /** See ingest.service.ts: fewer, larger WAL checkpoints and a 32 MB page cache (SQLite only). */
    tuneSqlite: async () => {
      await sql`pragma wal_autocheckpoint = 10000`.execute(db);
      await sql`pragma cache_size = -32768`.execute(db);
    },
    /** Inserts rows, skipping any whose source_id is already stored; returns the stored source ids. */
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
    insertRejected: async (ex: Tx | Db, rows: RejectedEventRow[]) => {
      for (let i = 0; i < rows.length; i += 200)
        await ex
          .insertInto('rejected_events')
          .values(rows.slice(i, i + 200))
          .execute();
    },
    countRejected: (tx: Tx, workspaceId: string, day: string, kept: number, dropped: number) =>
      tx
        .insertInto('rejected_event_counts')
        .values({ workspace_id: workspaceId, day, kept, dropped })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'day']).doUpdateSet((eb) => ({
            kept: eb('rejected_event_counts.kept', '+', kept),
            dropped: eb('rejected_event_counts.dropped', '+', dropped),
          })),
        )
        .execute(),
    rejectedCounts: (workspaceId: string, since: string) =>
      db.selectFrom('rejected_event_counts').selectAll().where('workspace_id', '=', workspaceId).where('day', '>=', since).orderBy('day', 'desc').execute(),
    listRejected: (workspaceId: string, opts: { before: string | null; limit: number }) => {
      let q = db.selectFrom('rejected_events').selectAll().where('workspace_id', '=', workspaceId);
      if (opts.before) q = q.where('id', '<', opts.before);
      return q
        .orderBy('id', 'desc')
        .limit(opts.limit + 1)
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
  };
}
export type IngestStore = ReturnType<typeof createIngestStore>;
