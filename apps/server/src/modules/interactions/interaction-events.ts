// interaction.created for rows just stored (by ingest, the desk or journeys), grouped by workspace.
import type { Tx } from '../../platform/db/database.js';
import type { InteractionRow } from '../../platform/db/schema.js';
import type { DomainEvents } from '../../platform/domain-events.js';

export async function announceInteractions(events: DomainEvents, tx: Tx, rows: InteractionRow[]) {
  const byWorkspace = new Map<string, InteractionRow[]>();
  for (const r of rows) {
    const list = byWorkspace.get(r.workspace_id) ?? [];
    list.push(r);
    byWorkspace.set(r.workspace_id, list);
  }
  for (const [workspaceId, list] of byWorkspace)
    await events.emit(
      tx,
      workspaceId,
      list.map((r) => ({
        type: 'interaction.created' as const,
        data: {
          interaction: {
            id: r.id,
            customerId: r.customer_id,
            kind: r.kind,
            name: r.name,
            occurredAt: r.occurred_at,
            channel: r.channel,
            touchpointId: r.touchpoint_id,
            stage: r.stage,
            conversationId: r.conversation_id,
          },
        },
      })),
    );
}
