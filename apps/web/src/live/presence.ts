// Who else is viewing or typing in a conversation: a tiny store fed by the live stream.
import { useSyncExternalStore } from 'react';
import type { LivePresence } from '@rapport/contracts';

export type Viewer = { userId: string; userName: string; typingUntil: number; seenAt: number };

const VIEWING_TTL_MS = 60_000;
const TYPING_TTL_MS = 5_000;

let state = new Map<string, Map<string, Viewer>>();
const listeners = new Set<() => void>();

function emit() {
  state = new Map(state);
  for (const l of listeners) l();
}

export function applyPresence(p: LivePresence, now = Date.now()) {
  const viewers = new Map(state.get(p.conversationId) ?? []);
  if (p.type === 'presence.left') viewers.delete(p.userId);
  else {
    const prev = viewers.get(p.userId);
    viewers.set(p.userId, {
      userId: p.userId,
      userName: p.userName,
      seenAt: now,
      typingUntil: p.type === 'presence.typing' ? now + TYPING_TTL_MS : (prev?.typingUntil ?? 0),
    });
  }
  state.set(p.conversationId, viewers);
  emit();
  if (p.type === 'presence.typing') setTimeout(emit, TYPING_TTL_MS + 50);
}

/** A message from someone ends their "typing…". */
export function stopTyping(conversationId: string, userId: string) {
  const viewer = state.get(conversationId)?.get(userId);
  if (!viewer || viewer.typingUntil === 0) return;
  const viewers = new Map(state.get(conversationId));
  viewers.set(userId, { ...viewer, typingUntil: 0 });
  state.set(conversationId, viewers);
  emit();
}

export function clearPresence() {
  state = new Map();
  emit();
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

export function useViewers(conversationId: string, selfId: string | undefined): Viewer[] {
  const map = useSyncExternalStore(subscribe, () => state);
  const now = Date.now();
  return [...(map.get(conversationId)?.values() ?? [])].filter((v) => v.userId !== selfId && now - v.seenAt < VIEWING_TTL_MS);
}

/** Every conversation someone else is viewing now, with their names (the inbox rows show them). */
export function useViewersByConversation(selfId: string | undefined): ReadonlyMap<string, string> {
  const map = useSyncExternalStore(subscribe, () => state);
  const now = Date.now();
  const out = new Map<string, string>();
  for (const [conversationId, viewers] of map) {
    const names = [...viewers.values()].filter((v) => v.userId !== selfId && now - v.seenAt < VIEWING_TTL_MS).map((v) => v.userName);
    if (names.length > 0) out.set(conversationId, names.join(', '));
  }
  return out;
}
