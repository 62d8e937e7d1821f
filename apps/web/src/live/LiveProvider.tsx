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

function isConversation(v: unknown): v is Conversation {
  return typeof v === 'object' && v !== null && 'id' in v && 'number' in v && 'status' in v && 'customer' in v;
}
function isMessage(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && 'id' in v && 'conversationId' in v && 'kind' in v && 'body' in v;
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

export function applyEvent(qc: QueryClient, event: LiveEvent, refreshLists: () => void) {
  const id = event.conversationId;
  if (event.type === 'message.created' && isMessage(event.data)) {
    const message = event.data;
    if (message.author.id) stopTyping(message.conversationId, message.author.id);
    qc.setQueryData<Message[]>(keys.messages(message.conversationId), (prev) => (prev && !prev.some((m) => m.id === message.id) ? [...prev, message] : prev));
    void qc.invalidateQueries({ queryKey: keys.conversation(message.conversationId) });
    refreshLists();
    return;
  }
  if (event.type.startsWith('conversation.') && id) {
    if (isConversation(event.data)) {
      const c = event.data;
      qc.setQueryData(keys.conversation(id), c);
      // Patch rows in place right away (or drop them from views they left); the refresh brings arrivals.
      patchLists(qc, c);
    } else {
      void qc.invalidateQueries({ queryKey: keys.conversation(id) });
    }
    if (event.type === 'conversation.merged') void qc.invalidateQueries({ queryKey: keys.messages(id) });
    refreshLists();
    return;
  }
  if (event.type === 'presence.changed') void qc.invalidateQueries({ queryKey: keys.members });
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
