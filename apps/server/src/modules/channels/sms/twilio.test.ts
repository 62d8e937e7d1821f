// SMS through Twilio on both engines: signed inbound posts (twilio's own signature helper),
// replays, bad and cross-workspace signatures, outbound through a fake Messages API with retries
// and permanent refusals, and status callbacks.
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../platform/clock.js';
import { startFakeProvider, type FakeProvider } from '../../../test/fakes/providers.js';
import { createTestApp, engines, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../../test/harness.js';

const PUBLIC = 'https://rapport.example';
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const sid = () => `SM${unique('').replace(/[^0-9a-z]/gi, '')}0000000000`.slice(0, 34);

describe.each(engines)('SMS via Twilio (%s)', (engine) => {
  let t: TestApp;
  let fake: FakeProvider;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let inboxA: { id: string; address: string };
  let inboxB: { id: string; address: string };
  const accountA = `AC${'a1'.repeat(16)}`;
  const clock = createFakeClock('2026-12-01T10:00:00.000Z');

  beforeAll(async () => {
    fake = await startFakeProvider();
    t = await createTestApp(engine, { clock, publicUrl: PUBLIC, twilioApiUrl: fake.url });
    a = await newWorkspace(t, 'Acme');
    b = await newWorkspace(t, 'Bolt');
    const n = String(Math.floor(Math.random() * 9_000_000) + 1_000_000);
    const ra = await t.request('POST', '/api/v1/inboxes', {
      token: a.token,
      body: { channel: 'sms', address: `+1415${n}`, settings: { accountSid: accountA }, secrets: { authToken: 'token-of-a' } },
    });
    const rb = await t.request('POST', '/api/v1/inboxes', {
      token: b.token,
      body: { channel: 'sms', address: `+1416${n}`, settings: { accountSid: `AC${'b2'.repeat(16)}` }, secrets: { authToken: 'token-of-b' } },
    });
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    inboxA = ra.body;
    inboxB = rb.body;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const deliver = async () => {
    await t.rapport.logs.drain();
    await t.rapport.jobs.drain();
  };

  /** Posts as Twilio does: the form, signed over the URL Twilio called with the auth token. */
  function post(path: string, params: Record<string, string>, o: { authToken: string; url?: string; signature?: string | null; host?: string }) {
    const url = o.url ?? `${PUBLIC}${path}`;
    const signature = o.signature === undefined ? twilio.getExpectedTwilioSignature(o.authToken, url, params) : o.signature;
    return t.request('POST', path, {
      raw: new URLSearchParams(params).toString(),
      headers: { ...form, ...(signature !== null ? { 'x-twilio-signature': signature } : {}), ...(o.host ? { host: o.host } : {}) },
    });
  }
  const sms = (inbox: { id: string; address: string }, from: string, body: string, extra: Record<string, string> = {}) => ({
    MessageSid: sid(),
    AccountSid: inbox === inboxA ? accountA : `AC${'b2'.repeat(16)}`,
    From: from,
    To: inbox.address,
    Body: body,
    NumMedia: '0',
    ...extra,
  });
  const conversationsOf = async (ws: TestWorkspace) =>
    (await t.request('GET', '/api/v1/conversations?channel=sms&limit=100', { token: ws.token })).body.data as any[];
  const messagesOf = async (ws: TestWorkspace, id: string) =>
    (await t.request('GET', `/api/v1/conversations/${id}/messages`, { token: ws.token })).body.data as any[];

  it('takes a signed SMS: the customer by phone, one conversation, empty TwiML; a replayed MessageSid is stored once', async () => {
    const phone = `+4420${String(Date.now()).slice(-8)}`;
    const first = sms(inboxA, phone, 'Where is my parcel?', {
      NumMedia: '1',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      MediaContentType0: 'image/jpeg',
      ProfileName: 'Pat',
    });
    const res = await post(`/channels/twilio/${inboxA.id}/sms`, first, { authToken: 'token-of-a' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.text).toContain('<Response/>');
    // Twilio retries what it thinks failed: the same MessageSid again stores nothing new.
    expect((await post(`/channels/twilio/${inboxA.id}/sms`, first, { authToken: 'token-of-a' })).status).toBe(200);
    expect((await post(`/channels/twilio/${inboxA.id}/sms`, sms(inboxA, phone, 'Any news?'), { authToken: 'token-of-a' })).status).toBe(200);

    const convs = (await conversationsOf(a)).filter((c) => c.customer.phone === phone);
    expect(convs).toHaveLength(1);
    expect(convs[0]).toMatchObject({ channel: 'sms', inboxId: inboxA.id, customer: { phone, name: 'Pat' } });
    const msgs = await messagesOf(a, convs[0].id);
    expect(msgs.map((m) => m.body)).toEqual([
      'Where is my parcel?\n[media] https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      'Any news?',
    ]);
    expect(msgs[0]).toMatchObject({ channel: 'sms', externalId: first.MessageSid, author: { type: 'customer' } });
    const customers = await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(phone)}`, { token: a.token });
    expect(customers.body.data.filter((c: { phone: string }) => c.phone === phone)).toHaveLength(1);
  });

  it('stores MMS media fetched from the inbox’s own Twilio account; never requests other addresses a post names', async () => {
    fake.reset();
    const phone = '+4479111222333';
    const own = `${fake.url}/2010-04-01/Accounts/${accountA}/Messages/MM1/Media/ME1`;
    const res = await post(
      `/channels/twilio/${inboxA.id}/sms`,
      sms(inboxA, phone, 'Photo of the damage', {
        NumMedia: '4',
        MediaUrl0: own,
        MediaContentType0: 'image/jpeg',
        MediaUrl1: `${fake.url}/2010-04-01/Accounts/${accountA}/Messages/%2e%2e/%2e%2e/ACother/Messages/MM1/Media/ME2`,
        MediaUrl2: 'http://169.254.169.254/latest/meta-data/',
        MediaUrl3: `${fake.url}/2010-04-01/Accounts/AC${'c3'.repeat(16)}/Messages/MM1/Media/ME3`,
      }),
      { authToken: 'token-of-a' },
    );
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual([`/2010-04-01/Accounts/${accountA}/Messages/MM1/Media/ME1`]);
    expect(fake.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${accountA}:token-of-a`).toString('base64')}`);
    const conv = (await conversationsOf(a)).find((c) => c.customer.phone === phone);
    const [msg] = await messagesOf(a, conv.id);
    expect(msg.body).toBe('Photo of the damage');
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]).toMatchObject({ filename: 'media-1.jpg', contentType: 'image/jpeg' });
    const file = await t.request('GET', msg.attachments[0].url, { token: a.token });
    expect(file.text).toBe('jpeg bytes of ME1');
  });

  it('stores concurrent retries of one MessageSid once, and refuses oversize forms', async () => {
    const phone = '+4479111222444';
    const one = sms(inboxA, phone, 'sent thrice at once');
    const answers = await Promise.all([1, 2, 3].map(() => post(`/channels/twilio/${inboxA.id}/sms`, one, { authToken: 'token-of-a' })));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const conv = (await conversationsOf(a)).filter((c) => c.customer.phone === phone);
    expect(conv).toHaveLength(1);
    expect(await messagesOf(a, conv[0].id)).toHaveLength(1);
    const huge = await post(`/channels/twilio/${inboxA.id}/sms`, sms(inboxA, phone, 'x'.repeat(70_000)), { authToken: 'token-of-a' });
    expect(huge.status).toBe(413);
  });

  it('accepts the URL the request names (Host) when Twilio was given another host than RAPPORT_PUBLIC_URL', async () => {
    const path = `/channels/twilio/${inboxA.id}/sms`;
    const res = await post(path, sms(inboxA, '+33612345678', 'via tunnel'), {
      authToken: 'token-of-a',
      url: `http://tunnel.example${path}`,
      host: 'tunnel.example',
    });
    expect(res.status).toBe(200);
  });

  it('refuses bad, missing and other workspaces’ signatures, unknown inboxes and malformed posts; stores nothing', async () => {
    const phone = '+4915112345678';
    const path = `/channels/twilio/${inboxA.id}/sms`;
    const bad = await post(path, sms(inboxA, phone, 'forged'), { authToken: 'token-of-a', signature: 'bm90IGEgc2lnbmF0dXJl' });
    expect(bad.status).toBe(403);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await post(path, sms(inboxA, phone, 'unsigned'), { authToken: 'token-of-a', signature: null })).status).toBe(403);
    // Signed for another URL (the status endpoint) is not valid here.
    const elsewhere = await post(path, sms(inboxA, phone, 'moved'), { authToken: 'token-of-a', url: `${PUBLIC}/channels/twilio/${inboxA.id}/status` });
    expect(elsewhere.status).toBe(403);
    // Workspace A's token signing a post to B's inbox: refused, nothing lands in B.
    const cross = await post(`/channels/twilio/${inboxB.id}/sms`, sms(inboxB, phone, 'inject into B'), { authToken: 'token-of-a' });
    expect(cross.status).toBe(403);
    expect(await conversationsOf(b)).toHaveLength(0);
    // Unknown inboxes (and inboxes of another channel).
    expect((await post(`/channels/twilio/inb_${'0'.repeat(32)}/sms`, sms(inboxA, phone, 'x'), { authToken: 'token-of-a' })).status).toBe(404);
    const email = (await t.request('GET', '/api/v1/inboxes', { token: a.token })).body.data.find((i: { channel: string }) => i.channel === 'email');
    expect((await post(`/channels/twilio/${email.id}/sms`, sms(inboxA, phone, 'x'), { authToken: 'token-of-a' })).status).toBe(404);
    // Signed, but not a message: 400 with the fields; not a form: 415.
    const malformed = await post(path, { From: phone, Body: 'no sid' }, { authToken: 'token-of-a' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors.map((e: { path: string }) => e.path)).toContain('MessageSid');
    const notE164 = await post(path, sms(inboxA, 'alice', 'short code'), { authToken: 'token-of-a' });
    expect(notE164.status).toBe(400);
    const json = await t.request('POST', path, { body: sms(inboxA, phone, 'json') });
    expect(json.status).toBe(415);
    expect((await conversationsOf(a)).some((c) => c.customer.phone === phone)).toBe(false);
  });

  it('sends an agent reply through Twilio (basic auth, From/To/Body/StatusCallback), retries a 500, takes status callbacks', async () => {
    const phone = '+61412345678';
    await post(`/channels/twilio/${inboxA.id}/sms`, sms(inboxA, phone, 'Hello?'), { authToken: 'token-of-a' });
    const conv = (await conversationsOf(a)).find((c) => c.customer.phone === phone);
    fake.reset();
    fake.failNext(1, 500, { code: 20500, message: 'Internal Server Error' });
    const reply = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { body: 'Hi! It ships today.' } });
    expect(reply.status).toBe(201);
    await deliver();
    let msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'queued', attempts: 1 });
    expect(msg.body.delivery.error).toContain('20500');
    clock.advance(60_000);
    await deliver();
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'sent', attempts: 2, error: null });
    expect(fake.requests).toHaveLength(2);
    const call = fake.requests[1]!;
    expect(call.path).toBe(`/2010-04-01/Accounts/${accountA}/Messages.json`);
    expect(call.headers.authorization).toBe(`Basic ${Buffer.from(`${accountA}:token-of-a`).toString('base64')}`);
    expect(call.form).toEqual({
      From: inboxA.address,
      To: phone,
      Body: 'Hi! It ships today.',
      StatusCallback: `${PUBLIC}/channels/twilio/${inboxA.id}/status`,
    });
    const twilioSid = msg.body.externalId as string;
    expect(twilioSid).toMatch(/^SM[0-9a-f]{32}$/);

    // Status callbacks, signed the same way: delivered; B's path with A's token changes nothing.
    const statusPath = `/channels/twilio/${inboxA.id}/status`;
    const crossStatus = await post(
      `/channels/twilio/${inboxB.id}/status`,
      { MessageSid: twilioSid, MessageStatus: 'failed', ErrorCode: '30003' },
      { authToken: 'token-of-a' },
    );
    expect(crossStatus.status).toBe(403);
    expect((await post(statusPath, { MessageSid: twilioSid, MessageStatus: 'delivered' }, { authToken: 'token-of-a', signature: 'x' })).status).toBe(403);
    expect((await post(statusPath, { MessageSid: twilioSid, MessageStatus: 'delivered', AccountSid: accountA }, { authToken: 'token-of-a' })).status).toBe(200);
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery.status).toBe('delivered');
    expect((await post(statusPath, { MessageSid: twilioSid, MessageStatus: 'bogus' }, { authToken: 'token-of-a' })).status).toBe(400);

    // Undelivered: failed with Twilio's error code.
    const second = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { body: 'Still there?' } });
    await deliver();
    const secondSid = (await t.request('GET', `/api/v1/messages/${second.body.id}`, { token: a.token })).body.externalId as string;
    await post(statusPath, { MessageSid: secondSid, MessageStatus: 'undelivered', ErrorCode: '30003' }, { authToken: 'token-of-a' });
    msg = await t.request('GET', `/api/v1/messages/${second.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'failed', error: 'Twilio: undelivered (error 30003)' });
  });

  it('fails at once on a permanent Twilio refusal (21610 unsubscribed), with its reason', async () => {
    const phone = '+61498765432';
    await post(`/channels/twilio/${inboxA.id}/sms`, sms(inboxA, phone, 'STOP'), { authToken: 'token-of-a' });
    const conv = (await conversationsOf(a)).find((c) => c.customer.phone === phone);
    fake.reset();
    fake.failNext(1, 400, { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 });
    const reply = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { body: 'Sorry to see you go' } });
    await deliver();
    clock.advance(3_600_000);
    await deliver();
    const msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: a.token });
    expect(msg.body.delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(msg.body.delivery.error).toBe('Twilio refused the message (error 21610): Attempt to send to unsubscribed recipient');
    expect(fake.requests).toHaveLength(1);
  });
});
