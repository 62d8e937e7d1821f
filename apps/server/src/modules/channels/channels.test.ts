// Inboxes, inbound threading and outbound delivery (the channels' shared core), on both engines.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newMember, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../test/harness.js';
import { PermanentDeliveryError, type DeliveryContext, type Sender } from './channels.js';

describe.each(engines)('channels core (%s)', (engine) => {
  let t: TestApp;
  let a: TestWorkspace;
  let b: TestWorkspace;
  const clock = createFakeClock('2026-12-01T10:00:00.000Z');
  const sent: DeliveryContext[] = [];
  let failNext = 0;
  let permanent = false;

  beforeAll(async () => {
    // A test sender for the api channel: records what it is asked to deliver, fails on demand.
    const api: Sender = async (ctx) => {
      if (permanent) throw new PermanentDeliveryError('the number does not take messages');
      if (failNext > 0) {
        failNext--;
        throw new Error('provider answered 503');
      }
      sent.push(ctx);
      return { externalId: `ext-${ctx.message.id}` };
    };
    t = await createTestApp(engine, {
      clock,
      attachmentsDir: mkdtempSync(path.join(tmpdir(), 'rapport-att-')),
      mailDomain: 'mail.rapport.test',
      channelSenders: { api },
    });
    a = await newWorkspace(t, 'Acme Shop');
    b = await newWorkspace(t, 'Bolt');
  });
  afterAll(async () => t?.close());

  const deliver = async () => {
    await t.rapport.logs.drain();
    await t.rapport.jobs.drain();
  };

  it('gives a new workspace a default email inbox on the mail domain', async () => {
    const res = await t.request('GET', '/api/v1/inboxes', { token: a.token });
    expect(res.status).toBe(200);
    const email = res.body.data.filter((i: { channel: string }) => i.channel === 'email');
    expect(email).toHaveLength(1);
    expect(email[0].address).toMatch(/^acme-shop-[0-9a-f]{6}@mail\.rapport\.test$/);
    expect(email[0].isDefault).toBe(true);
  });

  it('creates inboxes per channel, validates their settings, keeps secrets write-only', async () => {
    const address = `${unique('help')}@acme.test`;
    const created = await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'email', address: address.toUpperCase() } });
    expect(created.status).toBe(201);
    expect(created.body.address).toBe(address.toLowerCase());

    const chat = await t.request('POST', '/api/v1/inboxes', {
      token: a.token,
      body: { channel: 'chat', settings: { allowedOrigins: ['https://shop.acme.test'] } },
    });
    expect(chat.status).toBe(201);
    expect(chat.body.generatedSecrets.identitySecret).toMatch(/.{32,}/);
    expect(chat.body.secretsSet).toEqual(['identitySecret']);
    const again = await t.request('GET', `/api/v1/inboxes/${chat.body.id}`, { token: a.token });
    expect(JSON.stringify(again.body)).not.toContain(chat.body.generatedSecrets.identitySecret);
    expect(again.body.settings).toMatchObject({ allowedOrigins: ['https://shop.acme.test'], requireIdentity: false });

    const sms = await t.request('POST', '/api/v1/inboxes', {
      token: a.token,
      body: { channel: 'sms', address: '+14155550100', settings: { accountSid: 'AC0123456789abcdef' }, secrets: { authToken: 'tok-secret-123' } },
    });
    expect(sms.status).toBe(201);
    expect(JSON.stringify(sms.body)).not.toContain('tok-secret-123');
    expect(sms.body.secretsSet).toEqual(['authToken']);

    // Bad settings, a bad address, an address on a channel that has none, an unknown channel.
    expect(
      (await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'chat', settings: { allowedOrigins: ['javascript:alert(1)'] } } })).status,
    ).toBe(400);
    expect((await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'sms', address: '555' } })).status).toBe(400);
    expect((await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'api', address: 'x@y.z' } })).status).toBe(400);
    expect((await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'fax' } })).status).toBe(400);
    expect(
      (await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'email', settings: { evil: true }, address: 'z@acme.test' } })).status,
    ).toBe(400);
    const malformed = await t.request('POST', '/api/v1/inboxes', { token: a.token, raw: '{"channel":' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);

    // An address is one inbox's on the whole server: another workspace cannot take it.
    const taken = await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'email', address } });
    expect(taken.status).toBe(409);
  });

  it('lets no workspace squat another company’s number or page id (review finding M1)', async () => {
    // Numbers and page ids are labels inside a workspace (providers name the inbox in the webhook
    // path): the first workspace to type a company's number neither blocks nor reveals it.
    const number = `+1415${String(Date.now()).slice(-7)}`;
    const squatter = await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'sms', address: number } });
    expect(squatter.status).toBe(201);
    const owner = await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'sms', address: number } });
    expect(owner.status).toBe(201);
    // …while one workspace still cannot hold the same number twice
    const twice = await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'sms', address: number } });
    expect(twice.status).toBe(409);
    const page = String(Date.now());
    expect((await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'messenger', address: page } })).status).toBe(201);
    expect((await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'messenger', address: page } })).status).toBe(201);
  });

  it('lets only settings managers change inboxes, and hides other workspaces’ inboxes', async () => {
    const agent = await newMember(t, a, 'agent');
    const list = await t.request('GET', '/api/v1/inboxes', { token: agent.token });
    expect(list.status).toBe(200);
    expect((await t.request('POST', '/api/v1/inboxes', { token: agent.token, body: { channel: 'api' } })).status).toBe(403);
    const mine = list.body.data[0].id as string;
    expect((await t.request('GET', `/api/v1/inboxes/${mine}`, { token: b.token })).status).toBe(404);
    expect((await t.request('PATCH', `/api/v1/inboxes/${mine}`, { token: b.token, body: { name: 'hijack' } })).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/inboxes/${mine}`, { token: b.token })).status).toBe(404);
    const renamed = await t.request('PATCH', `/api/v1/inboxes/${mine}`, { token: a.token, body: { name: 'Support mail' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Support mail');
    const foreignTeam = (await t.request('POST', '/api/v1/teams', { token: b.token, body: { name: 'B team' } })).body.id as string;
    expect((await t.request('PATCH', `/api/v1/inboxes/${mine}`, { token: a.token, body: { teamId: foreignTeam } })).status).toBe(404);
  });

  it('threads inbound messages: new conversation, then by reference, by own-customer number, continue-latest; dedupes by provider id', async () => {
    const { inbound, inboxes } = t.rapport.services.channels;
    const inbox = (await inboxes.getRecord((await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'api' } })).body.id)) as NonNullable<
      Awaited<ReturnType<typeof inboxes.getRecord>>
    >;
    const email = `${unique('kim')}@example.com`;
    const first = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: email }, name: 'Kim Lee' },
      message: {
        body: 'My parcel has not arrived',
        subject: 'Parcel',
        externalId: '<m1@example.com>',
        attachments: [{ filename: '../../etc/passwd', contentType: 'text/plain', content: Buffer.from('receipt') }],
      },
    });
    expect(first).toMatchObject({ createdConversation: true, duplicate: false });
    const conv = await t.request('GET', `/api/v1/conversations/${first.conversationId}`, { token: a.token });
    expect(conv.body).toMatchObject({ channel: 'api', inboxId: inbox.id, subject: 'Parcel', customer: { email, name: 'Kim Lee' } });

    const replay = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: email } },
      message: { body: 'My parcel has not arrived', externalId: '<m1@example.com>' },
    });
    expect(replay).toMatchObject({ duplicate: true, messageId: first.messageId, conversationId: first.conversationId });

    const byRef = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: email } },
      message: { body: 'Any news?', externalId: '<m2@example.com>' },
      thread: { referencedExternalIds: ['<unknown@x>', '<m1@example.com>'] },
    });
    expect(byRef).toMatchObject({ conversationId: first.conversationId, createdConversation: false });

    // A number threads only into the same customer's conversation: a stranger who guesses it gets a new one.
    const stranger = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: `${unique('eve')}@evil.test` } },
      message: { body: 'let me in', externalId: '<e1@evil.test>' },
      thread: { number: first.conversationNumber },
    });
    expect(stranger.conversationId).not.toBe(first.conversationId);
    const owner = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: email } },
      message: { body: 'number tag' },
      thread: { number: first.conversationNumber },
    });
    expect(owner.conversationId).toBe(first.conversationId);
    const latest = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: email } },
      message: { body: 'latest' },
      thread: { continueLatest: true },
    });
    expect(latest.conversationId).toBe(first.conversationId);

    const messages = await t.request('GET', `/api/v1/conversations/${first.conversationId}/messages`, { token: a.token });
    expect(messages.body.data.map((m: { body: string }) => m.body)).toEqual(['My parcel has not arrived', 'Any news?', 'number tag', 'latest']);
    const att = messages.body.data[0].attachments[0];
    expect(att).toMatchObject({ filename: 'passwd', contentType: 'text/plain', size: 7 });

    // Attachments: agents of the workspace download them; nobody else learns they exist.
    const dl = await t.request('GET', att.url, { token: a.token });
    expect(dl.status).toBe(200);
    expect(dl.text).toBe('receipt');
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect((await t.request('GET', att.url, { token: b.token })).status).toBe(404);
    expect((await t.request('GET', att.url)).status).toBe(401);

    // A closed conversation takes no more mail: the next message opens a follow-up.
    await t.request('PATCH', `/api/v1/conversations/${first.conversationId}`, { token: a.token, body: { status: 'closed' } });
    const after = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'email', value: email } },
      message: { body: 'again', externalId: '<m3@example.com>' },
      thread: { referencedExternalIds: ['<m1@example.com>'] },
    });
    expect(after.createdConversation).toBe(true);
    // Threaded messages spend no conversation number: the follow-up takes the next one.
    expect(after.conversationNumber).toBe(stranger.conversationNumber + 1);
  });

  it('queues an agent reply on an inbox conversation, delivers it once through the sender, retries, records the state', async () => {
    const { inbound, inboxes } = t.rapport.services.channels;
    const inbox = (await inboxes.getRecord((await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'api' } })).body.id))!;
    const got = await inbound.receive({
      inbox,
      contact: { identity: { kind: 'user_id', value: unique('u') }, name: 'Ada' },
      message: { body: 'hello', externalId: 'in-1' },
      thread: { externalId: 'ticket-9' },
    });
    failNext = 2;
    const reply = await t.request('POST', `/api/v1/conversations/${got.conversationId}/messages`, { token: a.token, body: { body: 'Hi Ada, on it.' } });
    expect(reply.status).toBe(201);
    expect(reply.body.delivery).toMatchObject({ status: 'queued', attempts: 0 });
    const note = await t.request('POST', `/api/v1/conversations/${got.conversationId}/messages`, { token: a.token, body: { body: 'internal', kind: 'note' } });
    expect(note.body.delivery).toBeNull();

    await deliver(); // attempt 1 fails
    let msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'queued', attempts: 1, error: 'provider answered 503' });
    clock.advance(60_000);
    await deliver(); // attempt 2 fails
    clock.advance(60_000);
    await deliver(); // attempt 3 succeeds
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'sent', attempts: 3, error: null });
    expect(msg.body.externalId).toBe(`ext-${reply.body.id}`);
    const mine = sent.filter((s) => s.message.id === reply.body.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ conversation: { externalId: 'ticket-9' }, customer: { name: 'Ada' }, references: ['in-1'], inbox: { id: inbox.id } });
    expect(sent.some((s) => s.message.body === 'internal')).toBe(false);

    // A provider's callback moves it forward, never back.
    await t.rapport.services.channels.outbound.updateDelivery(a.workspaceId, { channel: 'api', externalId: `ext-${reply.body.id}` }, 'delivered');
    await t.rapport.services.channels.outbound.updateDelivery(a.workspaceId, { channel: 'api', externalId: `ext-${reply.body.id}` }, 'sent');
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery.status).toBe('delivered');
    // Another workspace's callback for the same provider id changes nothing of this one.
    expect(await t.rapport.services.channels.outbound.updateDelivery(b.workspaceId, { channel: 'api', externalId: `ext-${reply.body.id}` }, 'failed')).toBe(
      false,
    );

    // A permanent failure fails at once, with its reason.
    permanent = true;
    const doomed = await t.request('POST', `/api/v1/conversations/${got.conversationId}/messages`, { token: a.token, body: { body: 'Will not go' } });
    await deliver();
    permanent = false;
    msg = await t.request('GET', `/api/v1/messages/${doomed.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'failed', error: 'the number does not take messages', attempts: 1 });
  });

  it('fails a reply whose inbox was disabled before it went, instead of leaving it queued', async () => {
    const { inbound, inboxes } = t.rapport.services.channels;
    const created = await t.request('POST', '/api/v1/inboxes', { token: a.token, body: { channel: 'api', name: 'Partner API' } });
    const inbox = (await inboxes.getRecord(created.body.id))!;
    const got = await inbound.receive({ inbox, contact: { identity: { kind: 'user_id', value: unique('u') } }, message: { body: 'hi' } });
    const reply = await t.request('POST', `/api/v1/conversations/${got.conversationId}/messages`, { token: a.token, body: { body: 'hello' } });
    expect((await t.request('PATCH', `/api/v1/inboxes/${inbox.id}`, { token: a.token, body: { enabled: false } })).status).toBe(200);
    await deliver();
    const msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'failed', error: 'The inbox Partner API is disabled' });
    expect(sent.some((s) => s.message.id === reply.body.id)).toBe(false);
  });
});
