// Keeps the TanStack Query caches in step with the live stream, without reloads.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { LiveClientMessage, LiveEvent } from '@rapport/contracts';
import { keys } from '../api/queries';
import type { Conversation, Message } from '../api/types';
import { patchLists, refreshLists } from './lists';
import { applyPresence, clearPresence, stopTyping } from './presence';
import { LiveStream, type LiveStatus } from './stream';

type LiveContext = { status: LiveStatus; send(message: LiveClientMessage): void };
const Ctx = createContext<LiveContext>({ status: 'connecting', send: () => undefined });

export const useLive = () => useContext(Ctx);

type EventData = {
  conversation?: Partial<Conversation> & { id?: string };
  message?: Partial<Message> & { conversationId?: string; authorId?: string | null };
  /** message.scored names its conversation at the top level. */
  conversationId?: string;
};
function dataOf(v: unknown): EventData {
  return typeof v === 'object' && v !== null ? (v as EventData) : {};
}

type DeliveryData = { messageId: string; conversationId?: string; status: NonNullable<Message['delivery']>['status']; error: string | null; attempts: number };
const DELIVERY_STATUSES: readonly string[] = ['queued', 'sent', 'delivered', 'failed'];
/** A message.delivery_updated payload (contracts' events.ts), or null when it is not one. */
function deliveryOf(v: unknown): DeliveryData | null {
  if (typeof v !== 'object' || v === null) return null;
  const d = v as Partial<Record<keyof DeliveryData, unknown>>;
  if (typeof d.messageId !== 'string' || typeof d.status !== 'string' || !DELIVERY_STATUSES.includes(d.status)) return null;
  return v as DeliveryData;
}

/** Lists and open timelines are refreshed at most every 250 ms under a burst of events. */
function listRefresher(qc: QueryClient) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      refreshLists(qc).catch(() => qc.invalidateQueries({ queryKey: [...keys.conversations, 'list'] }));
      // Service events land on the customer's timeline too.
      void qc.invalidateQueries({ queryKey: ['timeline'] });
    }, 250);
  };
}

/**
 * Stream events are the log's domain events (their payloads are the versioned shapes in
 * contracts' events.ts, not the API's): each one refetches what it changed, and list refreshes
 * are batched.
 */
export function applyEvent(qc: QueryClient, event: LiveEvent, refreshLists: () => void) {
  const data = dataOf(event.data);
  if (event.type === 'message.created') {
    const conversationId = event.conversationId ?? data.message?.conversationId;
    if (!conversationId) return;
    if (data.message?.authorId) stopTyping(conversationId, data.message.authorId);
    void qc.invalidateQueries({ queryKey: keys.messages(conversationId) });
    void qc.invalidateQueries({ queryKey: keys.conversation(conversationId) });
    refreshLists();
    return;
  }
  if (event.type === 'message.delivery_updated') {
    const d = deliveryOf(event.data);
    const conversationId = event.conversationId ?? d?.conversationId;
    if (!d || !conversationId) return;
    // Patched at once (the icon changes without a round trip), then refetched for the exact row.
    qc.setQueryData<Message[]>(keys.messages(conversationId), (list) =>
      list?.map((m) => (m.id === d.messageId ? { ...m, delivery: { status: d.status, error: d.error, attempts: d.attempts, updatedAt: event.at } } : m)),
    );
    void qc.invalidateQueries({ queryKey: keys.messages(conversationId) });
    return;
  }
  if (event.type === 'message.scored') {
    // The analyser read a customer message: its sentiment, and the customer's feeling in rows and the 360.
    const conversationId = event.conversationId ?? data.conversationId;
    if (conversationId) {
      void qc.invalidateQueries({ queryKey: keys.messages(conversationId) });
      void qc.invalidateQueries({ queryKey: keys.conversation(conversationId) });
    }
    void qc.invalidateQueries({ queryKey: ['customers'] });
    refreshLists();
    return;
  }
  const id = event.conversationId;
  if (event.type.startsWith('sla.') && id) {
    // A warning or a breach: the conversation's SLA and the inbox's due column change.
    void qc.invalidateQueries({ queryKey: keys.conversation(id) });
    refreshLists();
    return;
  }
  if (event.type.startsWith('conversation.') && id) {
    const state = data.conversation;
    if (state && state.id === id) {
      // The event's columns (not the customer, which it names by id only) patch rows at once.
      const { customerId: _customer, ...patch } = state as Partial<Conversation> & { customerId?: string };
      patchLists(qc, id, patch);
    }
    void qc.invalidateQueries({ queryKey: keys.conversation(id) });
    if (event.type === 'conversation.merged') void qc.invalidateQueries({ queryKey: keys.messages(id) });
    refreshLists();
    return;
  }
  if (event.type.startsWith('customer.')) {
    void qc.invalidateQueries({ queryKey: ['customers'] });
    void qc.invalidateQueries({ queryKey: ['timeline'] });
    return;
  }
  if (event.type === 'presence.changed' || event.type.startsWith('member.') || event.type.startsWith('team.'))
    void qc.invalidateQueries({ queryKey: keys.members });
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const stream = useMemo(() => {
    const refreshLists = listRefresher(qc);
    return new LiveStream({
      onEvent: (e) => applyEvent(qc, e, refreshLists),
      onPresence: applyPresence,
      onResync: () => {
        clearPresence();
        void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'setup' });
      },
      onStatus: setStatus,
      onTrouble: () => void qc.invalidateQueries({ queryKey: keys.me }),
    });
  }, [qc]);
  useEffect(() => {
    stream.start();
    return () => stream.stop();
  }, [stream]);
  const value = useMemo(() => ({ status, send: (m: LiveClientMessage) => stream.send(m) }), [status, stream]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
