// Domain events: typed appends to the domain_events log inside the transaction of the change
// (packages/contracts/src/events.ts holds the schemas). Consumers read them through platform/logs;
// `toEnvelope` is the shape they (and webhooks, later) see.
import { DOMAIN_EVENT_VERSION, type DomainEventData, type DomainEventEnvelope, type DomainEventType } from '@rapport/contracts';
import type { Tx } from './db/database.js';
import type { LogEntry, Logs } from './logs.js';

/** What the live stream needs to filter an event by role (partners see their teams only; notes are internal). */
export type EventScope = { conversation?: { id: string; teamId: string | null }; internal?: boolean };

export type NewDomainEvent = { [T in DomainEventType]: { type: T; data: DomainEventData<T>; scope?: EventScope } }[DomainEventType];

export function createDomainEvents(deps: { logs: Logs }) {
  return {
    /** Appends events of one workspace in the caller's transaction. */
    async emit(tx: Tx, workspaceId: string, events: NewDomainEvent[]) {
      await deps.logs.append(
        tx,
        'domain_events',
        events.map((e) => ({ workspaceId, type: e.type, meta: { version: DOMAIN_EVENT_VERSION, ...(e.scope ?? {}) }, data: e.data })),
      );
    },
  };
}
export type DomainEvents = ReturnType<typeof createDomainEvents>;

export function toEnvelope(e: LogEntry): DomainEventEnvelope & { scope: EventScope } {
  const meta = (e.meta ? JSON.parse(e.meta) : {}) as EventScope & { version?: number };
  return {
    id: `evt_${e.tx.toString(36)}_${e.seq.toString(36)}`,
    type: e.type as DomainEventType,
    version: DOMAIN_EVENT_VERSION,
    workspaceId: e.workspace_id,
    occurredAt: e.created_at,
    data: JSON.parse(e.data) as unknown,
    scope: { ...(meta.conversation ? { conversation: meta.conversation } : {}), ...(meta.internal ? { internal: true } : {}) },
  };
}
