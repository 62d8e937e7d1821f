// SQL of ingest: the rejected-events log (accepted events
// become interactions through the interactions log).
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.js';
import type { RejectedEventRow } from '../../platform/db/schema.js';

export function createIngestStore(db: Db) {
  return {
    /** Rejected events of erased customers; returns how many were removed. */
    async eraseForCustomers(tx: Tx, ids: { workspaceId: string; userIds: string[]; anonymousIds: string[] }): Promise<number> {
      const { workspaceId } = ids;
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
  };
}
export type IngestStore = ReturnType<typeof createIngestStore>;
