// SQL of the ingest hot path: multi-row inserts of interactions (deduplicated by source_id),
// organizations and their members, and the rejected-events log.
import { CompiledQuery } from 'kysely';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { InteractionRow, OrganizationRow, RejectedEventRow } from '../../platform/db/schema.js';

const ROWS_PER_INSERT = 100;
const COLUMNS = ['workspace_id', 'id', 'customer_id', 'occurred_at', 'received_at', 'kind', 'name', 'channel', 'touchpoint_id', 'stage', 'department', 'origin', 'conversation_id', 'sentiment', 'emotion', 'source_id', 'properties'];

const insertSqlCache = new Map<string, string>();
function insertSql(engine: Engine, rowCount: number): string {
  const key = `${engine}:${rowCount}`;
  let text = insertSqlCache.get(key);
  if (!text) {
    let n = 0;
    const tuple = () => `(${COLUMNS.map(() => (engine === 'postgres' ? `$${++n}` : '?')).join(',')})`;
    text = `insert into interactions (${COLUMNS.join(',')}) values ${Array.from({ length: rowCount }, tuple).join(',')} on conflict (workspace_id, source_id) do nothing returning source_id`;
    insertSqlCache.set(key, text);
  }
  return text;
}

export function createIngestStore(db: Db, engine: Engine) {
  return {
    db,
    /**
     * Inserts rows, skipping any whose source_id is already stored; returns the stored source
     * ids. Hand-built, fixed-size multi-row statements: the SQL text repeats, so SQLite's
     * statement cache hits and no query builder runs on the hot path.
     */
    async insertInteractions(tx: Tx, rows: InteractionRow[]): Promise<Set<string>> {
      const stored = new Set<string>();
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const part = rows.slice(i, i + ROWS_PER_INSERT);
        const params: unknown[] = [];
        for (const r of part) {
          params.push(r.workspace_id, r.id, r.customer_id, r.occurred_at, r.received_at, r.kind, r.name, r.channel, r.touchpoint_id, r.stage, r.department, r.origin, r.conversation_id, r.sentiment, r.emotion, r.source_id, r.properties);
        }
        const res = await tx.executeQuery<{ source_id: string }>(CompiledQuery.raw(insertSql(engine, part.length), params));
        for (const x of res.rows) stored.add(x.source_id);
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
