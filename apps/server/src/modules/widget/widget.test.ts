// The chat widget through its public HTTP API and a real WebSocket, on both engines: boot
// (anonymous, signed, forged, requireIdentity), origins (CORS and the socket), isolation between
// visitors and workspaces, messages into the agent inbox, agent replies pushed live, the offline
// mail, email capture that takes over nobody, page views on the timeline, limits.
import { createHmac } from 'node:crypto';
import type { WidgetServerMessage } from '@rapport/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createFakeClock } from '../../platform/clock.js';
import type { Mail, Mailer } from '../../platform/mailer.js';
import { createTestApp, engines, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../test/harness.js';

const SHOP = 'https://shop.acme.test';
const hmac = (secret: string, id: string) => createHmac('sha256', secret).update(id).digest('hex');

class Visitor {
  readonly messages: WidgetServerMessage[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => this.messages.push(JSON.parse(String(raw)) as WidgetServerMessage));
  }
  static open(url: string, origin: string): Promise<Visitor> {
    const ws = new WebSocket(url, { headers: { origin } });
    const v = new Visitor(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(v));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
  close() {
    return new Promise<void>((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

describe.each(engines)('chat widget (%s)', (engine) => {
  let t: TestApp;
  let base: string;
  let a: TestWorkspace;
  let b: TestWorkspace;
  const clock = createFakeClock('2026-12-01T10:00:00.000Z');
  const mails: Mail[] = [];
  const mailer: Mailer = { send: async (m) => (mails.push(m), { delivery: 'file', ref: 'test' }) };
  let inbox: { id: string; secret: string };
  const visitors: Visitor[] = [];

  const newInbox = async (ws: TestWorkspace, settings: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/inboxes', { token: ws.token, body: { channel: 'chat', name: 'Acme help', settings } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, secret: res.body.generatedSecrets.identitySecret as string };
  };
  const boot = (inboxId: string, body: Record<string, unknown> = {}, origin = SHOP, query = '') =>
    t.request('POST', `/widget/v1/boot?inbox=${inboxId}${query}`, { body, headers: origin ? { origin } : {} });
  const as = (token: string, origin = SHOP) => ({ authorization: `Bearer ${token}`, origin });
  const send = (inboxId: string, token: string, text: string) =>
    t.request('POST', `/widget/v1/messages?inbox=${inboxId}`, { body: { body: text }, headers: as(token) });
  const deliver = async () => {
    await t.rapport.logs.drain();
    await t.rapport.jobs.drain();
  };
  const socket = async (inboxId: string, token: string, origin = SHOP) => {
    const v = await Visitor.open(`${base.replace('http', 'ws')}/widget/v1/ws?inbox=${inboxId}&token=${encodeURIComponent(token)}`, origin);
    visitors.push(v);
    await vi.waitFor(() => expect(v.messages.some((m) => m.type === 'hello')).toBe(true));
    return v;
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { clock, mailer, publicUrl: 'http://rapport.test' });
    base = await t.listen();
    a = await newWorkspace(t, 'Acme');
    b = await newWorkspace(t, 'Bolt');
    inbox = await newInbox(a, { allowedOrigins: [SHOP], color: '#0b7285', greeting: 'Hello from Acme' });
  });
  afterAll(async () => {
    for (const v of visitors) await v.close();
    await t?.close();
  });

  it('boots an anonymous visitor with a token, the inbox look and an empty history; the token resumes the same visitor', async () => {
    const res = await boot(inbox.id);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.body).toMatchObject({
      visitor: { userId: null, hasEmail: false },
      inbox: { id: inbox.id, workspaceId: a.workspaceId, color: '#0b7285', greeting: 'Hello from Acme', requireIdentity: false },
      agentsOnline: false,
      history: { conversationId: null, data: [] },
    });
    expect(res.body.visitor.token).toMatch(/^wvs_[0-9a-f]{32}\.[\w-]{43}$/);
    const again = await boot(inbox.id, { visitorToken: res.body.visitor.token });
    expect(again.body.visitor.id).toBe(res.body.visitor.id);
    // A forged secret for a real visitor id starts a new visitor instead of resuming that one.
    const forged = await boot(inbox.id, { visitorToken: `${res.body.visitor.id}.${'A'.repeat(43)}` });
    expect(forged.body.visitor.id).not.toBe(res.body.visitor.id);
    // By workspace alone: its first chat inbox.
    const byWorkspace = await t.request('POST', `/widget/v1/boot?workspace=${a.workspaceId}`, { body: {}, headers: { origin: SHOP } });
    expect(byWorkspace.status).toBe(200);
    expect((await t.request('POST', '/widget/v1/boot', { body: {}, headers: { origin: SHOP } })).status).toBe(400);
  });

  it('verifies signed users: a good hash boots them, a forged one is refused, logged in the audit trail', async () => {
    const good = await boot(inbox.id, { user: { id: 'user-42', email: 'kim@example.com', name: 'Kim', hash: hmac(inbox.secret, 'user-42') } });
    expect(good.status).toBe(200);
    expect(good.body.visitor).toMatchObject({ userId: 'user-42', hasEmail: true });
    const forged = await boot(inbox.id, { user: { id: 'user-42', hash: hmac('not-the-secret', 'user-42') } });
    expect(forged.status).toBe(401);
    expect(forged.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(forged.body.detail).toMatch(/hash does not match/);
    // A hash of another id, and a malformed one.
    expect((await boot(inbox.id, { user: { id: 'user-43', hash: hmac(inbox.secret, 'user-42') } })).status).toBe(401);
    expect((await boot(inbox.id, { user: { id: 'user-42', hash: 'zz' } })).status).toBe(400);
    const audit = await t.request('GET', '/api/v1/audit-log?action=widget.identity_refused', { token: a.token });
    expect(audit.body.data.length).toBeGreaterThanOrEqual(2);
    expect(audit.body.data[0]).toMatchObject({ objectId: inbox.id, actor: { type: 'system' } });
    // A user's token does not carry over to an anonymous boot (signing out leaves nothing behind).
    const anon = await boot(inbox.id, { visitorToken: good.body.visitor.token });
    expect(anon.body.visitor).toMatchObject({ userId: null });
    expect(anon.body.visitor.id).not.toBe(good.body.visitor.id);
  });

  it('refuses anonymous visitors on an inbox that requires identity', async () => {
    const strict = await newInbox(a, { allowedOrigins: ['*'], requireIdentity: true });
    const anon = await boot(strict.id);
    expect(anon.status).toBe(401);
    expect(anon.body.detail).toMatch(/signed-in users/);
    const signed = await boot(strict.id, { user: { id: 'u-7', hash: hmac(strict.secret, 'u-7') } });
    expect(signed.status).toBe(200);
    expect(signed.body.inbox.requireIdentity).toBe(true);
  });

  it('answers CORS only for allowed origins, and refuses others on every call and on the socket', async () => {
    const ok = await t.request('OPTIONS', `/widget/v1/messages?inbox=${inbox.id}`, {
      headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(SHOP);
    expect(String(ok.headers['access-control-allow-headers'])).toMatch(/authorization/);
    const evil = await t.request('OPTIONS', `/widget/v1/messages?inbox=${inbox.id}`, { headers: { origin: 'https://evil.test' } });
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect((await boot(inbox.id, {}, 'https://evil.test')).status).toBe(403);
    expect((await boot(inbox.id, {}, 'null')).status).toBe(403);
    // An empty list allows only Rapport's own origin; `*` any site.
    const own = await newInbox(a, {});
    expect((await boot(own.id, {}, SHOP)).status).toBe(403);
    const same = await t.request('POST', `/widget/v1/boot?inbox=${own.id}`, { body: {}, headers: { host: 'rapport.test', origin: 'http://rapport.test' } });
    expect(same.status).toBe(200);
    const any = await newInbox(a, { allowedOrigins: ['*'] });
    expect((await boot(any.id, {}, 'https://anywhere.test')).status).toBe(200);
    // The token is no pass for another origin.
    const v = await boot(inbox.id);
    const token = v.body.visitor.token as string;
    expect((await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(token, 'https://evil.test') })).status).toBe(403);
    await expect(socket(inbox.id, token, 'https://evil.test')).rejects.toThrow('HTTP 403');
    await expect(socket(inbox.id, 'wvs_00000000000000000000000000000000.nope')).rejects.toThrow('HTTP 401');
    await expect(socket(inbox.id, token)).resolves.toBeDefined();
  });

  it("writes visitors' messages into one conversation of the agent inbox, and keeps visitors apart", async () => {
    const va = (await boot(inbox.id)).body.visitor.token as string;
    const vb = (await boot(inbox.id)).body.visitor.token as string;
    const first = await send(inbox.id, va, 'Where is my parcel?');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ message: { body: 'Where is my parcel?', author: { type: 'customer' } }, agentsOnline: false, hasEmail: false });
    const second = await send(inbox.id, va, 'It was due Monday');
    expect(second.body.conversationId).toBe(first.body.conversationId);
    await send(inbox.id, vb, 'B has a secret question');
    const conv = await t.request('GET', `/api/v1/conversations/${first.body.conversationId}`, { token: a.token });
    expect(conv.status).toBe(200);
    expect(conv.body).toMatchObject({ channel: 'chat', inboxId: inbox.id });
    const msgs = await t.request('GET', `/api/v1/conversations/${first.body.conversationId}/messages`, { token: a.token });
    expect(msgs.body.data.map((m: { body: string }) => m.body)).toEqual(['Where is my parcel?', 'It was due Monday']);
    // Each visitor reads only their own thread; no token, a bad one or another inbox's: 401.
    const ha = await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(va) });
    expect(ha.body.data.map((m: { body: string }) => m.body)).toEqual(['Where is my parcel?', 'It was due Monday']);
    const hb = await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(vb) });
    expect(hb.body.data.map((m: { body: string }) => m.body)).toEqual(['B has a secret question']);
    expect(hb.body.conversationId).not.toBe(first.body.conversationId);
    expect((await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: { origin: SHOP } })).status).toBe(401);
    const [vaId] = va.split('.');
    expect((await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(`${vaId}.${vb.split('.')[1]}`) })).status).toBe(401);
    const other = await newInbox(a, { allowedOrigins: [SHOP] });
    expect((await t.request('GET', `/widget/v1/messages?inbox=${other.id}`, { headers: as(va) })).status).toBe(401);
    // Notes never reach the visitor.
    await t.request('POST', `/api/v1/conversations/${first.body.conversationId}/messages`, { token: a.token, body: { body: 'internal: VIP', kind: 'note' } });
    const after = await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(va) });
    expect(JSON.stringify(after.body)).not.toContain('internal: VIP');
  });

  it("pushes an agent's reply to the visitor's socket and records it delivered once seen", async () => {
    const booted = (await boot(inbox.id)).body;
    const token = booted.visitor.token as string;
    const sent = await send(inbox.id, token, 'Hello, anyone?');
    const v = await socket(inbox.id, token);
    const reply = await t.request('POST', `/api/v1/conversations/${sent.body.conversationId}/messages`, { token: a.token, body: { body: 'Hi! Looking now.' } });
    expect(reply.status).toBe(201);
    await deliver();
    await vi.waitFor(() => expect(v.messages.some((m) => m.type === 'message' && m.message.id === reply.body.id)).toBe(true));
    const pushed = v.messages.find((m) => m.type === 'message');
    expect(pushed).toMatchObject({
      type: 'message',
      conversationId: sent.body.conversationId,
      message: { body: 'Hi! Looking now.', author: { type: 'agent', name: 'Olive Owner' } },
    });
    v.ws.send(JSON.stringify({ type: 'seen', messageIds: [reply.body.id] }));
    await vi.waitFor(async () => {
      const list = await t.request('GET', `/api/v1/conversations/${sent.body.conversationId}/messages`, { token: a.token });
      expect(list.body.data.find((m: { id: string }) => m.id === reply.body.id).delivery.status).toBe('delivered');
    });
    // Another visitor's socket hears nothing of it; nor does it mark others' messages.
    const stranger = await socket(inbox.id, (await boot(inbox.id)).body.visitor.token);
    expect(stranger.messages.filter((m) => m.type === 'message')).toEqual([]);
    // Malformed socket messages get an error, not a crash.
    stranger.ws.send('not json');
    await vi.waitFor(() => expect(stranger.messages.some((m) => m.type === 'error')).toBe(true));
    // No mail: the visitor was online.
    expect(mails).toEqual([]);
  });

  it("mails an agent's reply to an offline visitor who left an email; typing someone's email takes over nobody", async () => {
    const owner = `${unique('kim')}@example.com`;
    const existing = await t.request('POST', '/api/v1/customers', { token: a.token, body: { email: owner, name: 'Kim Real' } });
    expect(existing.status).toBe(201);
    const token = (await boot(inbox.id)).body.visitor.token as string;
    const sent = await send(inbox.id, token, 'Nobody here?');
    expect(sent.body.agentsOnline).toBe(false);
    const saved = await t.request('POST', `/widget/v1/email?inbox=${inbox.id}`, { body: { email: owner }, headers: as(token) });
    expect(saved.status).toBe(200);
    expect((await t.request('POST', `/widget/v1/email?inbox=${inbox.id}`, { body: { email: 'not-an-email' }, headers: as(token) })).status).toBe(400);
    await t.rapport.logs.drain();
    const conv = await t.request('GET', `/api/v1/conversations/${sent.body.conversationId}`, { token: a.token });
    // The visitor stays their own customer: the real Kim's record is untouched.
    expect(conv.body.customer.id).not.toBe(existing.body.id);
    const kim = await t.request('GET', `/api/v1/customers/${existing.body.id}`, { token: a.token });
    expect(kim.body).toMatchObject({ email: owner, name: 'Kim Real' });
    const reply = await t.request('POST', `/api/v1/conversations/${sent.body.conversationId}/messages`, {
      token: a.token,
      body: { body: 'We will ship it today.' },
    });
    await deliver();
    const mail = mails.find((m) => m.text.includes('We will ship it today.'));
    expect(mail).toMatchObject({ to: owner, subject: 'Olive Owner replied to your chat' });
    expect(mail?.text).toContain(`Continue the conversation: ${SHOP}`);
    const list = await t.request('GET', `/api/v1/conversations/${sent.body.conversationId}/messages`, { token: a.token });
    expect(list.body.data.find((m: { id: string }) => m.id === reply.body.id).delivery.status).toBe('sent');
    // Fetched on the next visit: delivered.
    const history = await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(token) });
    expect(history.body.data.map((m: { body: string }) => m.body)).toContain('We will ship it today.');
    const after = await t.request('GET', `/api/v1/conversations/${sent.body.conversationId}/messages`, { token: a.token });
    expect(after.body.data.find((m: { id: string }) => m.id === reply.body.id).delivery.status).toBe('delivered');
  });

  it('reports page views through ingest onto the visitor’s timeline, add-only', async () => {
    const token = (await boot(inbox.id)).body.visitor.token as string;
    const sent = await send(inbox.id, token, 'Pricing question');
    const page = await t.request('POST', `/widget/v1/page?inbox=${inbox.id}`, {
      body: { url: `${SHOP}/pricing?plan=pro`, title: 'Pricing', referrer: 'https://search.test/' },
      headers: as(token),
    });
    expect(page.status).toBe(202);
    await t.rapport.logs.drain();
    const conv = await t.request('GET', `/api/v1/conversations/${sent.body.conversationId}`, { token: a.token });
    const timeline = await t.request('GET', `/api/v1/customers/${conv.body.customer.id}/timeline`, { token: a.token });
    const viewed = timeline.body.data.find((i: { kind: string; name: string }) => i.name === 'Pricing');
    expect(viewed).toMatchObject({ channel: 'web' });
    expect((await t.request('POST', `/widget/v1/page?inbox=${inbox.id}`, { body: { url: 'javascript:alert(1)' }, headers: as(token) })).status).toBe(400);
  });

  it('hides other workspaces’ inboxes, bounds messages and rate-limits senders', async () => {
    expect((await t.request('POST', `/widget/v1/boot?workspace=${b.workspaceId}&inbox=${inbox.id}`, { body: {}, headers: { origin: SHOP } })).status).toBe(404);
    expect((await boot('inb_00000000000000000000000000000000')).status).toBe(404);
    expect((await t.request('POST', `/widget/v1/boot?workspace=${b.workspaceId}`, { body: {}, headers: { origin: SHOP } })).status).toBe(404);
    // An email inbox is no chat inbox.
    const email = (await t.request('GET', '/api/v1/inboxes', { token: a.token })).body.data.find((i: { channel: string }) => i.channel === 'email');
    expect((await boot(email.id)).status).toBe(404);
    const token = (await boot(inbox.id)).body.visitor.token as string;
    expect((await send(inbox.id, token, 'x'.repeat(5001))).status).toBe(400);
    expect((await send(inbox.id, token, '   ')).status).toBe(400);
    const huge = await t.request('POST', `/widget/v1/messages?inbox=${inbox.id}`, { raw: JSON.stringify({ body: 'y'.repeat(40_000) }), headers: as(token) });
    expect(huge.status).toBe(413);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await send(inbox.id, token, `msg ${i}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 201)).toBe(true);
    const limited = await send(inbox.id, token, 'one too many');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    clock.advance(61_000);
    expect((await send(inbox.id, token, 'after a minute')).status).toBe(201);
  });

  it("erases a customer's visitors with them (GDPR): the token then opens nothing", async () => {
    const token = (await boot(inbox.id)).body.visitor.token as string;
    await t.request('POST', `/widget/v1/email?inbox=${inbox.id}`, { body: { email: `${unique('gone')}@example.com` }, headers: as(token) });
    const sent = await send(inbox.id, token, 'Please forget me');
    await t.rapport.logs.drain();
    const conv = await t.request('GET', `/api/v1/conversations/${sent.body.conversationId}`, { token: a.token });
    const erased = await t.request('DELETE', `/api/v1/customers/${conv.body.customer.id}`, { token: a.token });
    expect(erased.status).toBe(200);
    expect((await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(token) })).status).toBe(401);
    // Booting with the dead token starts a new, empty visitor.
    const again = await boot(inbox.id, { visitorToken: token });
    expect(again.body.history).toEqual({ conversationId: null, data: [] });
  });

  it('forgets visitors who only looked after 30 idle days, and keeps those who wrote', async () => {
    const looker = (await boot(inbox.id)).body.visitor.token as string;
    const writer = (await boot(inbox.id)).body.visitor.token as string;
    await send(inbox.id, writer, 'I wrote once');
    clock.advance(31 * 86_400_000);
    expect(await t.rapport.services.widget.prune()).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(looker) })).status).toBe(401);
    const kept = await t.request('GET', `/widget/v1/messages?inbox=${inbox.id}`, { headers: as(writer) });
    expect(kept.body.data.map((m: { body: string }) => m.body)).toEqual(['I wrote once']);
  });

  it('serves the bundle with an ETag, a long cache and CORS for the script', async () => {
    const res = await t.request('GET', '/widget.js');
    if (res.status === 404) return; // not built in this checkout: nothing to serve (the e2e test builds it)
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toMatch(/max-age=86400/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const etag = String(res.headers.etag);
    expect((await t.request('GET', '/widget.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});
