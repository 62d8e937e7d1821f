// Journey stage: derived from a customer's classified interactions. The stage moves forward
// along the workspace's ordered stages; it moves back to an earlier stage only when the current
// one was entered more than RESTART_MS before (a new cycle, e.g. a repeat purchase), so browsing
// the pricing page after checkout does not flip the journey back and forth. Every change is
// itself appended as a 'stage_changed' interaction.
import type { Transactions } from '../../platform/db/transactions.js';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { CustomerJourneyRow, InteractionRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { InteractionsLog } from '../interactions/log.service.js';
import type { JourneyStore } from './journey.store.js';

export const RESTART_MS = 30 * 24 * 60 * 60 * 1000;

/** Whether a customer in stage `cur` (entered at `curAt`) moves to `next` seen at `nextAt`. */
export function movesTo(order: readonly string[], cur: { stage: string; at: string } | null, next: string, nextAt: string): boolean {
  if (!cur) return true;
  if (cur.stage === next || nextAt < cur.at) return false;
  const from = order.indexOf(cur.stage);
  const to = order.indexOf(next);
  if (to > from) return true;
  return Date.parse(nextAt) - Date.parse(cur.at) > RESTART_MS;
}

export type StagedItem = { customerId: string; stage: string | null; occurredAt: string; sourceId: string; kind: string };

export function createJourneyService(deps: { store: JourneyStore; transactions: Transactions; clock: Clock; log: InteractionsLog }) {
  const { store, clock, log } = deps;

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

  /** Rebuilds customers' stage and stage history from all their classified interactions. */
  async function replay(tx: Tx, workspaceId: string, order: readonly string[], customerIds: string[]): Promise<void> {
    const now = clock.nowIso();
    for (const customerId of customerIds) {
      let cur: { stage: string; at: string } | null = null;
      const changes: InteractionRow[] = [];
      for (const r of await log.staged(tx, workspaceId, customerId)) {
        if (!r.stage || !movesTo(order, cur, r.stage, r.occurred_at)) continue;
        changes.push(changeRow(workspaceId, customerId, cur?.stage ?? null, r.stage, r.occurred_at, r.source_id));
        cur = { stage: r.stage, at: r.occurred_at };
      }
      await log.deleteStageChanges(tx, workspaceId, customerId);
      await deps.log.insertMany(tx, changes);
      if (cur) await store.upsert(tx, [{ workspace_id: workspaceId, customer_id: customerId, stage: cur.stage, stage_at: cur.at, updated_at: now }]);
      else await store.deleteJourney(tx, workspaceId, customerId);
    }
  }

  return {
    /** A customer merge's part: each survivor keeps the stage that was reached last of its own and the merged one's. */
    async moveCustomers(tx: Tx, workspaceId: string, pairs: Array<{ from: string; to: string }>, now: string) {
      const ids = [...new Set(pairs.flatMap((p) => [p.from, p.to]))];
      const journeys = new Map((await store.takeMany(tx, workspaceId, ids)).map((j) => [j.customer_id, j]));
      const kept = new Map<string, CustomerJourneyRow>();
      for (const p of pairs) {
        const candidates = [kept.get(p.to) ?? journeys.get(p.to), journeys.get(p.from)].filter((j): j is CustomerJourneyRow => j !== undefined);
        const best = candidates.reduce<CustomerJourneyRow | null>((acc, j) => (!acc || j.stage_at > acc.stage_at ? j : acc), null);
        if (best) kept.set(p.to, { ...best, customer_id: p.to, updated_at: now });
      }
      await store.insertMany(tx, [...kept.values()]);
    },
    /** GDPR erasure: forgets the customers' stages. */
    eraseByCustomers: (tx: Tx, workspaceId: string, customerIds: string[]) => store.eraseByCustomers(tx, workspaceId, customerIds),
    /**
     * Applies newly stored interactions to their customers' stages, inside the caller's
     * transaction. Interactions in time order extend the history; a customer who receives one
     * older than their current stage (late or imported data) has the whole history replayed.
     */
    async track(tx: Tx, workspaceId: string, order: readonly string[], items: StagedItem[]): Promise<number> {
      const byCustomer = new Map<string, StagedItem[]>();
      for (const item of items) {
        if (!item.stage || item.kind === 'stage_changed') continue;
        const list = byCustomer.get(item.customerId);
        if (list) list.push(item);
        else byCustomer.set(item.customerId, [item]);
      }
      if (byCustomer.size === 0) return 0;
      const current = new Map((await store.getMany(tx, workspaceId, [...byCustomer.keys()])).map((r) => [r.customer_id, r]));
      const now = clock.nowIso();
      const upserts: CustomerJourneyRow[] = [];
      const changes: InteractionRow[] = [];
      const late: string[] = [];
      for (const [customerId, list] of [...byCustomer.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const row = current.get(customerId);
        const start = row ? { stage: row.stage, at: row.stage_at } : null;
        if (start && list.some((i) => i.occurredAt < start.at)) {
          late.push(customerId);
          continue;
        }
        let cur = start;
        list.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
        for (const item of list) {
          const stage = item.stage ?? '';
          if (!movesTo(order, cur, stage, item.occurredAt)) continue;
          changes.push(changeRow(workspaceId, customerId, cur?.stage ?? null, stage, item.occurredAt, item.sourceId));
          cur = { stage, at: item.occurredAt };
        }
        if (cur && cur !== start) upserts.push({ workspace_id: workspaceId, customer_id: customerId, stage: cur.stage, stage_at: cur.at, updated_at: now });
      }
      await store.upsert(tx, upserts);
      await deps.log.insertMany(tx, changes);
      if (late.length > 0) await replay(tx, workspaceId, order, late);
      return changes.length;
    },

    replay,

    /** Customers' current stages, in the caller's transaction. */
    async stagesOf(ex: Tx, workspaceId: string, customerIds: string[]): Promise<Map<string, string>> {
      if (customerIds.length === 0) return new Map();
      return new Map((await store.getMany(ex, workspaceId, customerIds)).map((r) => [r.customer_id, r.stage]));
    },

    async current(workspaceId: string, customerId: string) {
      return (await store.getMany(deps.transactions.autocommit, workspaceId, [customerId]))[0] ?? null;
    },

    async history(workspaceId: string, customerId: string) {
      const rows = await log.stageHistory(workspaceId, customerId);
      return rows.map((r) => {
        const from = parseJsonObject(r.properties).from;
        return { stage: r.stage ?? '', from: typeof from === 'string' ? from : null, at: r.occurred_at };
      });
    },
  };
}
export type JourneyService = ReturnType<typeof createJourneyService>;
