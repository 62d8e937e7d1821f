// WhatsApp Cloud API and Messenger on both engines: the handshake, signed webhook posts (HMAC of
// the raw body), replays, cross-workspace injection, malformed bodies, outbound through a fake
// Graph API with retries, delivery statuses, and the 24-hour window with templates and HUMAN_AGENT.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../platform/clock.js';
import { startFakeProvider, type FakeProvider } from '../../../test/fakes/providers.js';
import { createTestApp, engines, newWorkspace, type TestApp, type TestWorkspace } from '../../../test/harness.js';
import { MAX_MEDIA_PER_POST } from './meta.service.js';

const HOUR = 3_600_000;
const sign = (secret: string, raw: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
let seq = 0;
const digits = (prefix: string) => `${prefix}${Date.now() % 1_000_000_000}${seq++}`;

const waBody = (phoneNumberId: string, value: Record<string, unknown>, display = '15550000000') => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: 'WABA',
      changes: [
        { field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: display, phone_number_id: phoneNumberId }, ...value } },
      ],
    },
  ],
});
const waText = (from: string, text: string, id = `wamid.${digits('in')}`) => ({
  contacts: [{ profile: { name: 'Wanda' }, wa_id: from }],
  messages: [{ from, id, timestamp: '1764583200', type: 'text', text: { body: text } }],
});

describe.each(engines)('WhatsApp and Messenger via Meta (%s)', (engine) => {
  let t: TestApp;
  let fake: FakeProvider;
  let a: TestWorkspace;
  let b: TestWorkspace;
  const clock = createFakeClock('2026-12-01T10:00:00.000Z');
  const ids = { waA: digits('1'), waA2: digits('2'), pageA: digits('3'), waB: digits('4') };
  const inbox: Record<keyof typeof ids, string> = { waA: '', waA2: '', pageA: '', waB: '' };

  beforeAll(async () => {
    fake = await startFakeProvider();
    t = await createTestApp(engine, { clock, publicUrl: 'https://rapport.example', metaGraphUrl: `${fake.url}/v21.0` });
    a = await newWorkspace(t, 'Acme');
    b = await newWorkspace(t, 'Bolt');
    const secretsA = { appSecret: 'app-secret-a', verifyToken: 'verify-a', accessToken: 'token-a' };
    const make = async (ws: TestWorkspace, body: Record<string, unknown>) => {
      const r = await t.request('POST', '/api/v1/inboxes', { token: ws.token, body });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    inbox.waA = await make(a, {
      channel: 'whatsapp',
      address: ids.waA,
      secrets: secretsA,
      settings: { templates: [{ name: 'order_update', language: 'en_US' }] },
    });
    // A second number of the same Meta app (same app secret): its events may arrive on the first's URL.
    inbox.waA2 = await make(a, { channel: 'whatsapp', address: `+1555${ids.waA2.slice(-7)}`, secrets: secretsA, settings: { phoneNumberId: ids.waA2 } });
    inbox.pageA = await make(a, { channel: 'messenger', address: ids.pageA, secrets: { ...secretsA, accessToken: 'page-token-a' } });
    inbox.waB = await make(b, {
      channel: 'whatsapp',
      address: ids.waB,
      secrets: { appSecret: 'app-secret-b', verifyToken: 'verify-b', accessToken: 'token-b' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const deliver = async () => {
    await t.rapport.logs.drain();
    await t.rapport.jobs.drain();
  };
  const hook = (inboxId: string, body: unknown, secret: string | null, raw?: string) => {
    const payload = raw ?? JSON.stringify(body);
    return t.request('POST', `/channels/meta/${inboxId}/webhook`, {
      raw: payload,
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-hub-signature-256': sign(secret, payload) } : {}) },
    });
  };
  const conversations = async (ws: TestWorkspace, channel: string) =>
    (await t.request('GET', `/api/v1/conversations?channel=${channel}&limit=100`, { token: ws.token })).body.data as any[];
  const byPhone = async (ws: TestWorkspace, phone: string) => (await conversations(ws, 'whatsapp')).filter((c) => c.customer.phone === phone);
  const message = async (id: string) => (await t.request('GET', `/api/v1/messages/${id}`, { token: a.token })).body;
  const reply = async (conversationId: string, body: string) =>
    (await t.request('POST', `/api/v1/conversations/${conversationId}/messages`, { token: a.token, body: { body } })).body.id as string;

  it('answers the handshake only with the inbox’s verify token', async () => {
    const q = (token: string) => `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
    const ok = await t.request('GET', `/channels/meta/${inbox.waA}/webhook?${q('verify-a')}`);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.text).toBe('1158201444');
    expect((await t.request('GET', `/channels/meta/${inbox.waA}/webhook?${q('verify-b')}`)).status).toBe(403);
    expect((await t.request('GET', `/channels/meta/${inbox.waB}/webhook?${q('verify-a')}`)).status).toBe(403);
    expect((await t.request('GET', `/channels/meta/inb_${'0'.repeat(32)}/webhook?${q('verify-a')}`)).status).toBe(404);
    expect((await t.request('GET', `/channels/meta/${inbox.waA}/webhook?hub.mode=subscribe`)).status).toBe(400);
  });

  it('takes a signed WhatsApp message once (replays deduped), the customer by number; refuses bad signatures and malformed bodies', async () => {
    const from = digits('4477');
    const text = waText(from, 'Is my order shipped?');
    const body = waBody(ids.waA, text);
    const res = await hook(inbox.waA, body, 'app-secret-a');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: 1, statuses: 0, ignored: 0 });
    expect((await hook(inbox.waA, body, 'app-secret-a')).status).toBe(200);
    const convs = await byPhone(a, `+${from}`);
    expect(convs).toHaveLength(1);
    expect(convs[0]).toMatchObject({ channel: 'whatsapp', inboxId: inbox.waA, customer: { name: 'Wanda' } });
    const msgs = (await t.request('GET', `/api/v1/conversations/${convs[0].id}/messages`, { token: a.token })).body.data;
    expect(msgs.map((m: { body: string }) => m.body)).toEqual(['Is my order shipped?']);
    expect(msgs[0].externalId).toBe(text.messages[0]!.id);

    const other = digits('4478');
    const forged = await hook(inbox.waA, waBody(ids.waA, waText(other, 'forged')), 'not-the-secret');
    expect(forged.status).toBe(403);
    expect(forged.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await hook(inbox.waA, waBody(ids.waA, waText(other, 'unsigned')), null)).status).toBe(403);
    // The signature covers the exact bytes: re-serialising a body breaks it.
    const raw = JSON.stringify(waBody(ids.waA, waText(other, 'tampered')));
    const tampered = await t.request('POST', `/channels/meta/${inbox.waA}/webhook`, {
      raw: raw.replace('tampered', 'tampered!'),
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign('app-secret-a', raw) },
    });
    expect(tampered.status).toBe(403);
    // Signed but malformed: not JSON, or not Meta's shape → 400; an object Rapport does not handle → 200, ignored.
    expect((await hook(inbox.waA, null, 'app-secret-a', '{"object":')).status).toBe(400);
    const badShape = await hook(inbox.waA, waBody(ids.waA, { messages: [{ from: 'not-digits', id: 'x', type: 'text' }] }), 'app-secret-a');
    expect(badShape.status).toBe(400);
    expect(badShape.body.errors.length).toBeGreaterThan(0);
    const ig = await hook(inbox.waA, { object: 'instagram', entry: [{ id: '1', changes: [] }] }, 'app-secret-a');
    expect(ig.status).toBe(200);
    expect(ig.body).toEqual({ received: 0, statuses: 0, ignored: 0 });
    expect(await byPhone(a, `+${other}`)).toHaveLength(0);
  });

  it('fetches at most MAX_MEDIA_PER_POST media files for one post (review finding M7)', async () => {
    fake.reset();
    const from = digits('3935');
    const images = Array.from({ length: 25 }, (_, i) => ({
      from,
      id: `wamid.many${i}.${Date.now()}`,
      timestamp: '1',
      type: 'image',
      image: { id: `${777000000 + i}`, mime_type: 'image/jpeg', caption: `photo ${i}` },
    }));
    const res = await hook(inbox.waA, waBody(ids.waA, { contacts: [{ wa_id: from, profile: { name: 'Mo' } }], messages: images }), 'app-secret-a');
    expect(res.status).toBe(200);
    expect(res.body.received).toBe(25);
    // two calls per file (its URL from the Graph API, then the file), for the first ten only
    expect(fake.requests).toHaveLength(2 * MAX_MEDIA_PER_POST);
    const conv = (await byPhone(a, `+${from}`))[0];
    const msgs = (await t.request('GET', `/api/v1/conversations/${conv.id}/messages?limit=100`, { token: a.token })).body.data as Array<{
      attachments: unknown[];
    }>;
    expect(msgs).toHaveLength(25);
    expect(msgs.filter((m) => m.attachments.length === 1)).toHaveLength(MAX_MEDIA_PER_POST);
  });

  it('stores a WhatsApp image fetched through the Graph API with the inbox’s token', async () => {
    fake.reset();
    const from = digits('3934');
    const image = {
      from,
      id: `wamid.${digits('img')}`,
      timestamp: '1',
      type: 'image',
      image: { id: '555000111', mime_type: 'image/jpeg', caption: 'The lid arrived broken' },
    };
    const res = await hook(inbox.waA, waBody(ids.waA, { contacts: [{ wa_id: from, profile: { name: 'Ines' } }], messages: [image] }), 'app-secret-a');
    expect(res.body.received).toBe(1);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v21.0/555000111', '/media/555000111']);
    expect(fake.requests.every((r) => r.headers.authorization === 'Bearer token-a')).toBe(true);
    const conv = (await byPhone(a, `+${from}`))[0];
    const [msg] = (await t.request('GET', `/api/v1/conversations/${conv.id}/messages`, { token: a.token })).body.data;
    expect(msg.body).toBe('The lid arrived broken');
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]).toMatchObject({ filename: 'image-1.jpeg', contentType: 'image/jpeg' });
    expect((await t.request('GET', msg.attachments[0].url, { token: a.token })).text).toBe('whatsapp image 555000111');
  });

  it('takes entries for other numbers of the same app and workspace, never another workspace’s inbox', async () => {
    const x = digits('3361');
    const y = digits('3362');
    const z = digits('3363');
    const batch = {
      object: 'whatsapp_business_account',
      entry: [
        waBody(ids.waA, waText(x, 'to number 1')).entry[0],
        waBody(ids.waA2, waText(y, 'to number 2'), `1555${ids.waA2.slice(-7)}`).entry[0],
        waBody(ids.waB, waText(z, 'inject into B')).entry[0],
      ],
    };
    const res = await hook(inbox.waA, batch, 'app-secret-a');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: 2, statuses: 0, ignored: 1 });
    expect((await byPhone(a, `+${y}`))[0]).toMatchObject({ inboxId: inbox.waA2 });
    expect(await byPhone(b, `+${z}`)).toHaveLength(0);
    expect(await byPhone(a, `+${z}`)).toHaveLength(0);
    // A's secret on B's inbox path: refused outright.
    expect((await hook(inbox.waB, waBody(ids.waB, waText(z, 'inject into B')), 'app-secret-a')).status).toBe(403);
    expect(await conversations(b, 'whatsapp')).toHaveLength(0);
    // B's own secret on B's path works, and cannot reach A's numbers.
    const own = await hook(
      inbox.waB,
      { object: 'whatsapp_business_account', entry: [waBody(ids.waB, waText(z, 'hi B')).entry[0], waBody(ids.waA, waText(z, 'into A?')).entry[0]] },
      'app-secret-b',
    );
    expect(own.body).toEqual({ received: 1, statuses: 0, ignored: 1 });
    expect(await byPhone(b, `+${z}`)).toHaveLength(1);
    expect(await byPhone(a, `+${z}`)).toHaveLength(0);
  });

  it('sends WhatsApp replies in the window (Bearer, Graph body), retries a 500, takes statuses; outside 24 h only templates go', async () => {
    const from = digits('4915');
    await hook(inbox.waA, waBody(ids.waA, waText(from, 'Hello')), 'app-secret-a');
    const conv = (await byPhone(a, `+${from}`))[0];
    fake.reset();
    fake.failNext(1, 500, { error: { message: 'Service temporarily unavailable', code: 2, is_transient: true } });
    const first = await reply(conv.id, 'Hi Wanda, it ships today.');
    await deliver();
    const d1 = (await message(first)).delivery;
    expect(d1, JSON.stringify(d1)).toMatchObject({ status: 'queued', attempts: 1 });
    clock.advance(60_000);
    await deliver();
    const sent = await message(first);
    expect(sent.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sent.externalId).toMatch(/^wamid\./);
    const call = fake.requests[1]!;
    expect(call.path).toBe(`/v21.0/${ids.waA}/messages`);
    expect(call.headers.authorization).toBe('Bearer token-a');
    expect(call.json).toMatchObject({ messaging_product: 'whatsapp', to: from, type: 'text', text: { body: 'Hi Wanda, it ships today.' } });

    // Statuses: delivered, then a read (stays delivered); a failure of another message carries Meta's reason.
    const statuses = (list: Array<Record<string, unknown>>) => waBody(ids.waA, { statuses: list });
    const st = await hook(
      inbox.waA,
      statuses([
        { id: sent.externalId, status: 'delivered', timestamp: '1', recipient_id: from },
        { id: sent.externalId, status: 'read' },
      ]),
      'app-secret-a',
    );
    expect(st.body.statuses).toBe(2);
    expect((await message(first)).delivery.status).toBe('delivered');

    // 25 hours later: a free-form reply fails at once (nothing reaches Meta); a template goes.
    clock.advance(25 * HOUR);
    fake.reset();
    const late = await reply(conv.id, 'Are you still there?');
    await deliver();
    const lateMsg = await message(late);
    expect(lateMsg.delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(lateMsg.delivery.error).toMatch(/24-hour customer-service window.*\/template/);
    expect(fake.requests).toHaveLength(0);
    const tpl = await reply(conv.id, '/template order_update Wanda | #1234');
    const unknown = await reply(conv.id, '/template not_approved');
    await deliver();
    expect((await message(tpl)).delivery.status).toBe('sent');
    expect((await message(unknown)).delivery).toMatchObject({ status: 'failed' });
    expect((await message(unknown)).delivery.error).toContain('not among this inbox');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.json).toEqual({
      messaging_product: 'whatsapp',
      to: from,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Wanda' },
              { type: 'text', text: '#1234' },
            ],
          },
        ],
      },
    });
    const tplId = (await message(tpl)).externalId as string;
    await hook(inbox.waA, statuses([{ id: tplId, status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] }]), 'app-secret-a');
    expect((await message(tpl)).delivery).toMatchObject({ status: 'failed', error: 'WhatsApp: failed (131026 Message undeliverable)' });

    // The customer writes again: the window opens, free-form replies go.
    await hook(inbox.waA, waBody(ids.waA, waText(from, 'Yes, here')), 'app-secret-a');
    const again = await reply(conv.id, 'Great, thanks!');
    await deliver();
    expect((await message(again)).delivery.status).toBe('sent');

    // A permanent Graph refusal fails at once.
    fake.reset();
    fake.failNext(1, 400, { error: { message: '(#131030) Recipient phone number not in allowed list', code: 131030 } });
    const refused = await reply(conv.id, 'One more thing');
    await deliver();
    expect((await message(refused)).delivery).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'WhatsApp refused the message (error 131030): (#131030) Recipient phone number not in allowed list',
    });
  });

  it('takes Messenger messages by PSID (echoes ignored), replies RESPONSE in 24 h, HUMAN_AGENT within 7 days, fails after', async () => {
    const psid = digits('9');
    const mid = `m_${digits('')}`;
    const event = (m: Record<string, unknown>) => ({
      object: 'page',
      entry: [{ id: ids.pageA, time: 1, messaging: [{ sender: { id: psid }, recipient: { id: ids.pageA }, timestamp: 1, ...m }] }],
    });
    expect((await hook(inbox.pageA, event({ message: { mid, text: 'Do you ship to Norway?' } }), 'app-secret-a')).body.received).toBe(1);
    expect((await hook(inbox.pageA, event({ message: { mid, text: 'Do you ship to Norway?' } }), 'app-secret-a')).status).toBe(200);
    const echo = {
      object: 'page',
      entry: [
        {
          id: ids.pageA,
          messaging: [{ sender: { id: ids.pageA }, recipient: { id: psid }, message: { mid: `m_${digits('')}`, text: 'echo', is_echo: true } }],
        },
      ],
    };
    expect((await hook(inbox.pageA, echo, 'app-secret-a')).body.received).toBe(0);
    const convs = await conversations(a, 'messenger');
    expect(convs).toHaveLength(1);
    const msgs = (await t.request('GET', `/api/v1/conversations/${convs[0].id}/messages`, { token: a.token })).body.data;
    expect(msgs.map((m: { body: string }) => m.body)).toEqual(['Do you ship to Norway?']);

    fake.reset();
    const r1 = await reply(convs[0].id, 'Yes, we do!');
    await deliver();
    const s1 = await message(r1);
    expect(s1.delivery.status).toBe('sent');
    expect(fake.requests[0]!.path).toBe(`/v21.0/${ids.pageA}/messages`);
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer page-token-a');
    expect(fake.requests[0]!.json).toEqual({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Yes, we do!' } });
    await hook(inbox.pageA, event({ delivery: { mids: [s1.externalId], watermark: 2 } }), 'app-secret-a');
    expect((await message(r1)).delivery.status).toBe('delivered');

    clock.advance(30 * HOUR);
    const r2 = await reply(convs[0].id, 'Following up as promised');
    await deliver();
    expect((await message(r2)).delivery.status).toBe('sent');
    expect(fake.requests[1]!.json).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });

    clock.advance(7 * 24 * HOUR);
    const r3 = await reply(convs[0].id, 'Hello again?');
    await deliver();
    expect((await message(r3)).delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await message(r3)).delivery.error).toMatch(/within 7 days as a human agent/);
    expect(fake.requests).toHaveLength(2);

    // Another workspace's secret, or an entry for a page of another app, stores nothing.
    expect((await hook(inbox.pageA, event({ message: { mid: `m_${digits('')}`, text: 'forged' } }), 'app-secret-b')).status).toBe(403);
  });
});
