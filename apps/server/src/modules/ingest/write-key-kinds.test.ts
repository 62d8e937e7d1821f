// Finding 4 of the security review (issue 8): a public write key (it sits in web pages) could
// rename known customers, overwrite their traits and merge two of them. Client keys now only
// add; server keys keep today's behaviour; CORS answers only for client keys' origins.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engines, newConversation, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe.each(engines)('finding 4: client and server write keys on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  async function keyOf(ws: TestWorkspace, kind: 'client' | 'server', allowedOrigins: string[] = []) {
    const res = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: kind, kind, allowedOrigins } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind, allowedOrigins });
    return res.body.key as string;
  }
  const send = (key: string, batch: unknown[], headers: Record<string, string> = {}) =>
    t.request('POST', '/v1/batch', { headers: { ...basic(key), ...headers }, body: { batch } });
  const customers = async (ws: TestWorkspace) =>
    (await t.request('GET', '/api/v1/customers?limit=100', { token: ws.token })).body.data as Array<Record<string, any>>;
  const timeline = async (ws: TestWorkspace, id: string) =>
    (await t.request('GET', `/api/v1/customers/${id}/timeline?limit=100`, { token: ws.token })).body.data as Array<Record<string, any>>;

  /** A known customer an agent created (name, email, traits), with a service conversation. */
  async function knownCustomer(ws: TestWorkspace, email: string, name: string) {
    const res = await t.request('POST', '/api/v1/customers', { token: ws.token, body: { name, email, traits: { plan: 'enterprise' } } });
    expect(res.status).toBe(201);
    await newConversation(t, ws.token, { customer: { id: res.body.id } });
    return res.body.id as string;
  }

  it('a client key cannot rename, overwrite traits of, or attach events to a customer known by email', async () => {
    const ws = await newWorkspace(t);
    const victim = await knownCustomer(ws, 'vip@example.com', 'Vera Vip');
    const client = await keyOf(ws, 'client');
    const res = await send(client, [
      { type: 'identify', anonymousId: 'attacker-anon', traits: { email: 'vip@example.com', name: 'Hacked Name', plan: 'free', note: 'added' } },
      { type: 'track', anonymousId: 'attacker-anon', event: 'Fake Purchase', properties: { email: 'vip@example.com' } },
    ]);
    expect(res.status).toBe(200);
    const profile = (await t.request('GET', `/api/v1/customers/${victim}`, { token: ws.token })).body;
    expect(profile).toMatchObject({ name: 'Vera Vip', email: 'vip@example.com', traits: { plan: 'enterprise' } });
    expect(profile.traits.note).toBeUndefined();
    expect((await timeline(ws, victim)).some((i) => i.name === 'Fake Purchase')).toBe(false);
  });

  it('a client key cannot merge two known customers by email and phone', async () => {
    const ws = await newWorkspace(t);
    const a = await knownCustomer(ws, 'a@example.com', 'Ann');
    const b = (await t.request('POST', '/api/v1/customers', { token: ws.token, body: { name: 'Bob', phone: '+15550111' } })).body.id as string;
    const client = await keyOf(ws, 'client');
    await send(client, [{ type: 'identify', anonymousId: 'x1', traits: { email: 'a@example.com', phone: '+15550111' } }]);
    const list = await customers(ws);
    expect(list.map((c) => c.id)).toEqual(expect.arrayContaining([a, b]));
    expect((await t.request('GET', `/api/v1/customers/${b}`, { token: ws.token })).status).toBe(200);
    const conv = await t.request('GET', `/api/v1/conversations?customerId=${a}`, { token: ws.token });
    expect(conv.body.data).toHaveLength(1);
  });

  it('a client key attaches events to a userId only when the back end signed it (HMAC of the userId)', async () => {
    const ws = await newWorkspace(t);
    const server = await keyOf(ws, 'server');
    await send(server, [{ type: 'identify', userId: 'user-42', traits: { email: 'u42@example.com', name: 'Uma' } }]);
    const known = (await customers(ws)).find((c) => c.email === 'u42@example.com') as Record<string, any>;
    expect(known).toBeDefined();
    const client = await keyOf(ws, 'client');
    const { secret } = (await t.request('GET', '/api/v1/identity-secret', { token: ws.token })).body;
    expect(secret).toMatch(/^[\w-]{40,}$/);

    // Unsigned and wrongly signed: a separate, client-only customer.
    await send(client, [{ type: 'track', userId: 'user-42', anonymousId: 'anon-a', event: 'Unsigned Event' }]);
    await send(client, [{ type: 'track', userId: 'user-42', anonymousId: 'anon-b', event: 'Forged Event', context: { userHash: 'f'.repeat(64) } }]);
    expect((await timeline(ws, known.id)).map((i) => i.name)).not.toEqual(expect.arrayContaining(['Unsigned Event']));
    expect((await timeline(ws, known.id)).some((i) => i.name === 'Forged Event')).toBe(false);

    // Signed: the anonymous visitor is stitched onto the known user.
    const userHash = createHmac('sha256', secret).update('user-42').digest('hex');
    await send(client, [{ type: 'page', anonymousId: 'anon-c', name: 'Pricing', properties: { path: '/pricing' } }]);
    await send(client, [{ type: 'identify', userId: 'user-42', anonymousId: 'anon-c', traits: { name: 'Renamed' }, context: { userHash } }]);
    const names = (await timeline(ws, known.id)).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['Pricing']));
    // Even signed, a client key only adds: the server-set name stays.
    expect((await t.request('GET', `/api/v1/customers/${known.id}`, { token: ws.token })).body.name).toBe('Uma');

    // Rotating the secret makes old signatures fail.
    const rotated = await t.request('POST', '/api/v1/identity-secret/rotate', { token: ws.token });
    expect(rotated.body.secret).not.toBe(secret);
    await send(client, [{ type: 'track', userId: 'user-42', anonymousId: 'anon-d', event: 'Old Signature', context: { userHash } }]);
    expect((await timeline(ws, known.id)).some((i) => i.name === 'Old Signature')).toBe(false);
  });

  it('a server key keeps merging and updating as before', async () => {
    const ws = await newWorkspace(t);
    const a = await knownCustomer(ws, 'merge-a@example.com', 'Ann');
    const b = (await t.request('POST', '/api/v1/customers', { token: ws.token, body: { name: 'Bob', phone: '+15550222' } })).body.id as string;
    const server = await keyOf(ws, 'server');
    await send(server, [{ type: 'identify', userId: 'u-ab', traits: { email: 'merge-a@example.com', phone: '+15550222', plan: 'pro' } }]);
    const profile = (await t.request('GET', `/api/v1/customers/${a}`, { token: ws.token })).body;
    expect(profile.traits.plan).toBe('pro');
    expect((await customers(ws)).map((c) => c.id)).not.toContain(b);
  });

  it('answers CORS for a client key from its allowed origins only; never for server keys or the cookie API', async () => {
    const ws = await newWorkspace(t);
    const client = await keyOf(ws, 'client', ['https://shop.example.com']);
    const server = await keyOf(ws, 'server');
    const event = [{ type: 'track', anonymousId: 'c1', event: 'Viewed' }];

    const preflight = await t.request('OPTIONS', '/v1/t', {
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');

    const allowed = await send(client, event, { origin: 'https://shop.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const refused = await send(client, event, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const serverFromBrowser = await send(server, event, { origin: 'https://shop.example.com' });
    expect(serverFromBrowser.status).toBe(403);
    expect(serverFromBrowser.headers['access-control-allow-origin']).toBeUndefined();
    const settings = await t.request('GET', `/v1/projects/${client}/settings`, { headers: { origin: 'https://shop.example.com' } });
    expect(settings.status).toBe(200);
    expect(settings.headers['access-control-allow-origin']).toBe('https://shop.example.com');

    // The cookie-authenticated API never answers CORS.
    const me = await t.request('GET', '/api/v1/me', { token: ws.token, headers: { origin: 'https://shop.example.com' } });
    expect(me.headers['access-control-allow-origin']).toBeUndefined();
    const apiPreflight = await t.request('OPTIONS', '/api/v1/me', { headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'GET' } });
    expect(apiPreflight.status).toBe(404);
    expect(apiPreflight.headers['access-control-allow-origin']).toBeUndefined();

    // Origins are edited on client keys only, and validated.
    const keys = (await t.request('GET', '/api/v1/write-keys', { token: ws.token })).body.data as Array<{ id: string; kind: string }>;
    const clientId = keys.find((k) => k.kind === 'client')?.id;
    const serverId = keys.find((k) => k.kind === 'server')?.id;
    expect((await t.request('PATCH', `/api/v1/write-keys/${clientId}`, { token: ws.token, body: { allowedOrigins: ['https://evil.example'] } })).status).toBe(
      200,
    );
    expect((await send(client, event, { origin: 'https://evil.example' })).status).toBe(200);
    expect((await t.request('PATCH', `/api/v1/write-keys/${serverId}`, { token: ws.token, body: { allowedOrigins: ['https://x.example'] } })).status).toBe(400);
    expect(
      (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'bad', kind: 'client', allowedOrigins: ['javascript:alert(1)'] } }))
        .status,
    ).toBe(400);
  });
});
