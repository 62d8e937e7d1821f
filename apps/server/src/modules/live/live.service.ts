// The live stream behind /api/v1/stream: numbers every bus event, keeps the last ones in a ring
// for catch-up after a reconnect, fans them out to each connection by what its role may see,
// and relays who is viewing or typing a conversation.
import { randomBytes } from 'node:crypto';
import type { LiveClientMessage, LiveEvent, LiveHello, LivePresence, LiveServerMessage } from '@rapport/contracts';
import { conversationScope, isInScope, type AuthContext } from '../../platform/access.js';
import { AUTH_CHANGED } from '../../platform/auth.js';
import type { Bus, BusEvent } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';

type Stored = { event: BusEvent; message: LiveEvent };

export type LiveConnection = {
  auth: AuthContext;
  send(message: LiveServerMessage): void;
  /** Re-reads the caller's membership (role, teams); rejects when it has ended. */
  verify(): Promise<AuthContext>;
  /** Ends the connection from the server side. */
  close(reason: string): void;
};

type Subscriber = LiveConnection & {
  /** Conversations this connection has said it is viewing, with their team for the role filter. */
  viewing: Map<string, string | null>;
  verifiedAt: number;
  /** Events held while the membership is being re-read; filtered by the fresh one. */
  held: Stored[] | null;
  /** Credentials changed again while a re-read was under way: what it read may be stale. */
  isStale: boolean;
  /** Settles when the re-read under way (if any) has settled; the client's messages wait for it. */
  settled: Promise<void>;
  release: () => void;
};

export type LiveSession = {
  receive(message: LiveClientMessage): Promise<void>;
  disconnect(): void;
};

export type LiveService = ReturnType<typeof createLiveService>;

/** May this caller receive this bus event? Tenancy first, then the partner's team scope. */
export function canReceive(auth: AuthContext, event: Pick<BusEvent, 'workspaceId' | 'conversation'>): boolean {
  if (event.workspaceId !== auth.workspaceId) return false;
  const scope = conversationScope(auth);
  if (scope.kind === 'all') return true;
  // Partners see only their teams' conversations, and nothing that is not about a conversation.
  return event.conversation !== undefined && isInScope(scope, event.conversation.teamId);
}

export function createLiveService(deps: {
  bus: Bus;
  clock: Clock;
  conversations: Pick<ConversationsService, 'get'>;
  bufferSize?: number;
  reverifyMs?: number;
}) {
  const { bus, clock, conversations } = deps;
  const capacity = deps.bufferSize ?? 2000;
  // A long-lived socket must not outlive a revoked membership or a partner's team change.
  const reverifyMs = deps.reverifyMs ?? 60_000;
  const epoch = randomBytes(6).toString('hex');
  const ring: (Stored | undefined)[] = new Array<Stored | undefined>(capacity);
  let seq = 0;
  const subscribers = new Set<Subscriber>();

  const unsubscribeBus = bus.subscribe((event) => {
    if (event.type === AUTH_CHANGED) {
      // A role, team, status or credential changed: every socket of the workspace proves itself
      // again now (after this turn, once every resolver has forgotten its cached credentials),
      // instead of keeping its old role until the next periodic check.
      setImmediate(() => {
        for (const sub of subscribers) if (event.workspaceId === '*' || sub.auth.workspaceId === event.workspaceId) reverify(sub, [], true);
      });
      return;
    }
    seq += 1;
    const message: LiveEvent = {
      kind: 'event',
      seq,
      type: event.type,
      conversationId: event.conversation?.id ?? null,
      internal: event.internal ?? false,
      data: event.data,
      at: clock.nowIso(),
    };
    const stored = { event, message };
    ring[seq % capacity] = stored;
    for (const s of subscribers) deliver(s, stored);
  });

  function deliver(sub: Subscriber, stored: Stored) {
    if (stored.event.workspaceId !== sub.auth.workspaceId) return;
    if (sub.held) {
      sub.held.push(stored);
      return;
    }
    if (clock.nowMs() - sub.verifiedAt < reverifyMs) {
      if (canReceive(sub.auth, stored.event)) sub.send(stored.message);
      return;
    }
    reverify(sub, [stored]);
  }

  /** Re-resolves the socket's credential, holding its events meanwhile; drops it when it ended. */
  function reverify(sub: Subscriber, pending: Stored[], hasChanged = false) {
    if (sub.held) {
      sub.held.push(...pending);
      // A re-read already under way may have read the membership before this change.
      if (hasChanged) sub.isStale = true;
      return;
    }
    sub.held = [...pending];
    sub.settled = new Promise((resolve) => {
      sub.release = resolve;
    });
    reread(sub);
  }

  function reread(sub: Subscriber) {
    sub.isStale = false;
    sub.verify().then(
      (auth) => {
        if (!subscribers.has(sub)) {
          drop(sub, 'disconnected');
          return;
        }
        if (sub.isStale) {
          reread(sub);
          return;
        }
        const held = sub.held ?? [];
        sub.held = null;
        sub.release();
        if (auth.workspaceId !== sub.auth.workspaceId) {
          drop(sub, 'the session switched workspace; reconnect');
          return;
        }
        sub.auth = auth;
        sub.verifiedAt = clock.nowMs();
        // Conversations it may no longer see are no longer its to announce.
        for (const [conversationId, teamId] of sub.viewing) {
          if (!isInScope(conversationScope(auth), teamId)) sub.viewing.delete(conversationId);
        }
        for (const s of held) if (canReceive(auth, s.event)) sub.send(s.message);
      },
      () => drop(sub, 'the membership or session has ended'),
    );
  }

  function drop(sub: Subscriber, reason: string) {
    sub.held = null;
    sub.release();
    if (!subscribers.delete(sub)) return;
    sub.close(reason);
    for (const [conversationId, teamId] of sub.viewing) relay(sub, presence(sub, 'presence.left', conversationId), teamId);
  }

  /** Events after `since`, or null when some of them have already left the ring. */
  function eventsSince(since: number): Stored[] | null {
    if (since > seq) return null;
    const oldest = Math.max(1, seq - capacity + 1);
    if (since + 1 < oldest) return null;
    const out: Stored[] = [];
    for (let n = since + 1; n <= seq; n += 1) {
      const stored = ring[n % capacity];
      if (stored) out.push(stored);
    }
    return out;
  }

  function presence(from: Subscriber, type: LivePresence['type'], conversationId: string): LivePresence {
    return { kind: 'presence', type, conversationId, userId: from.auth.userId, userName: from.auth.userName, at: clock.nowIso() };
  }

  function relay(from: Subscriber, message: LivePresence, teamId: string | null) {
    for (const s of subscribers) {
      // A socket whose role is being re-read gets no presence: it may no longer be entitled to it.
      if (s === from || s.held) continue;
      if (canReceive(s.auth, { workspaceId: from.auth.workspaceId, conversation: { id: message.conversationId, teamId } })) s.send(message);
    }
  }

  /** Remember the conversation's team per connection, so typing does not read the database each keystroke. */
  async function teamOf(sub: Subscriber, conversationId: string): Promise<string | null> {
    const known = sub.viewing.get(conversationId);
    if (known !== undefined) return known;
    // Throws NOT_FOUND when the caller may not see it: presence never leaks another team's ids.
    const c = await conversations.get(sub.auth, conversationId);
    return c.teamId;
  }

  async function receive(sub: Subscriber, message: LiveClientMessage): Promise<void> {
    if (message.type === 'ping') return;
    // Act with the role the socket has now, not the one it had before a change being re-read.
    while (sub.held) await sub.settled;
    if (!subscribers.has(sub)) return;
    const { conversationId } = message;
    if (message.type === 'left') {
      const teamId = sub.viewing.get(conversationId);
      if (teamId === undefined) return;
      sub.viewing.delete(conversationId);
      relay(sub, presence(sub, 'presence.left', conversationId), teamId);
      return;
    }
    const teamId = await teamOf(sub, conversationId);
    const isNew = !sub.viewing.has(conversationId);
    sub.viewing.set(conversationId, teamId);
    relay(sub, presence(sub, message.type === 'typing' ? 'presence.typing' : 'presence.viewing', conversationId), teamId);
    if (message.type === 'viewing' && isNew) {
      // Tell the newcomer who is already there.
      for (const s of subscribers) {
        if (s !== sub && s.auth.workspaceId === sub.auth.workspaceId && s.auth.userId !== sub.auth.userId && s.viewing.has(conversationId)) {
          sub.send(presence(s, 'presence.viewing', conversationId));
        }
      }
    }
  }

  return {
    epoch,
    get seq() {
      return seq;
    },
    get connections() {
      return subscribers.size;
    },

    /**
     * Adds a connection. Replays what it missed since `since` (same epoch) before anything live,
     * or tells it to resync. Returns how to hand it the client's messages and how to remove it.
     */
    connect(conn: LiveConnection, resume: { since?: number | undefined; epoch?: string | undefined }): LiveSession {
      const sub: Subscriber = {
        ...conn,
        viewing: new Map(),
        verifiedAt: clock.nowMs(),
        held: null,
        isStale: false,
        settled: Promise.resolve(),
        release: () => undefined,
      };
      let replay: Stored[] = [];
      let resync = false;
      if (resume.since !== undefined) {
        const missed = resume.epoch === epoch ? eventsSince(resume.since) : null;
        if (missed) replay = missed.filter((s) => canReceive(conn.auth, s.event));
        else resync = true;
      }
      const hello: LiveHello = { kind: 'hello', epoch, seq, resync, replayed: replay.length, userId: conn.auth.userId };
      conn.send(hello);
      for (const s of replay) conn.send(s.message);
      subscribers.add(sub);
      return {
        receive: (message) => receive(sub, message),
        disconnect() {
          if (!subscribers.delete(sub)) return;
          for (const [conversationId, teamId] of sub.viewing) relay(sub, presence(sub, 'presence.left', conversationId), teamId);
        },
      };
    },

    close() {
      unsubscribeBus();
      subscribers.clear();
    },
  };
}
