// The API channel on both engines: idempotent writes by externalId (201, then 200 with the same
// message), threading by conversationExternalId, customers by their ids, bad input, roles and
// tenants, and agents' replies reaching the outside system as message.created webhooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../platform/clock.js';
import { startFakeProvider, type FakeProvider } from '../../../test/fakes/providers.js';
import { createTestApp, engines, newMember, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../../test/harness.js';

describe.each(engines)('API channel (%s)', (engine) => {
  let t: TestApp;
  let receiver: FakeProvider;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let inboxA: string;
  let inboxB: string;
  const clock = createFakeClock(new Date());

  beforeAll(async () => {
    receiver = await startFakeProvider();
    t = await createTestApp(engine, { clock, webhookAllowHosts: '127.0.0.0/8' });
    a = await newWorkspace(t, 'Acme');
    b = await newWorkspace(t, 'Bolt');
    inboxA = (await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'api', name: 'Shop backend' } })).body.id;
    inboxB = (await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'api' } })).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await t.rapport.logs.drain();
      if ((await t.rapport.jobs.drain()) === 0) return;
    }
  };
  const post = (inbox: string, body: unknown, token = a.token) => t.request('POST', `/api/v1/inboxes/${inbox}/messages`, { token, body });

  it('writes a message once per externalId: 201, then 200 with the same message; threads by conversationExternalId', async () => {
    const ticket = unique('T-');
    const email = `${unique('kim')}@example.com`;
    const body = {
      conversationExternalId: ticket,
      externalId: `${ticket}-1`,
      customer: { externalId: unique('cust-'), email, name: 'Kim' },
      body: 'My order is late',
      subject: 'Order 1001',
    };
    const first = await post(inboxA, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      created: true,
      conversation: { channel: 'api', inboxId: inboxA, externalId: ticket, subject: 'Order 1001', customer: { email, name: 'Kim' } },
      message: { externalId: `${ticket}-1`, body: 'My order is late', author: { type: 'customer' }, channel: 'api' },
    });
    const repeat = await post(inboxA, { ...body, body: 'a retried request with another body' });
    expect(repeat.status).toBe(200);
    expect(repeat.body.created).toBe(false);
    expect(repeat.body.message).toEqual(first.body.message);
    const next = await post(inboxA, { ...body, externalId: `${ticket}-2`, body: 'Any update?', author: 'customer' });
    expect(next.status).toBe(201);
    expect(next.body.conversation.id).toBe(first.body.conversation.id);
    // The customer is found again by the system's id alone; a bot's message threads too.
    const bot = await post(inboxA, {
      conversationExternalId: ticket,
      externalId: `${ticket}-3`,
      customer: { externalId: body.customer.externalId },
      body: 'Order status: shipped',
      author: 'bot',
    });
    expect(bot.status).toBe(201);
    expect(bot.body.conversation.customer.id).toBe(first.body.conversation.customer.id);
    expect(bot.body.message.author.type).toBe('bot');
    const msgs = await t.request('GET', `/api/v1/conversations/${first.body.conversation.id}/messages`, { token: a.token });
    expect(msgs.body.data.map((m: { body: string }) => m.body)).toEqual(['My order is late', 'Any update?', 'Order status: shipped']);

    // Another conversation id: another conversation, same customer.
    const other = await post(inboxA, { conversationExternalId: unique('T-'), externalId: unique('M-'), customer: { email }, body: 'Second topic' });
    expect(other.status).toBe(201);
    expect(other.body.conversation.id).not.toBe(first.body.conversation.id);
    expect(other.body.conversation.customer.id).toBe(first.body.conversation.customer.id);
  });

  it('refuses bad input, wrong roles, other workspaces’ inboxes and closed conversations', async () => {
    const ok = { conversationExternalId: unique('T-'), externalId: unique('M-'), customer: { userId: unique('u') }, body: 'hello' };
    const noCustomer = await post(inboxA, { ...ok, customer: {} });
    expect(noCustomer.status).toBe(400);
    expect(noCustomer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await post(inboxA, { ...ok, externalId: '' })).status).toBe(400);
    expect((await post(inboxA, { ...ok, surprise: true })).status).toBe(400);
    expect((await post(inboxA, { ...ok, customer: { phone: '555' } })).status).toBe(400);
    expect((await t.request('POST', `/api/v1/inboxes/${inboxA}/messages`, { token: a.token, raw: '{"body":' })).status).toBe(400);
    expect((await t.request('POST', `/api/v1/inboxes/${inboxA}/messages`, { body: ok })).status).toBe(401);
    const analyst = await newMember(t, a, 'analyst');
    const partner = await newMember(t, a, 'partner');
    expect((await post(inboxA, ok, analyst.token)).status).toBe(403);
    expect((await post(inboxA, ok, partner.token)).status).toBe(403);
    // B's inbox with A's token, A's inbox with B's: not found; nothing written in either.
    expect((await post(inboxB, ok)).status).toBe(404);
    expect((await post(inboxA, ok, b.token)).status).toBe(404);
    const email = (await t.request('GET', '/api/v1/inboxes', { token: a.token })).body.data.find((i: { channel: string }) => i.channel === 'email').id;
    expect((await post(email, ok)).status).toBe(404);
    expect((await post(inboxA, { ...ok, customer: { id: 'cus_nope' } })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/conversations?channel=api', { token: b.token })).body.data).toHaveLength(0);

    // A closed conversation takes no more messages under its id.
    const created = await post(inboxA, ok);
    expect(created.status).toBe(201);
    await t.request('PATCH', `/api/v1/conversations/${created.body.conversation.id}`, { token: a.token, body: { status: 'closed' } });
    const late = await post(inboxA, { ...ok, externalId: unique('M-') });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/closed/);
    // A message id of another API inbox of the workspace is that inbox's.
    const second = (await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'api', name: 'CRM' } })).body.id;
    expect((await post(second, { ...ok, conversationExternalId: unique('T-') })).status).toBe(409);
    await t.request('PATCH', `/api/v1/inboxes/${second}`, { token: a.token, body: { enabled: false } });
    expect((await post(second, { ...ok, externalId: unique('M-') })).status).toBe(409);
  });

  it('delivers agents’ replies as message.created webhooks carrying conversationExternalId, and marks them sent', async () => {
    const ws = await newWorkspace(t, 'Hooks');
    const inbox = (await t.request('POST', '/api/v1/inboxes', { token: ws.token, body: { channel: 'api' } })).body.id;
    const hook = await t.request('POST', '/api/v1/webhooks', { token: ws.token, body: { url: `${receiver.url}/hooks/replies`, events: ['message.created'] } });
    expect(hook.status).toBe(201);
    const ticket = unique('T-');
    const got = await post(inbox, { conversationExternalId: ticket, externalId: unique('M-'), customer: { externalId: 'c-42' }, body: 'Help' }, ws.token);
    const reply = await t.request('POST', `/api/v1/conversations/${got.body.conversation.id}/messages`, { token: ws.token, body: { body: 'On it!' } });
    await t.request('POST', `/api/v1/conversations/${got.body.conversation.id}/messages`, { token: ws.token, body: { body: 'internal', kind: 'note' } });
    await settle();
    const msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
    expect(msg.body.delivery).toMatchObject({ status: 'sent', error: null });
    const events = receiver.requests.filter((r) => r.path === '/hooks/replies').map((r) => r.json);
    const agent = events.filter((e) => e.data.message.authorType === 'agent');
    expect(agent).toHaveLength(1);
    expect(agent[0]).toMatchObject({
      type: 'message.created',
      data: { inboxId: inbox, conversationExternalId: ticket, message: { id: reply.body.id, body: 'On it!', channel: 'api', kind: 'reply' } },
    });
    // The customer's own message is an event too (filter on authorType); notes are not sent.
    expect(events.some((e) => e.data.message.authorType === 'customer')).toBe(true);
    expect(events.some((e) => e.data.message.body === 'internal')).toBe(false);
  });
});
