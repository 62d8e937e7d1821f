// SQL of webhook subscriptions and their delivery log (every function runs on the executor its
// caller hands it).
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.js';
import type { WebhookDeliveryRow, WebhookRow } from '../../platform/db/schema.js';

type Ex = Tx | Db;

export function createWebhooksStore() {
  return {
    list: (ex: Ex, workspaceId: string) => ex.selectFrom('webhooks').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    get: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('webhooks').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    async count(ex: Ex, workspaceId: string): Promise<number> {
      const r = await ex
        .selectFrom('webhooks')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Whether any workspace has an enabled subscription naming this event type. */
    anyEnabledWanting: async (ex: Ex, type: string) =>
      (await ex
        .selectFrom('webhooks')
        .select('id')
        .where('enabled', '=', 1)
        .where('events', 'like', `%${JSON.stringify(type)}%`)
        .limit(1)
        .executeTakeFirst()) !== undefined,
    /** Enabled subscriptions of these workspaces (the fan-out's one query per batch). */
    enabledIn: (ex: Ex, workspaceIds: string[]) =>
      workspaceIds.length === 0
        ? Promise.resolve([])
        : ex.selectFrom('webhooks').selectAll().where('workspace_id', 'in', workspaceIds).where('enabled', '=', 1).execute(),
    insert: (ex: Ex, row: WebhookRow) => ex.insertInto('webhooks').values(row).execute(),
    update: (ex: Ex, workspaceId: string, id: string, patch: Partial<WebhookRow>) =>
      ex.updateTable('webhooks').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** Disables a subscription unless it already is; true when this call did. */
    async disable(ex: Ex, workspaceId: string, id: string, reason: string, at: string): Promise<boolean> {
      const r = await ex
        .updateTable('webhooks')
        .set({ enabled: 0, disabled_reason: reason, disabled_at: at, updated_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('enabled', '=', 1)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async delete(ex: Ex, workspaceId: string, id: string): Promise<boolean> {
      await ex.deleteFrom('webhook_deliveries').where('workspace_id', '=', workspaceId).where('webhook_id', '=', id).execute();
      const r = await ex.deleteFrom('webhooks').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },

    insertDeliveries: async (ex: Ex, rows: WebhookDeliveryRow[]) => {
      for (let i = 0; i < rows.length; i += 200)
        await ex
          .insertInto('webhook_deliveries')
          .values(rows.slice(i, i + 200))
          .execute();
    },
    getDelivery: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('webhook_deliveries').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    updateDelivery: (ex: Ex, workspaceId: string, id: string, patch: Partial<WebhookDeliveryRow>) =>
      ex.updateTable('webhook_deliveries').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** One page of a subscription's deliveries, newest first, after the cursor's id. */
    listDeliveries(ex: Ex, workspaceId: string, webhookId: string, q: { limit: number; beforeId?: string | undefined; status?: string | undefined }) {
      let query = ex
        .selectFrom('webhook_deliveries')
        .select([
          'workspace_id',
          'id',
          'webhook_id',
          'message_id',
          'event_type',
          'status',
          'manual',
          'redelivery_of',
          'attempts',
          'next_attempt_at',
          'last_attempt_at',
          'last_status',
          'last_response',
          'last_error',
          'last_duration_ms',
          'created_at',
          'updated_at',
          'delivered_at',
        ])
        .where('workspace_id', '=', workspaceId)
        .where('webhook_id', '=', webhookId);
      if (q.beforeId) query = query.where('id', '<', q.beforeId);
      if (q.status) query = query.where('status', '=', q.status);
      return query
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
    },
    async countPendingManual(ex: Ex, workspaceId: string, webhookId: string): Promise<number> {
      const r = await ex
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('webhook_id', '=', webhookId)
        .where('status', '=', 'pending')
        .where('manual', '=', 1)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Pending deliveries of a subscription that was disabled or deleted stop waiting. */
    failPending: (ex: Ex, workspaceId: string, webhookId: string, error: string, at: string) =>
      ex
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', next_attempt_at: null, last_error: error, updated_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('webhook_id', '=', webhookId)
        .where('status', '=', 'pending')
        .execute(),
    /** GDPR erasure: deliveries whose body names any of these ids; returns how many went. */
    async eraseMentions(ex: Ex, workspaceId: string, needles: string[], keepTypes: readonly string[]): Promise<number> {
      let removed = 0;
      for (let i = 0; i < needles.length; i += 50) {
        const part = needles.slice(i, i + 50).filter((n) => n.length >= 3);
        if (part.length === 0) continue;
        let q = ex.deleteFrom('webhook_deliveries').where('workspace_id', '=', workspaceId);
        if (keepTypes.length > 0) q = q.where('event_type', 'not in', [...keepTypes]);
        // Substring match on both engines: position of the needle in the body, 0 when absent.
        const r = await q
          .where((eb) => eb.or(part.map((n) => eb(sql<number>`length(payload) - length(replace(payload, ${n}, ''))`, '>', 0))))
          .executeTakeFirst();
        removed += Number(r.numDeletedRows);
      }
      return removed;
    },
    /** Retention: finished deliveries created before `before`, in bounded chunks. */
    async prune(ex: Ex, before: string, chunk = 5_000): Promise<number> {
      const r = await ex
        .deleteFrom('webhook_deliveries')
        .where((eb) =>
          eb(
            eb.refTuple('workspace_id', 'id'),
            'in',
            eb
              .selectFrom('webhook_deliveries')
              .select(['workspace_id', 'id'])
              .where('created_at', '<', before)
              .where('status', '<>', 'pending')
              .limit(chunk)
              .$asTuple('workspace_id', 'id'),
          ),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type WebhooksStore = ReturnType<typeof createWebhooksStore>;
