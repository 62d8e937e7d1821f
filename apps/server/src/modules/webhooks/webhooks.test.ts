// Outgoing webhooks through the public API, on both engines, against real HTTP receivers on
// 127.0.0.1/127.0.0.2 and a real SMTP mailbox: Standard Webhooks signatures checked with the
// `standardwebhooks` library, retries on the fake clock, redelivery, the egress guard at create
// and at delivery (redirects included), auto-disabling with mail, and tenant isolation.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { openMailbox, type Mailbox } from '../../test/mailbox.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';
import { RETRY_SCHEDULE_MS } from './webhooks.service.js';

type Received = { path: string; headers: Record<string, string>; body: string; at: number };
type Reply = { status: number; body?: string; headers?: Record<string, string> };

/** A webhook receiver: records every request; answers each path from its queue of replies (then 200 "ok"). */
async function openReceiver(host: string, now: () => number) {
  const received: Received[] = [];
  const replies = new Map<string, Reply[]>();
  const always = new Map<string, Reply>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8'), at: now() });
      const reply = replies.get(path)?.shift() ?? always.get(path) ?? { status: 200, body: 'ok' };
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://${host}:${port}${path}`,
    port,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    queue: (path: string, ...r: Reply[]) => replies.set(path, [...(replies.get(path) ?? []), ...r]),
    always: (path: string, r: Reply) => always.set(path, r),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type Receiver = Awaited<ReturnType<typeof openReceiver>>;

/** Verifies as a receiver would, with its clock at the moment the request arrived (the test's fake clock). */
function verify(secret: string, r: Received): unknown {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(r.at);
  try {
    return new Webhook(secret).verify(r.body, r.headers);
  } finally {
    spy.mockRestore();
  }
}

/** Runs the log consumers and every due job until nothing is left to do now. */
async function settle(t: TestApp) {
  for (let i = 0; i < 20; i++) {
    await t.rapport.logs.drain();
    if ((await t.rapport.jobs.drain()) === 0) return;
  }
  throw new Error('jobs kept coming');
}

let seq = 0;
const path = (name: string) => `/${name}-${seq++}`;

describe.each(engines)('webhooks on %s', (engine) => {
  // Near the real time, so Standard Webhooks' five-minute tolerance holds for the first attempts.
  const clock = createFakeClock(new Date());
  let t: TestApp;
  let strict: TestApp;
  let mailbox: Mailbox;
  let receiver: Receiver;
  let side: Receiver;
  beforeAll(async () => {
    mailbox = await openMailbox();
    receiver = await openReceiver('127.0.0.1', () => clock.nowMs());
    side = await openReceiver('127.0.0.2', () => clock.nowMs());
    const mail = { smtpRelayUrl: mailbox.relayUrl, mailFrom: 'Rapport <rapport@test.rapport>', publicUrl: 'https://rapport.test' };
    // The operator allows loopback here (the receivers run on it) ...
    t = await createTestApp(engine, { clock, ...mail, webhookAllowHosts: '127.0.0.0/8' });
    // ... and here only the one address 127.0.0.2: every other private target stays refused.
    strict = await createTestApp(engine, { clock, ...mail, webhookAllowHosts: '127.0.0.2' });
  });
  afterAll(async () => {
    await t.close();
    await strict.close();
    await receiver.close();
    await side.close();
    await mailbox.close();
  });

  const subscribe = async (app: TestApp, ws: TestWorkspace, body: Record<string, unknown>) => {
    const res = await app.request('POST', '/api/v1/webhooks', { token: ws.token, body });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string; url: string };
  };
  const deliveries = async (app: TestApp, ws: TestWorkspace, id: string) => {
    const res = await app.request('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ws.token });
    expect(res.status, res.text).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  };
  const reply = (ws: TestWorkspace, conversationId: string, body: string, kind = 'reply') =>
    t.request('POST', `/api/v1/conversations/${conversationId}/messages`, { token: ws.token, body: { body, kind } });

  it('signs every delivery per Standard Webhooks (verified with the standardwebhooks library) and shows the secret once', async () => {
    const ws = await newWorkspace(t);
    const p = path('signed');
    const hook = await subscribe(t, ws, { url: receiver.url(p), events: ['message.created', 'conversation.created'], description: 'CRM sync' });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(hook.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(hook).toMatchObject({
      url: receiver.url(p),
      events: ['message.created', 'conversation.created'],
      enabled: true,
      includeInternal: false,
      description: 'CRM sync',
    });
    // Never again: not in the list, not in the one, not in the delivery log.
    const one = await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: ws.token });
    const list = await t.request('GET', '/api/v1/webhooks', { token: ws.token });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(list.body.data.map((w: { id: string }) => w.id)).toEqual([hook.id]);
    for (const text of [one.text, list.text]) expect(text).not.toContain(hook.secret.slice(6, 20));

    const conversation = await newConversation(t, ws.token, { message: { body: 'My parcel has not arrived.', author: 'customer' } });
    await reply(ws, conversation.id, 'On its way');
    await settle(t);
    const got = receiver.at(p);
    expect(got.map((r) => JSON.parse(r.body).type)).toEqual(['conversation.created', 'message.created', 'message.created']);
    for (const r of got) {
      const envelope = verify(hook.secret, r) as Record<string, any>;
      expect(envelope).toMatchObject({ id: r.headers['webhook-id'], version: 1, workspaceId: ws.workspaceId });
      expect(envelope.id).toMatch(/^evt_/);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-timestamp']).toBe(String(Math.floor(r.at / 1000)));
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      // Another secret, or one changed byte of the body, does not verify.
      expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, r)).toThrow(/signature/i);
      expect(() => verify(hook.secret, { ...r, body: r.body.replace('"version":1', '"version":2') })).toThrow(/signature/i);
    }
    expect(JSON.parse(got[2]?.body ?? '{}').data).toMatchObject({
      message: { body: 'On its way', kind: 'reply', authorType: 'agent', conversationId: conversation.id },
    });

    const log = await deliveries(t, ws, hook.id);
    expect(log).toHaveLength(3);
    expect(log[0]).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      lastStatus: 200,
      lastResponse: 'ok',
      lastError: null,
      eventType: 'message.created',
      manual: false,
    });
    expect(log[0]?.lastDurationMs).toBeGreaterThanOrEqual(0);
    expect(log.map((d) => d.messageId)).toEqual(got.map((r) => r.headers['webhook-id']).reverse());
  });

  it('leaves notes out unless asked for, and "*" leaves out the interaction fire hose unless it is named', async () => {
    const ws = await newWorkspace(t);
    const [all, notes, fire] = [path('all'), path('notes'), path('fire')];
    await subscribe(t, ws, { url: receiver.url(all), events: ['*'] });
    await subscribe(t, ws, { url: receiver.url(notes), events: ['message.created'], includeInternal: true });
    await subscribe(t, ws, { url: receiver.url(fire), events: ['interaction.created'] });
    const conversation = await newConversation(t, ws.token);
    expect((await reply(ws, conversation.id, 'internal only', 'note')).status).toBe(201);
    await settle(t);
    const types = (p: string) => receiver.at(p).map((r) => JSON.parse(r.body).type as string);
    expect(types(all)).toEqual(expect.arrayContaining(['customer.created', 'conversation.created', 'message.created']));
    expect(types(all)).not.toContain('interaction.created');
    expect(receiver.at(all).some((r) => r.body.includes('internal only'))).toBe(false);
    expect(receiver.at(notes).map((r) => JSON.parse(r.body).data.message.kind)).toEqual(['reply', 'note']);
    expect(types(fire).length).toBeGreaterThan(0);
    expect(new Set(types(fire))).toEqual(new Set(['interaction.created']));
  });

  it('retries a 500 on the Standard Webhooks schedule (same webhook-id), then succeeds', async () => {
    const ws = await newWorkspace(t);
    const p = path('flaky');
    receiver.queue(p, { status: 500, body: 'x'.repeat(5000) });
    const hook = await subscribe(t, ws, { url: receiver.url(p), events: ['conversation.created'] });
    await newConversation(t, ws.token);
    await settle(t);
    let [d] = await deliveries(t, ws, hook.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500' });
    expect(d?.lastResponse).toBe('x'.repeat(1024));
    expect(Date.parse(d?.nextAttemptAt) - clock.nowMs()).toBe(5_000);
    // Not before its time.
    clock.advance(4_000);
    await settle(t);
    expect(receiver.at(p)).toHaveLength(1);
    clock.advance(1_000);
    await settle(t);
    [d] = await deliveries(t, ws, hook.id);
    expect(d).toMatchObject({ status: 'succeeded', attempts: 2, lastStatus: 200, lastError: null, nextAttemptAt: null });
    const [first, second] = receiver.at(p);
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(second?.body).toBe(first?.body);
    expect(verify(hook.secret, second as Received)).toMatchObject({ type: 'conversation.created' });
    const sub = await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: ws.token });
    expect(sub.body).toMatchObject({ enabled: true, failingSince: null, lastSuccessAt: clock.nowIso() });
  });

  it('redelivers by hand: the same body under the same webhook-id, one attempt, 202', async () => {
    const ws = await newWorkspace(t);
    const p = path('redeliver');
    const hook = await subscribe(t, ws, { url: receiver.url(p), events: ['conversation.created'] });
    await newConversation(t, ws.token);
    await settle(t);
    const [original] = await deliveries(t, ws, hook.id);
    receiver.queue(p, { status: 503 });
    const res = await t.request('POST', `/api/v1/webhooks/${hook.id}/deliveries/${original?.id}/redeliver`, { token: ws.token });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ status: 'pending', manual: true, redeliveryOf: original?.id, messageId: original?.messageId, attempts: 0 });
    await settle(t);
    // A manual attempt that fails is not retried.
    clock.advance(3_600_000);
    await settle(t);
    const again = await t.request('POST', `/api/v1/webhooks/${hook.id}/deliveries/${res.body.id}/redeliver`, { token: ws.token });
    expect(again.body.redeliveryOf).toBe(original?.id);
    await settle(t);
    const got = receiver.at(p);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([original?.messageId]));
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    verify(hook.secret, got[2] as Received);
    const log = await deliveries(t, ws, hook.id);
    expect(log.map((d) => [d.manual, d.status, d.attempts])).toEqual([
      [true, 'succeeded', 1],
      [true, 'failed', 1],
      [false, 'succeeded', 1],
    ]);
    const detail = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries/${original?.id}`, { token: ws.token });
    expect(detail.body.payload).toBe(got[0]?.body);
    // Unknown deliveries, and deliveries of another webhook, are not found.
    const other = await subscribe(t, ws, { url: receiver.url(path('other')), events: ['team.created'] });
    expect((await t.request('POST', `/api/v1/webhooks/${other.id}/deliveries/${original?.id}/redeliver`, { token: ws.token })).status).toBe(404);
    expect((await t.request('POST', `/api/v1/webhooks/${hook.id}/deliveries/whd_nope/redeliver`, { token: ws.token })).status).toBe(404);
  });

  it('rotates the secret: shown once, and the previous one also signs for a day', async () => {
    const ws = await newWorkspace(t);
    const p = path('rotate');
    const hook = await subscribe(t, ws, { url: receiver.url(p), events: ['team.created'] });
    const rotated = await t.request('POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { token: ws.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'During grace' } });
    await settle(t);
    const [during] = receiver.at(p);
    expect(during?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(verify(rotated.body.secret, during as Received)).toMatchObject({ type: 'team.created' });
    expect(verify(hook.secret, during as Received)).toMatchObject({ type: 'team.created' });
    clock.advance(24 * 3_600_000 + 1);
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'After grace' } });
    await settle(t);
    const after = receiver.at(p)[1] as Received;
    expect(after.headers['webhook-signature']?.split(' ')).toHaveLength(1);
    expect(verify(rotated.body.secret, after)).toMatchObject({ data: { name: 'After grace' } });
    expect(() => verify(hook.secret, after)).toThrow(/signature/i);
    const listed = await t.request('GET', `/api/v1/webhooks`, { token: ws.token });
    expect(listed.text).not.toContain(rotated.body.secret.slice(6, 20));
  });

  it('follows up to 3 redirects, and no more', async () => {
    const ws = await newWorkspace(t);
    const [start, hop, end, loop] = [path('start'), path('hop'), path('end'), path('loop')];
    receiver.always(start, { status: 307, headers: { location: hop } });
    receiver.always(hop, { status: 308, headers: { location: receiver.url(end) } });
    receiver.always(loop, { status: 302, headers: { location: loop } });
    const ok = await subscribe(t, ws, { url: receiver.url(start), events: ['team.created'] });
    const looping = await subscribe(t, ws, { url: receiver.url(loop), events: ['team.created'] });
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Redirects' } });
    await settle(t);
    expect(receiver.at(end)).toHaveLength(1);
    expect(receiver.at(end)[0]?.headers['webhook-id']).toBe(receiver.at(start)[0]?.headers['webhook-id']);
    verify(ok.secret, receiver.at(end)[0] as Received);
    expect((await deliveries(t, ws, ok.id))[0]).toMatchObject({ status: 'succeeded', lastStatus: 200 });
    expect(receiver.at(loop)).toHaveLength(4);
    expect((await deliveries(t, ws, looping.id))[0]).toMatchObject({ status: 'pending', lastStatus: 302, lastError: 'more than 3 redirects' });
  });

  it('refuses private, loopback and link-local targets at create time (422), a hostname resolving to loopback included', async () => {
    const ws = await newWorkspace(strict);
    const port = receiver.port;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://2130706433:${port}/`,
      'http://10.0.0.1/',
      'http://192.168.1.10/',
      'http://172.16.5.5/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://224.0.0.1/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'https://does-not-exist.invalid/',
    ]) {
      const res = await strict.request('POST', '/api/v1/webhooks', { token: ws.token, body: { url, events: ['*'] } });
      expect(res.status, url).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.detail).toContain('refused');
    }
    // The allow-listed address works; moving it to a private one is refused the same way.
    const ok = await subscribe(strict, ws, { url: side.url('/fine'), events: ['*'] });
    const moved = await strict.request('PATCH', `/api/v1/webhooks/${ok.id}`, { token: ws.token, body: { url: `http://127.0.0.1:${port}/` } });
    expect(moved.status).toBe(422);
    expect((await strict.request('GET', `/api/v1/webhooks/${ok.id}`, { token: ws.token })).body.url).toBe(side.url('/fine'));
  });

  it('refuses private targets at delivery time: a redirect to 127.0.0.1 or to localhost is not followed', async () => {
    const ws = await newWorkspace(strict);
    const [toIp, toName] = [path('to-ip'), path('to-name')];
    const target = path('target');
    side.always(toIp, { status: 302, headers: { location: receiver.url(target) } });
    side.always(toName, { status: 307, headers: { location: `http://localhost:${receiver.port}${target}` } });
    const a = await subscribe(strict, ws, { url: side.url(toIp), events: ['team.created'] });
    const b = await subscribe(strict, ws, { url: side.url(toName), events: ['team.created'] });
    await strict.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'SSRF' } });
    await settle(strict);
    expect(side.at(toIp)).toHaveLength(1);
    expect(side.at(toName)).toHaveLength(1);
    expect(receiver.at(target)).toHaveLength(0);
    for (const hook of [a, b]) {
      const [d] = await deliveries(strict, ws, hook.id);
      expect(d).toMatchObject({ status: 'pending', attempts: 1 });
      expect(d?.lastError).toMatch(/^refused \(redirect to (127\.0\.0\.1|localhost):\d+\): .*(is a loopback address|does not resolve to a public address)/);
    }
  });

  it('disables a webhook whose every attempt failed for a day (its last retry exhausted) and mails the owners and admins', async () => {
    const ws = await newWorkspace(t, 'Dead End Ltd');
    const admin = await newMember(t, ws, 'admin');
    const agent = await newMember(t, ws, 'agent');
    const p = path('down');
    receiver.always(p, { status: 503, body: 'maintenance' });
    const hook = await subscribe(t, ws, { url: receiver.url(p), events: ['team.created'] });
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'One' } });
    await settle(t);
    const waits: number[] = [];
    for (let attempt = 2; attempt <= RETRY_SCHEDULE_MS.length; attempt++) {
      const [d] = await deliveries(t, ws, hook.id);
      expect(d).toMatchObject({ status: 'pending', attempts: attempt - 1 });
      const wait = Date.parse(d?.nextAttemptAt) - clock.nowMs();
      waits.push(wait);
      clock.advance(wait);
      await settle(t);
    }
    expect(waits).toEqual(RETRY_SCHEDULE_MS.slice(1));
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3_600_000);
    const [d] = await deliveries(t, ws, hook.id);
    expect(d).toMatchObject({ status: 'failed', attempts: 8, lastStatus: 503, lastResponse: 'maintenance', nextAttemptAt: null });
    expect(receiver.at(p)).toHaveLength(8);
    const sub = (await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: ws.token })).body;
    expect(sub).toMatchObject({ enabled: false });
    expect(sub.disabledReason).toContain('failed');
    // One mail to the owner and the admin, not the agent.
    const [mail] = mailbox.to(ws.email);
    expect(mail?.subject).toBe('A webhook of Dead End Ltd was disabled');
    expect(mail?.text).toContain(receiver.url(p));
    expect(mail?.text).toContain('https://rapport.test/settings/webhooks');
    expect(mailbox.to(admin.email)).toHaveLength(1);
    expect(mailbox.to(agent.email)).toHaveLength(0);
    // Disabled: new events make no deliveries; enabling again resumes them.
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Two' } });
    await settle(t);
    expect(await deliveries(t, ws, hook.id)).toHaveLength(1);
    const conflict = await t.request('POST', `/api/v1/webhooks/${hook.id}/deliveries/${d?.id}/redeliver`, { token: ws.token });
    expect(conflict.status).toBe(409);
    receiver.always(p, { status: 204 });
    const enabled = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: ws.token, body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Three' } });
    await settle(t);
    expect((await deliveries(t, ws, hook.id))[0]).toMatchObject({ status: 'succeeded', lastStatus: 204 });
    const audit = await t.request('GET', `/api/v1/audit-log?objectId=${hook.id}`, { token: ws.token });
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['webhook.created', 'webhook.disabled', 'webhook.updated']),
    );
  });

  it('disables at once on 410 Gone, without retrying, and says so by mail', async () => {
    const ws = await newWorkspace(t, 'Gone Inc');
    const p = path('gone');
    receiver.always(p, { status: 410, body: 'no longer here' });
    const hook = await subscribe(t, ws, { url: receiver.url(p), events: ['team.created'] });
    const keep = await subscribe(t, ws, { url: receiver.url(path('kept')), events: ['team.created'] });
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'A' } });
    await settle(t);
    clock.advance(2 * 86_400_000);
    await settle(t);
    expect(receiver.at(p)).toHaveLength(1);
    expect((await deliveries(t, ws, hook.id))[0]).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410, lastResponse: 'no longer here' });
    const sub = (await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: ws.token })).body;
    expect(sub).toMatchObject({ enabled: false, disabledReason: 'The endpoint answered 410 Gone' });
    expect(mailbox.to(ws.email).map((m) => m.subject)).toEqual(['A webhook of Gone Inc was disabled']);
    expect((await t.request('GET', `/api/v1/webhooks/${keep.id}`, { token: ws.token })).body.enabled).toBe(true);
  });

  it('pages the delivery log newest first; disabling by hand stops new deliveries; deleting removes it all', async () => {
    const ws = await newWorkspace(t);
    const hook = await subscribe(t, ws, { url: receiver.url(path('paged')), events: ['team.created'] });
    for (const name of ['1', '2', '3']) await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name } });
    await settle(t);
    const first = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=2`, { token: ws.token });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.body.nextCursor}`, { token: ws.token });
    expect(second.body).toMatchObject({ nextCursor: null });
    const names = [...first.body.data, ...second.body.data].map((d: { id: string }) => d.id);
    expect(names).toEqual([...names].sort().reverse());
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?cursor=nonsense`, { token: ws.token })).status).toBe(400);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?status=succeeded&limit=200`, { token: ws.token })).body.data).toHaveLength(3);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=500`, { token: ws.token })).status).toBe(400);

    const off = await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, {
      token: ws.token,
      body: { enabled: false, events: ['team.created', 'team.deleted'] },
    });
    expect(off.body).toMatchObject({ enabled: false, disabledReason: null, events: ['team.created', 'team.deleted'] });
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: '4' } });
    await settle(t);
    expect(await deliveries(t, ws, hook.id)).toHaveLength(3);

    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: ws.token })).body).toEqual({ ok: true });
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: ws.token })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: ws.token })).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: ws.token })).status).toBe(404);
  });

  it("keeps tenants apart: another workspace's webhook ids are not found, and its events never reach my webhook", async () => {
    const mine = await newWorkspace(t);
    const theirs = await newWorkspace(t);
    const p = path('mine');
    const hook = await subscribe(t, mine, { url: receiver.url(p), events: ['*'] });
    await newConversation(t, theirs.token);
    await t.request('POST', '/api/v1/teams', { token: theirs.token, body: { name: 'Theirs' } });
    await settle(t);
    expect(receiver.at(p)).toHaveLength(0);
    await t.request('POST', '/api/v1/teams', { token: mine.token, body: { name: 'Mine' } });
    await settle(t);
    const [d] = await deliveries(t, mine, hook.id);
    for (const [method, url, body] of [
      ['GET', `/api/v1/webhooks/${hook.id}`, undefined],
      ['PATCH', `/api/v1/webhooks/${hook.id}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${hook.id}`, undefined],
      ['POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, undefined],
      ['GET', `/api/v1/webhooks/${hook.id}/deliveries`, undefined],
      ['GET', `/api/v1/webhooks/${hook.id}/deliveries/${d?.id}`, undefined],
      ['POST', `/api/v1/webhooks/${hook.id}/deliveries/${d?.id}/redeliver`, undefined],
    ] as const) {
      const res = await t.request(method, url, { token: theirs.token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    expect((await t.request('GET', '/api/v1/webhooks', { token: theirs.token })).body.data).toEqual([]);
    const still = await t.request('GET', `/api/v1/webhooks/${hook.id}`, { token: mine.token });
    expect(still.body).toMatchObject({ enabled: true });
  });

  it('answers bad input with problems: 400 for malformed bodies, 403 for roles without settings.manage, 409 past the limit', async () => {
    const ws = await newWorkspace(t);
    const url = receiver.url('/limits');
    const bad: Array<[unknown, string]> = [
      [{ events: ['*'] }, 'url'],
      [{ url }, 'events'],
      [{ url, events: [] }, 'events'],
      [{ url, events: ['message.made'] }, 'events'],
      [{ url, events: ['*', '*'] }, 'events'],
      [{ url: 'ftp://example.com/x', events: ['*'] }, 'url'],
      [{ url: 'not a url', events: ['*'] }, 'url'],
      [{ url: 'https://user:pw@example.com/', events: ['*'] }, 'url'],
      [{ url: `https://example.com/${'a'.repeat(2100)}`, events: ['*'] }, 'url'],
      [{ url, events: '*' }, 'events'],
      [{ url, events: ['*'], description: 'd'.repeat(501) }, 'description'],
      [{ url, events: ['*'], secret: 'whsec_mine' }, ''],
    ];
    for (const [body, field] of bad) {
      const res = await t.request('POST', '/api/v1/webhooks', { token: ws.token, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      if (field) expect(JSON.stringify(res.body.errors)).toContain(field);
    }
    expect((await t.request('POST', '/api/v1/webhooks', { token: ws.token, raw: '{"url":' })).status).toBe(400);
    const hook = await subscribe(t, ws, { url, events: ['*'] });
    expect((await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: ws.token, body: {} })).status).toBe(400);
    expect((await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: ws.token, body: { enabled: 'yes' } })).status).toBe(400);
    expect((await t.request('PATCH', `/api/v1/webhooks/whk_unknown`, { token: ws.token, body: { enabled: false } })).status).toBe(404);
    const agent = await newMember(t, ws, 'agent');
    expect((await t.request('GET', '/api/v1/webhooks', { token: agent.token })).status).toBe(403);
    expect((await t.request('POST', '/api/v1/webhooks', { token: agent.token, body: { url, events: ['*'] } })).status).toBe(403);
    expect((await t.request('GET', '/api/v1/webhooks')).status).toBe(401);
    for (let i = 1; i < 20; i++) await subscribe(t, ws, { url: receiver.url(`/limits-${i}`), events: ['team.created'] });
    const over = await t.request('POST', '/api/v1/webhooks', { token: ws.token, body: { url, events: ['*'] } });
    expect(over.status).toBe(409);
    expect(over.body.detail).toContain('at most 20');
  });

  it('erasing a customer (GDPR) erases the delivery copies of events about them', async () => {
    const ws = await newWorkspace(t);
    const hook = await subscribe(t, ws, { url: receiver.url(path('gdpr')), events: ['customer.created', 'conversation.created', 'team.created'] });
    const conversation = await newConversation(t, ws.token);
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Unrelated' } });
    await settle(t);
    expect(await deliveries(t, ws, hook.id)).toHaveLength(3);
    const erased = await t.request('DELETE', `/api/v1/customers/${conversation.customer.id}`, { token: ws.token });
    expect(erased.status, erased.text).toBe(200);
    expect(erased.body.counts.webhookDeliveries).toBe(2);
    expect((await deliveries(t, ws, hook.id)).map((d) => d.eventType)).toEqual(['team.created']);
  });
});
