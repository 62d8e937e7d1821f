// The audit log: who did what to which object, when, from which IP.
import type { AuditEntry, Page } from '@rapport/contracts';
import type { AuthContext } from './access.js';
import { createAuditStore } from './audit.store.js';
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
  const { clock } = deps;
  const store = createAuditStore(deps.db);
  return {
    async record(tx, auth, input) {
      await store.insert(tx, {
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
      });
    },
    async list(workspaceId, q) {
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.list(workspaceId, { limit: q.limit, before: after ? String(after[0]) : null, action: q.action, objectId: q.objectId });
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
