// SQL of the audit log.
import type { Db, Tx } from './db/database.js';
import type { AuditRow } from './db/schema.js';

export function createAuditStore(db: Db) {
  return {
    insert: (ex: Tx | Db, row: AuditRow) => ex.insertInto('audit_log').values(row).execute(),
    list: (workspaceId: string, q: { limit: number; before: string | null; action?: string | undefined; objectId?: string | undefined }) => {
      let query = db
        .selectFrom('audit_log as a')
        .leftJoin('users as u', 'u.id', 'a.actor_id')
        .select(['a.id', 'a.actor_type', 'a.actor_id', 'u.name as actor_name', 'a.action', 'a.object_type', 'a.object_id', 'a.data', 'a.ip', 'a.created_at'])
        .where('a.workspace_id', '=', workspaceId);
      if (q.action) query = query.where('a.action', '=', q.action);
      if (q.objectId) query = query.where('a.object_id', '=', q.objectId);
      if (q.before) query = query.where('a.id', '<', q.before);
      return query
        .orderBy('a.id', 'desc')
        .limit(q.limit + 1)
        .execute();
    },
  };
}
export type AuditStore = ReturnType<typeof createAuditStore>;
