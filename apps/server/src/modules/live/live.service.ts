// The live stream behind /api/v1/stream, a tail of the domain-events log: what it pushes and what
// a reconnecting client catches up on are the same log entries (no ring in memory), fanned out to
// each connection by what its role may see. It also relays who is viewing or typing a
// conversation, and ephemeral bus signals (availability) that are not in the log.
import { type LiveClientMessage, type LiveEvent, type LiveHello, type LivePresence, type LiveServerMessage } from '@rapport/contracts';
import { conversationScope, isInScope, type AuthContext } from '../../platform/access.js';
import { AUTH_CHANGED } from '../../platform/auth.js';
import type { Bus, BusEvent } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import { toEnvelope } from '../../platform/domain-events.js';
import { cursorOf, positionOf, type LogTail } from '../../platform/log-tail.js';
import type { LogEntry } from '../../platform/log.store.js';
import type { ConversationsService } from '../conversations/conversations.service.js';

type Stored = { event: Pick<BusEvent, 'workspaceId' | 'conversation'>; message: LiveEvent };

/** Bus signals that are not state in the log, pushed as they come and never replayed. */
const EPHEMERAL = new Set(['presence.changed']);
/** More missed than this and a reconnecting client refetches instead. */
export const MAX_REPLAY = 2_000;

function toStored(e: LogEntry): Stored {
  const env = toEnvelope(e);
  const conversation = env.scope.conversation;
  const data = env.data as { conversation?: { id?: string }; message?: { conversationId?: string }; conversationId?: string } | null;
  const conversationId = conversation?.id ?? data?.conversation?.id ?? data?.message?.conversationId ?? data?.conversationId ?? null;
  return {
    event: { workspaceId: e.workspace_id, ...(conversation ? { conversation } : {}) },
    message: {
      kind: 'event',
      cursor: cursorOf({ tx: e.tx, seq: e.seq }),
      type: env.type,
      conversationId,
      internal: env.scope.internal === true,
      data: env.data,
      at: env.occurredAt,
    },
  };
}

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
  /** The domain-events log, read by this process from its head (see platform/log-tail.ts). */
  tail: LogTail;
  reverifyMs?: number;
}) {
  const { bus, clock, conversations, tail } = deps;
  // A long-lived socket must not outlive a revoked membership or a partner's team change.
  const reverifyMs = deps.reverifyMs ?? 60_000;
  const subscribers = new Set<Subscriber>();

  const unsubscribeTail = tail.subscribe((entries) => {
    for (const e of entries) {
      const stored = toStored(e);
      for (const s of subscribers) deliver(s, stored);
    }
  });

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
    if (EPHEMERAL.has(event.type)) {
      const message: LiveEvent = { kind: 'event', cursor: null, type: event.type, conversationId: null, internal: false, data: event.data, at: clock.nowIso() };
      for (const s of subscribers) deliver(s, { event, message });
      return;
    }
    // Anything else on the bus follows a commit: the log has something new to read.
    void tail.poke();
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

  /**
   * A replay reaches back in time: an event's team is the one its conversation had then. A
   * partner gets only events of conversations it may see now (moved to another team: gone).
   */
  async function visibleNow(auth: AuthContext, stored: Stored[]): Promise<Stored[]> {
    if (conversationScope(auth).kind === 'all') return stored;
    const ids = [...new Set(stored.map((s) => s.event.conversation?.id).filter((id): id is string => id !== undefined))];
    const visible = new Set<string>();
    for (const id of ids) {
      const seen = await conversations.get(auth, id).then(
        () => true,
        () => false,
      );
      if (seen) visible.add(id);
    }
    return stored.filter((s) => s.event.conversation !== undefined && visible.has(s.event.conversation.id));
  }

  return {
    get connections() {
      return subscribers.size;
    },

    /** Members of the workspace with a stream open in this process (the chat widget's "is anyone there?"). */
    agentsOnline(workspaceId: string): number {
      const users = new Set<string>();
      for (const s of subscribers) if (s.auth.workspaceId === workspaceId) users.add(s.auth.userId);
      return users.size;
    },

    /**
     * Adds a connection. With a cursor it first replays, from the log, what the client missed
     * (what its role may see), then goes live; events arriving meanwhile wait and are sent after
     * the replay, none twice. Returns how to hand it the client's messages and how to remove it.
     */
    async connect(conn: LiveConnection, resume: { cursor?: string | undefined }): Promise<LiveSession> {
      const sub: Subscriber = {
        ...conn,
        viewing: new Map(),
        verifiedAt: clock.nowMs(),
        held: [],
        isStale: false,
        settled: Promise.resolve(),
        release: () => undefined,
      };
      sub.settled = new Promise((resolve) => {
        sub.release = resolve;
      });
      // Live delivery is held from here on, so nothing falls between the replay and it.
      subscribers.add(sub);
      let replay: Stored[] = [];
      let resync = false;
      const start = tail.position;
      if (resume.cursor !== undefined) {
        const from = positionOf(resume.cursor);
        const missed = from ? await tail.since(conn.auth.workspaceId, from, MAX_REPLAY).catch(() => null) : null;
        if (missed)
          replay = await visibleNow(
            conn.auth,
            missed.map(toStored).filter((s) => canReceive(conn.auth, s.event)),
          );
        else resync = true;
      }
      const hello: LiveHello = { kind: 'hello', cursor: cursorOf(start), resync, replayed: replay.length, userId: conn.auth.userId };
      conn.send(hello);
      for (const s of replay) conn.send(s.message);
      const last = replay.length > 0 ? (replay[replay.length - 1] as Stored).message.cursor : null;
      const held = sub.held ?? [];
      sub.held = null;
      sub.release();
      if (subscribers.has(sub)) {
        for (const s of held) if ((last === null || s.message.cursor === null || s.message.cursor > last) && canReceive(sub.auth, s.event)) sub.send(s.message);
        // Who is already viewing what it may see (the inbox shows it on each row).
        for (const s of subscribers) {
          if (s === sub || s.auth.workspaceId !== sub.auth.workspaceId || s.auth.userId === sub.auth.userId) continue;
          for (const [conversationId, teamId] of s.viewing)
            if (canReceive(sub.auth, { workspaceId: s.auth.workspaceId, conversation: { id: conversationId, teamId } }))
              sub.send(presence(s, 'presence.viewing', conversationId));
        }
        // Credentials changed while it connected: prove them again now.
        if (sub.isStale) reverify(sub, [], true);
      }
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
      unsubscribeTail();
      subscribers.clear();
    },
  };
}
