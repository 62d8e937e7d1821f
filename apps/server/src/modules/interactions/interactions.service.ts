// Appending interactions: service events are written in the same transaction as the change.
// Appended interactions without a touchpoint are classified by the workspace's rules and move
// the customer's journey stage, like ingested ones.
import type { Clock } from '../../platform/clock.js';
import type { DomainEvents } from '../../platform/domain-events.js';
import { announceInteractions } from './interaction-events.js';
import type { Db, Tx } from '../../platform/db/database.js';
import type { InteractionRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import type { InteractionsStore } from './interactions.store.js';
import type { JourneyService } from '../journeys/journey.service.js';
import type { Classifier } from '../touchpoints/touchpoint-match.js';
import { pathOf } from '../touchpoints/touchpoints.service.js';

export type NewInteraction = {
  workspaceId: string;
  customerId: string;
  kind: string;
  name: string;
  channel: string | null;
  origin: 'customer' | 'company' | 'system';
  sourceId: string;
  conversationId?: string | null;
  touchpointId?: string | null;
  stage?: string | null;
  department?: string | null;
  occurredAt?: string;
  properties?: Record<string, unknown>;
};

type Spine = { classifierFor(ex: Tx | Db, workspaceId: string): Promise<Classifier>; journey: JourneyService };

export function createInteractionsService(deps: { store: InteractionsStore; clock: Clock; events: DomainEvents } & Spine) {
  const { store, clock } = deps;
  const spine: Spine = deps;
  return {
    listByCustomers: (workspaceId: string, customerIds: string[]) => store.listByCustomers(workspaceId, customerIds),
    /** The analyser's reading on a message's timeline interaction: its score, and its strongest signal or its label. */
    byIds: store.byIds,
    anyAfter: store.anyAfter,
    setSentiment: (tx: Tx, workspaceId: string, sourceId: string, sentiment: number, emotion: string) =>
      store.setSentiment(tx, workspaceId, sourceId, sentiment, emotion),
    /** A survey response answered again (one response per send): its properties and comment's sentiment. */
    setAnswer: (tx: Tx, workspaceId: string, sourceId: string, properties: Record<string, unknown>, sentiment: number | null, emotion: string | null) =>
      store.setAnswer(tx, workspaceId, sourceId, JSON.stringify(properties), sentiment, emotion),
    pageOfClassifiable: (workspaceId: string, afterId: string | null, limit: number) => store.pageOfClassifiable(workspaceId, afterId, limit),
    setClassification: (tx: Tx, workspaceId: string, ids: string[], c: { touchpoint_id: string | null; stage: string | null; department: string | null }) =>
      store.setClassification(tx, workspaceId, ids, c),
    eraseByCustomers: (tx: Tx, workspaceId: string, customerIds: string[]) => store.eraseByCustomers(tx, workspaceId, customerIds),
    /** This table's part of a customer merge. */
    reassign: store.reassign,
    // The customer 360's reads: activity counts, first and last seen, the timeline.
    countsBy: store.countsBy,
    seen: store.seen,
    timeline: store.timeline,
    async append(tx: Tx, items: NewInteraction[]): Promise<InteractionRow[]> {
      const now = clock.nowIso();
      const rows: InteractionRow[] = [];
      for (const i of items) {
        const properties = i.properties ?? {};
        let touchpointId = i.touchpointId ?? null;
        let stage = i.stage ?? null;
        let department = i.department ?? null;
        {
          const classifier = await spine.classifierFor(tx, i.workspaceId);
          const tp = touchpointId ? classifier.touchpoints.find((t) => t.id === touchpointId) : undefined;
          const c = tp
            ? { touchpointId: tp.id, stage: tp.stage, department: tp.department }
            : classifier.classify({ kind: i.kind, name: i.name, channel: i.channel, path: pathOf(properties), properties });
          if (c) {
            touchpointId = c.touchpointId;
            stage = stage ?? c.stage;
            department = department ?? c.department;
          }
        }
        rows.push({
          workspace_id: i.workspaceId,
          id: newId('interaction'),
          customer_id: i.customerId,
          occurred_at: i.occurredAt ?? now,
          received_at: now,
          kind: i.kind,
          name: i.name,
          channel: i.channel,
          touchpoint_id: touchpointId,
          stage,
          department,
          origin: i.origin,
          conversation_id: i.conversationId ?? null,
          sentiment: null,
          emotion: null,
          source_id: i.sourceId,
          properties: JSON.stringify(properties),
        });
      }
      await store.append(tx, rows);
      await announceInteractions(deps.events, tx, rows);
      {
        const byWorkspace = new Map<string, InteractionRow[]>();
        for (const r of rows) byWorkspace.set(r.workspace_id, [...(byWorkspace.get(r.workspace_id) ?? []), r]);
        for (const [workspaceId, list] of byWorkspace) {
          await spine.journey.track(
            tx,
            workspaceId,
            (await spine.classifierFor(tx, workspaceId)).stages,
            list.map((r) => ({ customerId: r.customer_id, stage: r.stage, occurredAt: r.occurred_at, sourceId: r.source_id, kind: r.kind })),
          );
        }
      }
      return rows;
    },
    moveConversation: (tx: Tx, workspaceId: string, from: string, to: string) => store.moveConversation(tx, workspaceId, from, to),
  };
}
export type InteractionsService = ReturnType<typeof createInteractionsService>;
