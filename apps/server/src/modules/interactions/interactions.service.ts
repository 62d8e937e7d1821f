// Appending interactions: service events are written in the same transaction as the change.
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { InteractionsStore } from './interactions.store.js';

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

export function createInteractionsService(deps: { store: InteractionsStore; clock: Clock }) {
  const { store, clock } = deps;
  return {
    async append(tx: Tx, items: NewInteraction[]) {
      const now = clock.nowIso();
      await store.append(
        tx,
        items.map((i) => ({
          workspace_id: i.workspaceId,
          id: newId('interaction'),
          customer_id: i.customerId,
          occurred_at: i.occurredAt ?? now,
          received_at: now,
          kind: i.kind,
          name: i.name,
          channel: i.channel,
          touchpoint_id: i.touchpointId ?? null,
          stage: i.stage ?? null,
          department: i.department ?? null,
          origin: i.origin,
          conversation_id: i.conversationId ?? null,
          sentiment: null,
          emotion: null,
          source_id: i.sourceId,
          properties: JSON.stringify(i.properties ?? {}),
        })),
      );
    },
    moveConversation: (tx: Tx, workspaceId: string, from: string, to: string) => store.moveConversation(tx, workspaceId, from, to),
  };
}
export type InteractionsService = ReturnType<typeof createInteractionsService>;
