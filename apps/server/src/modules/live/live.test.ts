import type { LiveEvent, LiveHello, LivePresence, LiveServerMessage } from '@rapport/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AuthContext } from '../../platform/access.js';
import { AUTH_CHANGED } from '../../platform/auth.js';
import { createBus } from '../../platform/bus.js';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp } from '../../test/harness.js';
import { positionOf, type LogTail } from '../../platform/log-tail.js';
import type { LogEntry, Position } from '../../platform/log.store.js';
import { partitionOf } from '../../platform/logs.js';
import { createLiveService } from './live.service.js';

/** A real WebSocket client that records everything the server sends. */
class Client {
  readonly messages: LiveServerMessage[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.messages.push(JSON.parse(String(raw)) as LiveServerMessage);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(url, { headers });
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return client;
  }
  /** Resolves with the first message (already received or to come) that matches. */
  async waitFor<T extends LiveServerMessage>(match: (m: LiveServerMessage) => m is T, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message; got ${JSON.stringify(this.messages.map((m) => ('type' in m ? m.type : m.kind)))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  events(): LiveEvent[] {
    return this.messages.filter((m): m is LiveEvent => m.kind === 'event');
  }
  send(body: unknown) {
    this.ws.send(JSON.stringify(body));
  }
  async close() {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

const isHello = (m: LiveServerMessage): m is LiveHello => m.kind === 'hello';
const isEvent =
  (type: string, conversationId?: string) =>
  (m: LiveServerMessage): m is LiveEvent =>
    m.kind === 'event' && m.type === type && (conversationId === undefined || m.conversationId === conversationId);
const isPresence =
  (type: LivePresence['type'], conversationId: string) =>
  (m: LiveServerMessage): m is LivePresence =>
    m.kind === 'presence' && m.type === type && m.conversationId === conversationId;

describe.each(engines)('live stream (%s)', (engine) => {
  let t: TestApp;
  let base: string;
  let wsBase: string;
  const clients: Client[] = [];
  const open = async (query: string, headers: Record<string, string> = {}) => {
    const c = await Client.open(`${wsBase}/api/v1/stream?${query}`, headers);
    clients.push(c);
    return c;
  };

  /** A server of its own on a fake clock (its time never moves unless the test moves it), closed with its sockets. */
  async function withOwnApp(run: (app: { clock: ReturnType<typeof createFakeClock>; ft: TestApp; wsUrl: string; mine: Client[] }) => Promise<void>) {
    const clock = createFakeClock(new Date());
    const ft = await createTestApp(engine, { clock });
    const mine: Client[] = [];
    try {
      await run({ clock, ft, wsUrl: (await ft.listen()).replace('http', 'ws'), mine });
    } finally {
      await Promise.all(mine.map((c) => c.close()));
      await ft.close();
    }
  }

  beforeAll(async () => {
    t = await createTestApp(engine);
    base = await t.listen();
    wsBase = base.replace('http', 'ws');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await t.close();
  });

  it('refuses a connection without credentials or with a bad token', async () => {
    await expect(Client.open(`${wsBase}/api/v1/stream`)).rejects.toThrow('HTTP 401');
    await expect(Client.open(`${wsBase}/api/v1/stream?token=rpt_nope`)).rejects.toThrow('HTTP 401');
    await expect(Client.open(`${wsBase}/api/v1/stream?token=garbage`)).rejects.toThrow('HTTP 401');
  });

  it('pushes the workspace events in sequence, notes flagged internal, and nothing from other workspaces', async () => {
    const ws = await newWorkspace(t);
    const agent = await newMember(t, ws, 'agent');
    const other = await newWorkspace(t, 'Other');
    const c = await open(`token=${agent.token}`);
    const hello = await c.waitFor(isHello);
    expect(hello).toMatchObject({ resync: false, replayed: 0, userId: agent.userId });
    const outsider = await open(`token=${other.token}`);
    await outsider.waitFor(isHello);

    const conv = await newConversation(t, ws.token, { subject: 'Live one' });
    const created = await c.waitFor(isEvent('conversation.created', conv.id));
    // The versioned domain event, read from the log, with its position as the cursor.
    expect(created.data).toMatchObject({ conversation: { id: conv.id, subject: 'Live one', status: 'open' } });
    expect(String(created.cursor) > hello.cursor).toBe(true);

    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Checking now', kind: 'reply' } });
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'VIP, be nice', kind: 'note' } });
    await c.waitFor(
      (m): m is LiveEvent => m.kind === 'event' && m.type === 'message.created' && (m.data as { message: { kind: string } }).message.kind === 'note',
    );
    // The customer's first message, then the reply and the note.
    const messages = c
      .events()
      .filter((e) => e.type === 'message.created' && e.conversationId === conv.id)
      .slice(-2);
    expect(messages.map((e) => [(e.data as { message: { body: string } }).message.body, e.internal])).toEqual([
      ['Checking now', false],
      ['VIP, be nice', true],
    ]);
    const cursors = c.events().map((e) => String(e.cursor));
    expect(cursors).toEqual([...cursors].sort());
    expect(new Set(cursors).size).toBe(cursors.length);

    // The other workspace's client saw none of it (a later event of its own proves it is live).
    const mine = await newConversation(t, other.token);
    await outsider.waitFor(isEvent('conversation.created', mine.id));
    const seenByOutsider = JSON.stringify(outsider.events());
    expect(seenByOutsider).not.toContain(conv.id);
    expect(seenByOutsider).not.toContain('Checking now');
    expect(
      outsider
        .events()
        .filter((e) => e.conversationId !== null)
        .every((e) => e.conversationId === mine.id),
    ).toBe(true);
  });

  it('gives a partner only its own teams’ conversation events', async () => {
    const ws = await newWorkspace(t);
    const teamA = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Outsourced', autoAssign: false } })).body.id as string;
    const teamB = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'In-house', autoAssign: false } })).body.id as string;
    const partner = await newMember(t, ws, 'partner', { teamIds: [teamA] });
    const p = await open(`token=${partner.token}`);
    await p.waitFor(isHello);

    const hidden = await newConversation(t, ws.token, { teamId: teamB, subject: 'Not yours' });
    const visible = await newConversation(t, ws.token, { teamId: teamA, subject: 'Yours' });
    await t.request('PATCH', '/api/v1/me', { token: ws.token, body: { availability: 'away' } });
    await t.request('POST', `/api/v1/conversations/${visible.id}/messages`, { token: ws.token, body: { body: 'after', kind: 'reply' } });
    await p.waitFor(isEvent('message.created', visible.id));
    expect(p.events().some((e) => e.conversationId === hidden.id)).toBe(false);
    expect(p.events().some((e) => e.type === 'presence.changed')).toBe(false);
    expect(p.events().find(isEvent('conversation.created', visible.id))).toBeDefined();
  });

  it('replays what a client missed after a reconnect from the log, and asks for a resync when it cannot', async () => {
    const ws = await newWorkspace(t);
    const first = await open(`token=${ws.token}`);
    await first.waitFor(isHello);
    const a = await newConversation(t, ws.token, { subject: 'before' });
    const seenA = await first.waitFor(isEvent('conversation.created', a.id));
    await first.close();

    const b = await newConversation(t, ws.token, { subject: 'missed 1' });
    const c = await newConversation(t, ws.token, { subject: 'missed 2' });
    const again = await open(`token=${ws.token}&cursor=${seenA.cursor}`);
    const resumed = await again.waitFor(isHello);
    expect(resumed.resync).toBe(false);
    await again.waitFor(isEvent('conversation.created', c.id));
    const created = again
      .events()
      .filter((e) => e.type === 'conversation.created')
      .map((e) => e.conversationId);
    expect(created).toEqual([b.id, c.id]);
    // Replayed from the log, then live (what the tail had not read yet at the connect), none twice.
    expect(resumed.replayed).toBeGreaterThan(0);
    expect(new Set(again.events().map((e) => e.cursor)).size).toBe(again.events().length);

    // What the log holds is what a reconnect replays: a second client from the same cursor gets the same.
    const twin = await open(`token=${ws.token}&cursor=${seenA.cursor}`);
    expect((await twin.waitFor(isHello)).resync).toBe(false);
    await twin.waitFor(isEvent('conversation.created', c.id));
    expect(twin.events().map((e) => e.cursor)).toEqual(again.events().map((e) => e.cursor));

    const future = await open(`token=${ws.token}&cursor=${'f'.repeat(32)}`);
    expect((await future.waitFor(isHello)).resync).toBe(true);
    // Retention trimmed up to the entry the client last saw: nothing after it is missing.
    const seen = positionOf(String(seenA.cursor)) as Position;
    await t.rapport.logs.store.trim('domain_events', partitionOf(ws.workspaceId), seen, '9999');
    const exact = await open(`token=${ws.token}&cursor=${seenA.cursor}`);
    expect((await exact.waitFor(isHello)).resync).toBe(false);
    // Retention trimmed past it (some of what it missed is gone): it must refetch.
    const ofB = again.events().find(isEvent('conversation.created', b.id));
    await t.rapport.logs.store.trim('domain_events', partitionOf(ws.workspaceId), positionOf(String(ofB?.cursor)) as Position, '9999');
    const late = await open(`token=${ws.token}&cursor=${seenA.cursor}`);
    expect((await late.waitFor(isHello)).resync).toBe(true);
    expect(await Client.open(`${wsBase}/api/v1/stream?token=${ws.token}&cursor=not-a-cursor`).catch((e: Error) => e.message)).toBe('HTTP 400');
  });

  it('review finding 9: a reconnect to a fresh workspace replays from its hello cursor instead of asking for a resync', async () => {
    const ws = await newWorkspace(t);
    const first = await open(`token=${ws.token}`);
    const hello = await first.waitFor(isHello);
    await first.close();
    const conv = await newConversation(t, ws.token, { subject: 'After hello' });
    const again = await open(`token=${ws.token}&cursor=${hello.cursor}`);
    const resumed = await again.waitFor(isHello);
    expect(resumed.resync).toBe(false);
    await again.waitFor(isEvent('conversation.created', conv.id));
  });

  it('review finding 2: a partner’s replay holds only conversations it may see now, not those of its team back then', async () => {
    const ws = await newWorkspace(t);
    const teamA = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'A', autoAssign: false } })).body.id as string;
    const teamB = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'B', autoAssign: false } })).body.id as string;
    const partner = await newMember(t, ws, 'partner', { teamIds: [] });
    const owner = await open(`token=${ws.token}`);
    const hello = await owner.waitFor(isHello);
    const moved = await newConversation(t, ws.token, { teamId: teamA, subject: 'Moved away' });
    await t.request('POST', `/api/v1/conversations/${moved.id}/messages`, { token: ws.token, body: { body: 'refund fraud suspicion', kind: 'note' } });
    expect((await t.request('PATCH', `/api/v1/conversations/${moved.id}`, { token: ws.token, body: { teamId: teamB } })).status).toBe(200);
    const stays = await newConversation(t, ws.token, { teamId: teamA, subject: 'Still in A' });
    await owner.waitFor(isEvent('conversation.created', stays.id));
    expect((await t.request('POST', `/api/v1/teams/${teamA}/members`, { token: ws.token, body: { userId: partner.userId } })).status).toBeLessThan(300);
    expect((await t.request('GET', `/api/v1/conversations/${moved.id}`, { token: partner.token })).status).toBe(404);

    const p = await open(`token=${partner.token}&cursor=${hello.cursor}`);
    expect((await p.waitFor(isHello)).resync).toBe(false);
    await p.waitFor(isEvent('conversation.created', stays.id));
    expect(p.events().some((e) => e.conversationId === moved.id)).toBe(false);
    expect(JSON.stringify(p.messages)).not.toContain('refund fraud suspicion');
  });

  it('review finding 1: erasing a customer removes them from the log, so a reconnect replays none of it', async () => {
    const ws = await newWorkspace(t);
    const agent = await open(`token=${ws.token}`);
    const hello = await agent.waitFor(isHello);
    const created = await t.request('POST', '/api/v1/customers', { token: ws.token, body: { name: 'Erin Erased', email: 'erin@example.com' } });
    const conv = await newConversation(t, ws.token, {
      customer: { id: created.body.id },
      subject: 'Private',
      message: { body: 'My SSN is 123-45-6789', author: 'customer' },
    });
    await agent.waitFor(isEvent('conversation.created', conv.id));
    const kept = await newConversation(t, ws.token, { subject: 'Someone else' });
    expect((await t.request('DELETE', `/api/v1/customers/${created.body.id}`, { token: ws.token })).status).toBe(200);

    const entries = await t.rapport.logs.store.readWorkspace('domain_events', ws.workspaceId, { tx: 0, seq: 0 }, 10_000, { settledOnly: false });
    const text = entries.map((e) => e.data).join('\n');
    expect(text).not.toContain('123-45-6789');
    expect(text).not.toContain('erin@example.com');
    expect(text).not.toContain('Erin Erased');
    // What the erasure announces stays (ids only), and other customers' events are untouched.
    expect(entries.filter((e) => e.type === 'customer.deleted')).toHaveLength(1);
    expect(text).toContain(kept.id);

    const again = await open(`token=${ws.token}&cursor=${hello.cursor}`);
    expect((await again.waitFor(isHello)).resync).toBe(false);
    await again.waitFor(isEvent('conversation.created', kept.id));
    const replayed = JSON.stringify(again.messages);
    expect(replayed).not.toContain('123-45-6789');
    expect(replayed).not.toContain(conv.id);
  });

  it('relays who is viewing and typing, within the role filter', async () => {
    const ws = await newWorkspace(t);
    const team = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Partners', autoAssign: false } })).body.id as string;
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const ben = await newMember(t, ws, 'agent', { name: 'Ben Agent' });
    const partner = await newMember(t, ws, 'partner', { teamIds: [team] });
    const conv = await newConversation(t, ws.token);

    const a = await open(`token=${ada.token}`);
    const b = await open(`token=${ben.token}`);
    const p = await open(`token=${partner.token}`);
    await Promise.all([a.waitFor(isHello), b.waitFor(isHello), p.waitFor(isHello)]);

    a.send({ type: 'viewing', conversationId: conv.id });
    expect(await b.waitFor(isPresence('presence.viewing', conv.id))).toMatchObject({ userId: ada.userId, userName: 'Ada Agent' });
    // Ben arrives second and is told that Ada is already there.
    b.send({ type: 'viewing', conversationId: conv.id });
    await a.waitFor(isPresence('presence.viewing', conv.id));
    await b.waitFor((m): m is LivePresence => isPresence('presence.viewing', conv.id)(m) && m.userId === ada.userId);
    // A stream opened later (an inbox) is told at once who views what it may see; the partner is not.
    const c = await open(`token=${ws.token}`);
    expect(await c.waitFor((m): m is LivePresence => isPresence('presence.viewing', conv.id)(m) && m.userId === ada.userId)).toMatchObject({
      userName: 'Ada Agent',
    });
    await c.waitFor((m): m is LivePresence => isPresence('presence.viewing', conv.id)(m) && m.userId === ben.userId);
    await c.close();
    const p2 = await open(`token=${partner.token}`);
    await p2.waitFor(isHello);
    await p2.close();
    b.send({ type: 'typing', conversationId: conv.id });
    expect(await a.waitFor(isPresence('presence.typing', conv.id))).toMatchObject({ userId: ben.userId });
    await b.close();
    expect(await a.waitFor(isPresence('presence.left', conv.id))).toMatchObject({ userId: ben.userId });

    // The partner may not see this conversation: it learns nothing, and cannot announce itself there.
    p.send({ type: 'viewing', conversationId: conv.id });
    expect((await p.waitFor((m): m is Extract<LiveServerMessage, { kind: 'error' }> => m.kind === 'error')).detail).toMatch(/not found/i);
    expect(p.messages.some((m) => m.kind === 'presence')).toBe(false);
    expect(p2.messages.some((m) => m.kind === 'presence')).toBe(false);
    p.send({ type: 'nonsense' });
    await expect.poll(() => p.messages.filter((m) => m.kind === 'error').length).toBe(2);
  });

  it('re-reads a long-lived connection’s membership: a partner taken off a team stops receiving it, a deactivated member is cut off', async () => {
    await withOwnApp(async ({ clock, ft, wsUrl, mine }) => {
      const ws = await newWorkspace(ft);
      const teamA = (await ft.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'A', autoAssign: false } })).body.id as string;
      const teamB = (await ft.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'B', autoAssign: false } })).body.id as string;
      const partner = await newMember(ft, ws, 'partner', { teamIds: [teamA, teamB] });
      const agent = await newMember(ft, ws, 'agent');
      const p = await Client.open(`${wsUrl}/api/v1/stream?token=${partner.token}`);
      const a = await Client.open(`${wsUrl}/api/v1/stream?token=${agent.token}`);
      mine.push(p, a);
      const aClosed = new Promise<number>((resolve) => a.ws.once('close', (code) => resolve(code)));
      await Promise.all([p.waitFor(isHello), a.waitFor(isHello)]);
      const before = await newConversation(ft, ws.token, { teamId: teamA, subject: 'while on A' });
      await p.waitFor(isEvent('conversation.created', before.id));

      expect((await ft.request('DELETE', `/api/v1/teams/${teamA}/members/${partner.userId}`, { token: ws.token })).status).toBeLessThan(300);
      const memberId = (await ft.request('GET', '/api/v1/members', { token: ws.token })).body.data.find((m: { userId: string }) => m.userId === agent.userId)
        .id as string;
      expect((await ft.request('PATCH', `/api/v1/members/${memberId}`, { token: ws.token, body: { status: 'deactivated' } })).status).toBe(200);
      clock.advance(61_000);

      const after = await newConversation(ft, ws.token, { teamId: teamA, subject: 'after leaving A' });
      const onB = await newConversation(ft, ws.token, { teamId: teamB, subject: 'still on B' });
      await p.waitFor(isEvent('conversation.created', onB.id));
      expect(p.events().some((e) => e.conversationId === after.id)).toBe(false);

      expect(await aClosed).toBe(4401);
      expect(a.events().some((e) => e.conversationId === after.id)).toBe(false);
    });
  });

  it('finding 6: a role change, deactivation or revoked token reaches a live socket at once, not after 60 s', async () => {
    await withOwnApp(async ({ ft, wsUrl, mine }) => {
      const ws = await newWorkspace(ft);
      const demoted = await newMember(ft, ws, 'agent');
      const deactivated = await newMember(ft, ws, 'agent');
      const revoked = await newMember(ft, ws, 'agent');
      const d = await Client.open(`${wsUrl}/api/v1/stream?token=${demoted.token}`);
      const x = await Client.open(`${wsUrl}/api/v1/stream?token=${deactivated.token}`);
      const r = await Client.open(`${wsUrl}/api/v1/stream?token=${revoked.token}`);
      mine.push(d, x, r);
      await Promise.all([d.waitFor(isHello), x.waitFor(isHello), r.waitFor(isHello)]);
      // Warm every socket's cached credential, as a busy workspace would.
      const warm = await newConversation(ft, ws.token, { subject: 'warm' });
      await Promise.all([d, x, r].map((c) => c.waitFor(isEvent('conversation.created', warm.id))));
      const xClosed = new Promise<number>((resolve) => x.ws.once('close', (code) => resolve(code)));
      const rClosed = new Promise<number>((resolve) => r.ws.once('close', (code) => resolve(code)));

      const members = (await ft.request('GET', '/api/v1/members', { token: ws.token })).body.data as Array<{ id: string; userId: string }>;
      const idOf = (userId: string) => members.find((m) => m.userId === userId)?.id;
      expect((await ft.request('PATCH', `/api/v1/members/${idOf(demoted.userId)}`, { token: ws.token, body: { role: 'partner' } })).status).toBe(200);
      expect((await ft.request('PATCH', `/api/v1/members/${idOf(deactivated.userId)}`, { token: ws.token, body: { status: 'deactivated' } })).status).toBe(200);
      const tokens = (await ft.request('GET', '/api/v1/tokens', { token: ws.token })).body.data as Array<{ id: string; userId: string }>;
      const tokenId = tokens.find((tk) => tk.userId === revoked.userId)?.id;
      expect((await ft.request('DELETE', `/api/v1/tokens/${tokenId}`, { token: ws.token })).status).toBe(200);
      // The clock does not move: only the auth.changed event can get these through.
      expect(await xClosed).toBe(4401);
      expect(await rClosed).toBe(4401);
      const unteamed = await newConversation(ft, ws.token, { subject: 'no team: not for partners' });
      const marker = await newConversation(ft, ws.token, { subject: 'marker' });
      const agentView = await Client.open(`${wsUrl}/api/v1/stream?token=${ws.token}`);
      mine.push(agentView);
      await ft.request('POST', `/api/v1/conversations/${marker.id}/messages`, { token: ws.token, body: { body: 'ping', kind: 'reply' } });
      await agentView.waitFor(isEvent('message.created', marker.id));
      expect(d.events().some((e) => e.conversationId === unteamed.id || e.conversationId === marker.id)).toBe(false);
    });
  });

  it('accepts the session cookie from the same origin only', async () => {
    const ws = await newWorkspace(t);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ws.email, password: 'correct horse battery' }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^rapport_session=/);
    const host = new URL(base).host;
    const c = await open('', { cookie, origin: `http://${host}` });
    expect((await c.waitFor(isHello)).userId).toBe(ws.userId);
    await expect(Client.open(`${wsBase}/api/v1/stream`, { cookie, origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });
});

describe('finding 6: a change that lands while a live socket is being re-read', () => {
  const agent: AuthContext = { workspaceId: 'w1', userId: 'u1', userName: 'Ada', role: 'agent', teamIds: [], method: 'token', tokenId: 't1', ip: null };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  function setup() {
    const bus = createBus();
    // A tail the test feeds by hand: what the log would hand the live service.
    const listeners = new Set<(entries: LogEntry[]) => void>();
    let n = 0;
    const tail = {
      subscribe: (l: (entries: LogEntry[]) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      poke: async () => undefined,
      position: { tx: 0, seq: 0 },
      since: async () => [],
    } as unknown as LogTail;
    const live = createLiveService({ bus, clock: createFakeClock(), tail, conversations: { get: () => Promise.reject(new Error('not used')) } });
    const reads: Array<{ resolve(auth: AuthContext): void; reject(err: Error): void }> = [];
    const sent: LiveServerMessage[] = [];
    const closed: string[] = [];
    live.connect(
      {
        auth: agent,
        send: (m) => sent.push(m),
        verify: () => new Promise<AuthContext>((resolve, reject) => reads.push({ resolve, reject })),
        close: (reason) => closed.push(reason),
      },
      {},
    );
    const changed = () => bus.publish({ workspaceId: 'w1', type: AUTH_CHANGED, internal: true, data: null });
    const created = (id: string, teamId: string | null) => {
      n += 1;
      const entry: LogEntry = {
        seq: n,
        tx: 0,
        partition: 0,
        workspace_id: 'w1',
        type: 'conversation.created',
        meta: JSON.stringify({ version: 1, conversation: { id, teamId } }),
        data: JSON.stringify({ conversation: { id } }),
        created_at: new Date().toISOString(),
      };
      for (const l of listeners) l([entry]);
    };
    const received = () => sent.filter((m): m is LiveEvent => m.kind === 'event').map((m) => m.conversationId);
    return { live, reads, closed, changed, created, received };
  }

  it('reads the membership again instead of trusting a read that began before the second change', async () => {
    const { live, reads, changed, created, received } = setup();
    changed();
    await turn();
    expect(reads).toHaveLength(1);
    // Demoted to a partner of team T while the first read is under way.
    changed();
    await turn();
    created('c-unteamed', null);
    reads[0]?.resolve(agent);
    await expect.poll(() => reads.length).toBe(2);
    expect(received()).toEqual([]);
    reads[1]?.resolve({ ...agent, role: 'partner', teamIds: ['T'] });
    created('c-team', 'T');
    await expect.poll(() => received()).toEqual(['c-team']);
    live.close();
  });

  it('drops the socket when that second read finds the membership ended', async () => {
    const { live, reads, closed, changed, created, received } = setup();
    changed();
    await turn();
    changed();
    await turn();
    created('c1', null);
    reads[0]?.resolve(agent);
    await expect.poll(() => reads.length).toBe(2);
    reads[1]?.reject(new Error('deactivated'));
    await expect.poll(() => closed).toEqual(['the membership or session has ended']);
    expect(received()).toEqual([]);
    expect(live.connections).toBe(0);
  });
});
