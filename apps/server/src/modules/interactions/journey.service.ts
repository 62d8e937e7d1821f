// Journey stage: a customer's current stage is the stage of their newest classified
// interaction; every change is itself appended as a 'stage_changed' interaction.
import type { Clock } from '../../platform/clock.js';
import type { Db, Tx } from '../../platform/db/database.js';
import type { CustomerJourneyRow, InteractionRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { JourneyStore } from './journey.store.js';

export type StagedItem = { customerId: string; stage: string | null; occurredAt: string; sourceId: string; kind: string };

export function createJourneyService(deps: { store: JourneyStore; clock: Clock }) {
  const { store, clock } = deps;

  function changeRow(workspaceId: string, customerId: string, from: string | null, to: string, at: string, cause: string): InteractionRow {
    return {
      workspace_id: workspaceId,
      id: newId('interaction'),
      customer_id: customerId,
      occurred_at: at,
      received_at: clock.nowIso(),
      kind: 'stage_changed',
      name: 'Stage Changed',
      channel: null,
      touchpoint_id: null,
      stage: to,
      department: null,
      origin: 'system',
      conversation_id: null,
      sentiment: null,
      emotion: null,
      source_id: `stage:${cause}`,
      properties: JSON.stringify({ from, to, cause }),
    };
  }

  return {
    /** Applies newly stored interactions to their customers' stages, inside the caller's transaction. */
    async track(tx: Tx | Db, workspaceId: string, items: StagedItem[]): Promise<number> {
      const latest = new Map<string, StagedItem>();
      for (const item of items) {
        if (!item.stage || item.kind === 'stage_changed') continue;
        const prev = latest.get(item.customerId);
        if (!prev || item.occurredAt >= prev.occurredAt) latest.set(item.customerId, item);
      }
      if (latest.size === 0) return 0;
      const current = new Map((await store.getMany(tx, workspaceId, [...latest.keys()])).map((r) => [r.customer_id, r]));
      const now = clock.nowIso();
      const upserts: CustomerJourneyRow[] = [];
      const changes: InteractionRow[] = [];
      for (const [customerId, item] of [...latest.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const stage = item.stage ?? '';
        const cur = current.get(customerId);
        if (cur && (cur.stage === stage || item.occurredAt < cur.stage_at)) continue;
        upserts.push({ workspace_id: workspaceId, customer_id: customerId, stage, stage_at: item.occurredAt, updated_at: now });
        changes.push(changeRow(workspaceId, customerId, cur?.stage ?? null, stage, item.occurredAt, item.sourceId));
      }
      await store.upsert(tx, upserts);
      await store.appendChanges(tx, changes);
      return changes.length;
    },

    /** Recomputes stages from scratch for some customers (after reclassification). */
    async recompute(tx: Tx | Db, workspaceId: string, customerIds: string[], cause: string): Promise<void> {
      const current = new Map((await store.getMany(tx, workspaceId, customerIds)).map((r) => [r.customer_id, r]));
      const now = clock.nowIso();
      for (const customerId of customerIds) {
        const latest = await store.latestStaged(tx, workspaceId, customerId);
        const cur = current.get(customerId);
        if (!latest?.stage || cur?.stage === latest.stage) continue;
        await store.upsert(tx, [{ workspace_id: workspaceId, customer_id: customerId, stage: latest.stage, stage_at: latest.occurred_at, updated_at: now }]);
        await store.appendChanges(tx, [changeRow(workspaceId, customerId, cur?.stage ?? null, latest.stage, latest.occurred_at, `${cause}:${customerId}`)]);
      }
    },

    async current(workspaceId: string, customerId: string) {
      return (await store.getMany(store.db, workspaceId, [customerId]))[0] ?? null;
    },

    async history(workspaceId: string, customerId: string) {
      const rows = await store.history(workspaceId, customerId);
      return rows.map((r) => {
        const from = parseJsonObject(r.properties).from;
        return { stage: r.stage ?? '', from: typeof from === 'string' ? from : null, at: r.occurred_at };
      });
    },
  };
}
export type JourneyService = ReturnType<typeof createJourneyService>;
