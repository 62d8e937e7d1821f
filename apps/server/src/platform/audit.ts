// The audit log: who did what to which object, when, from which IP.
import type { AuditEntry, Page } from '@rapport/contracts';
import type { AuthContext } from './access.js';
import type { Clock } from './clock.js';
import { decodeCursor, toPage } from './cursor.js';
import type { Db, Tx } from './db/database.js';
import { newId } from './ids.js';
import { parseJsonObject } from './json.js';

export type AuditInput = {
  action: string;
  objectType: string;
  objectId: string | null;
  data?: Record<string, unknown>;
};

/** A person (from the request) or the system (userId null). */
export type Actor = Pick<AuthContext, 'workspaceId'> & { userId: string | null; ip: string | null };

export type Audit = {
  record(tx: Tx | Db, actor: Actor, input: AuditInput): Promise<void>;
  list(workspaceId: string, q: { limit: number; cursor?: string; action?: string; objectId?: string }): Promise<Page<AuditEntry>>;
};

export function createAudit(deps: { db: Db; clock: Clock }): Audit {
  const { db, clock } = deps;
  return {
    async record(tx, auth, input) {
      await tx
        .insertInto('audit_log')
        .values({
          workspace_id: auth.workspaceId,
          id: newId('audit'),
          actor_type: auth.userId ? 'user' : 'system',
          actor_id: auth.userId,
          action: input.action,
          object_type: input.objectType,
          object_id: input.objectId,
          data: JSON.stringify(input.data ?? {}),
          ip: auth.ip,
          created_at: clock.nowIso(),
        })
        .execute();
    },
    async list(workspaceId, q) {
      const after = decodeCursor(q.cursor, 1);
      let query = db
        .selectFrom('audit_log as a')
        .leftJoin('users as u', 'u.id', 'a.actor_id')
        .select(['a.id', 'a.actor_type', 'a.actor_id', 'u.name as actor_name', 'a.action', 'a.object_type', 'a.object_id', 'a.data', 'a.ip', 'a.created_at'])
        .where('a.workspace_id', '=', workspaceId);
      if (q.action) query = query.where('a.action', '=', q.action);
      if (q.objectId) query = query.where('a.object_id', '=', q.objectId);
      if (after) query = query.where('a.id', '<', String(after[0]));
      const rows = await query
        .orderBy('a.id', 'desc')
        .limit(q.limit + 1)
        .execute();
      return toPage(
        rows,
        q.limit,
        (r) => [r.id],
        (r): AuditEntry => ({
          id: r.id,
          actor: { type: r.actor_type === 'user' ? 'user' : 'system', id: r.actor_id, name: r.actor_name ?? null },
          action: r.action,
          objectType: r.object_type,
          objectId: r.object_id,
          data: parseJsonObject(r.data),
          ip: r.ip,
          createdAt: r.created_at,
        }),
      );
    },
  };
}
