// SQL of the ingest hot path: multi-row inserts of interactions (deduplicated by source_id),
// organizations and their members, and the rejected-events log.
import type { Db, Tx } from '../../platform/db/database.js';
import type { InteractionRow, OrganizationRow, RejectedEventRow } from '../../platform/db/schema.js';

const ROWS_PER_INSERT = 500;

export function createIngestStore(db: Db) {
  return {
    db,
    /** Inserts rows, skipping any whose source_id is already stored; returns the stored source ids. */
    async insertInteractions(tx: Tx, rows: InteractionRow[]): Promise<Set<string>> {
      const stored = new Set<string>();
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const part = rows.slice(i, i + ROWS_PER_INSERT);
        const r = await tx
          .insertInto('interactions')
          .values(part)
          .onConflict((oc) => oc.columns(['workspace_id', 'source_id']).doNothing())
          .returning('source_id')
          .execute();
        for (const x of r) stored.add(x.source_id);
      }
      return stored;
    },
    organizationsByGroup: (tx: Tx, workspaceId: string, groupIds: string[]) =>
      tx.selectFrom('organizations').selectAll().where('workspace_id', '=', workspaceId).where('group_id', 'in', groupIds).execute(),
    insertOrganizations: async (tx: Tx, rows: OrganizationRow[]) => {
      if (rows.length > 0) await tx.insertInto('organizations').values(rows).onConflict((oc) => oc.columns(['workspace_id', 'group_id']).doNothing()).execute();
    },
    updateOrganization: (tx: Tx, workspaceId: string, id: string, patch: Partial<OrganizationRow>) =>
      tx.updateTable('organizations').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    addMembers: async (tx: Tx, rows: Array<{ workspace_id: string; organization_id: string; customer_id: string; created_at: string }>) => {
      if (rows.length > 0) await tx.insertInto('organization_members').values(rows).onConflict((oc) => oc.doNothing()).execute();
    },
    insertRejected: async (ex: Tx | Db, rows: RejectedEventRow[]) => {
      for (let i = 0; i < rows.length; i += 200) await ex.insertInto('rejected_events').values(rows.slice(i, i + 200)).execute();
    },
    listRejected: (workspaceId: string, opts: { before: string | null; limit: number }) => {
      let q = db.selectFrom('rejected_events').selectAll().where('workspace_id', '=', workspaceId);
      if (opts.before) q = q.where('id', '<', opts.before);
      return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
    },
    listOrganizations: (workspaceId: string, opts: { before: string | null; limit: number }) => {
      let q = db.selectFrom('organizations').selectAll().where('workspace_id', '=', workspaceId);
      if (opts.before) q = q.where('id', '<', opts.before);
      return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
    },
  };
}
export type IngestStore = ReturnType<typeof createIngestStore>;
