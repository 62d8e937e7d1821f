// Domain events: typed appends to the domain_events log inside the transaction of the change
// (packages/contracts/src/events.ts holds the schemas). Consumers read them through platform/logs;
// `toEnvelope` is the shape they (and webhooks, later) see.
import { cursorOf } from './log-tail.js';
import { DOMAIN_EVENT_VERSION, type DomainEventData, type DomainEventEnvelope, type DomainEventType } from '@rapport/contracts';
import type { Tx } from './db/database.js';
import { whenCommitting } from './db/transactions.js';
import type { LogEntry, Logs, NewLogEntry } from './logs.js';

/** What the live stream needs to filter an event by role (partners see their teams only; notes are internal). */
export type EventScope = { conversation?: { id: string; teamId: string | null }; internal?: boolean };

export type NewDomainEvent = { [T in DomainEventType]: { type: T; data: DomainEventData<T>; scope?: EventScope } }[DomainEventType];

export function createDomainEvents(deps: { logs: Logs }) {
  /** Events emitted in a transaction of `run`, appended together as it commits. */
  const pending = new WeakMap<Tx, NewLogEntry[]>();
  return {
    /**
     * Appends events of one workspace in the caller's transaction. In a transaction opened by
     * `transactions.run` they are written as it commits, all its events in one statement (a
     * conversation's creation emits for its customer, itself, its first message and interactions).
     */
    async emit(tx: Tx, workspaceId: string, events: NewDomainEvent[]) {
      const entries: NewLogEntry[] = events.map((e) => ({
        workspaceId,
        type: e.type,
        meta: { version: DOMAIN_EVENT_VERSION, ...(e.scope ?? {}) },
        data: e.data,
      }));
      if (entries.length === 0) return;
      const queued = pending.get(tx);
      if (queued) {
        queued.push(...entries);
        return;
      }
      const flush = async () => {
        const all = pending.get(tx) ?? [];
        pending.delete(tx);
        await deps.logs.append(tx, 'domain_events', all);
      };
      if (whenCommitting(tx, flush)) pending.set(tx, entries);
      else await deps.logs.append(tx, 'domain_events', entries);
    },
  };
}
export type DomainEvents = ReturnType<typeof createDomainEvents>;

export function toEnvelope(e: LogEntry): DomainEventEnvelope & { scope: EventScope } {
  const meta = (e.meta ? JSON.parse(e.meta) : {}) as EventScope & { version?: number };
  return {
    // The stream's cursor: one spelling of a log position everywhere.
    id: `evt_${cursorOf(e)}`,
    type: e.type as DomainEventType,
    version: DOMAIN_EVENT_VERSION,
    workspaceId: e.workspace_id,
    occurredAt: e.created_at,
    data: JSON.parse(e.data) as unknown,
    scope: { ...(meta.conversation ? { conversation: meta.conversation } : {}), ...(meta.internal ? { internal: true } : {}) },
  };
}
