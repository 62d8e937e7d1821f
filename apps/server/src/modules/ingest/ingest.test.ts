// Segment-compatible ingest through real HTTP (analytics-node) and raw requests, identity
// stitching with the service desk, merges, write keys and bad input, on both engines.
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

async function newWriteKey(t: TestApp, ws: TestWorkspace): Promise<string> {
  const res = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'website' } });
  expect(res.status).toBe(201);
  return res.body.key;
}

async function customerByEmail(t: TestApp, ws: TestWorkspace, email: string) {
  const list = await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(email)}`, { token: ws.token });
  expect(list.body.data).toHaveLength(1);
  const res = await t.request('GET', `/api/v1/customers/${list.body.data[0].id}`, { token: ws.token });
  expect(res.status).toBe(200);
  return res.body;
}

async function timeline(t: TestApp, ws: TestWorkspace, customerId: string, query = '') {
  const res = await t.request('GET', `/api/v1/customers/${customerId}/timeline?limit=200${query}`, { token: ws.token });
  expect(res.status).toBe(200);
  return res.body.data as Array<Record<string, any>>;
}

describe.each(engines)('ingest on %s', (engine) => {
  let t: TestApp;
  let baseUrl: string;
  const clock = createFakeClock('2026-03-01T10:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    baseUrl = await t.listen();
  });
  afterAll(async () => t.close());

  const batch = (key: string, events: unknown[], extra: Record<string, unknown> = {}) =>
    t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: events, sentAt: clock.nowIso(), ...extra } });

  it('creates write keys shown once and stored hashed, lists and revokes them, audit-logged, owners only', async () => {
    const ws = await newWorkspace(t);
    const created = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'website' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^wk_/), name: 'website', key: expect.stringMatching(/^rwk_/), revokedAt: null });
    const list = await t.request('GET', '/api/v1/write-keys', { token: ws.token });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].key).toBeUndefined();
    expect(created.body.key.startsWith(list.body.data[0].prefix)).toBe(true);
    const agent = await newMember(t, ws, 'agent');
    expect((await t.request('POST', '/api/v1/write-keys', { token: agent.token, body: { name: 'x' } })).status).toBe(403);
    const revoked = await t.request('DELETE', `/api/v1/write-keys/${created.body.id}`, { token: ws.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const audit = await t.request('GET', '/api/v1/audit-log', { token: ws.token });
    const actions = audit.body.data.map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['write_key.created', 'write_key.revoked']));
  });

  it('stores track, identify, page, screen, group and alias sent by analytics-node, stitched onto the service-desk customer', async () => {
    const ws = await newWorkspace(t);
    const writeKey = await newWriteKey(t, ws);
    const email = `${unique('ada')}@example.com`;
    const conv = await newConversation(t, ws.token, { customer: { email, name: 'Ada' } });

    const analytics = new Analytics({ writeKey, host: baseUrl, path: '/v1/batch', flushAt: 50, maxEventsInBatch: 50 });
    analytics.page({
      anonymousId: 'anon-1',
      name: 'Pricing',
      properties: { path: '/pricing', title: 'Pricing' },
      context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0', campaign: { name: 'spring', source: 'newsletter', medium: 'email' } },
    });
    analytics.track({ anonymousId: 'anon-1', event: 'Checkout Started', properties: { cart: 3 } });
    analytics.identify({ userId: 'user-1', anonymousId: 'anon-1', traits: { email: email.toUpperCase(), name: 'Ada Lovelace', plan: 'pro' } });
    analytics.track({ userId: 'user-1', event: 'Order Completed', properties: { total: 42 } });
    analytics.group({ userId: 'user-1', groupId: 'acme', traits: { name: 'Acme Inc', plan: 'enterprise' } });
    analytics.alias({ userId: 'user-1', previousId: 'old-device' });
    analytics.screen({ userId: 'user-1', name: 'Home' });
    await analytics.closeAndFlush();
    await t.rapport.logs.drain();

    const c = await customerByEmail(t, ws, email);
    expect(c.id).toBe(conv.customer.id);
    expect(c.name).toBe('Ada Lovelace');
    expect(c.traits).toMatchObject({ plan: 'pro' });
    expect(c.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`)).toEqual(
      expect.arrayContaining(['anonymous_id:anon-1', 'anonymous_id:old-device', 'email:' + email, 'user_id:user-1']),
    );
    expect(c.organizations).toEqual([expect.objectContaining({ groupId: 'acme', name: 'Acme Inc', traits: { name: 'Acme Inc', plan: 'enterprise' } })]);
    expect(c.openConversations.map((x: { id: string }) => x.id)).toEqual([conv.id]);
    expect(c.firstSeenAt).not.toBeNull();

    const items = await timeline(t, ws, c.id);
    const names = items.map((i) => `${i.kind}:${i.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'page:Pricing',
        'event:Checkout Started',
        'identify:Identified',
        'event:Order Completed',
        'group:Joined Group',
        'alias:Aliased',
        'screen:Home',
        'conversation:Conversation Opened',
        'message:Message Received',
      ]),
    );
    const pricing = items.find((i) => i.name === 'Pricing');
    expect(pricing).toMatchObject({ channel: 'web', stage: 'research', department: 'marketing', touchpoint: { key: 'pricing_page' }, origin: 'customer' });
    expect(pricing?.properties.context).toMatchObject({
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0',
      campaign: { source: 'newsletter' },
      library: { name: expect.any(String) },
    });
    expect(items.find((i) => i.name === 'Order Completed')).toMatchObject({ stage: 'purchase', touchpoint: { key: 'checkout' } });
    expect(items.find((i) => i.kind === 'conversation')).toMatchObject({ touchpoint: { key: 'support_conversation' }, stage: 'post_sales' });
    // The stream is newest first.
    const times = items.map((i) => i.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('serves analytics.js: its settings, its short paths and text/plain bodies with the key inside', async () => {
    const ws = await newWorkspace(t);
    const writeKey = await newWriteKey(t, ws);
    const settings = await t.request('GET', `/v1/projects/${writeKey}/settings`, { headers: { host: 'rapport.test' } });
    expect(settings.status).toBe(200);
    expect(settings.body.integrations['Segment.io']).toEqual({ apiKey: writeKey, apiHost: 'rapport.test/v1', protocol: 'http' });
    expect((await t.request('GET', '/v1/projects/rwk_nope/settings')).status).toBe(401);
    const plain = { 'content-type': 'text/plain;charset=UTF-8' };
    const ts = clock.nowIso();
    expect(
      (
        await t.request('POST', '/v1/p', {
          headers: plain,
          raw: JSON.stringify({
            type: 'page',
            anonymousId: 'ajs-1',
            name: 'Home',
            properties: { path: '/' },
            writeKey,
            messageId: 'ajs-m1',
            timestamp: ts,
            sentAt: ts,
          }),
        })
      ).status,
    ).toBe(200);
    const identify = {
      type: 'identify',
      userId: 'ajs-user',
      anonymousId: 'ajs-1',
      traits: { email: 'ajs@example.com' },
      writeKey,
      messageId: 'ajs-m2',
      timestamp: ts,
    };
    expect((await t.request('POST', '/v1/i', { headers: plain, raw: JSON.stringify(identify) })).status).toBe(200);
    const b = await t.request('POST', '/v1/b', {
      headers: plain,
      raw: JSON.stringify({ writeKey, batch: [{ type: 'track', anonymousId: 'ajs-1', event: 'Clicked', messageId: 'ajs-m3', timestamp: ts }] }),
    });
    expect(b.status).toBe(200);
    const c = await customerByEmail(t, ws, 'ajs@example.com');
    expect((await timeline(t, ws, c.id)).map((i) => i.name)).toEqual(expect.arrayContaining(['Home', 'Identified', 'Clicked']));
  });

  it('dedupes by messageId: a retried batch stores nothing twice', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    const events = Array.from({ length: 20 }, (_, i) => ({
      type: 'track',
      userId: 'retry-user',
      event: 'Feature Used',
      messageId: `m-${i}`,
      timestamp: clock.nowIso(),
      traits: {},
      context: { traits: { email: 'retry@example.com' } },
    }));
    expect((await batch(key, events)).body).toEqual({ success: true, rejected: [], rejectedCount: 0 });
    expect((await batch(key, events)).status).toBe(200);
    expect((await batch(key, [...events, events[0]])).status).toBe(200);
    const c = await customerByEmail(t, ws, 'retry@example.com');
    expect((await timeline(t, ws, c.id, '&kind=event')).length).toBe(20);
    expect(c.counts.interactions).toBe(20);
  });

  it('corrects clock skew from sentAt and rejects timestamps more than 24 hours ahead', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    const now = clock.nowMs();
    // The device clock runs one hour fast: it sent at now+1h an event it stamped at now+1h-5min.
    const deviceSentAt = new Date(now + 3_600_000).toISOString();
    const res = await t.request('POST', '/v1/batch', {
      headers: basic(key),
      body: {
        sentAt: deviceSentAt,
        batch: [
          {
            type: 'track',
            userId: 'skew',
            event: 'Skewed',
            messageId: 's1',
            timestamp: new Date(now + 3_600_000 - 300_000).toISOString(),
            context: { traits: { email: 'skew@example.com' } },
          },
          { type: 'track', userId: 'skew', event: 'Future', messageId: 's2', timestamp: new Date(now + 3_600_000 + 25 * 3_600_000).toISOString() },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([{ index: 1, messageId: 's2', reason: expect.stringContaining('24 hours in the future') }]);
    const c = await customerByEmail(t, ws, 'skew@example.com');
    const items = await timeline(t, ws, c.id, '&kind=event');
    expect(items).toHaveLength(1);
    expect(items[0]?.occurredAt).toBe(new Date(now - 300_000).toISOString());
  });

  it('answers bad input as the spec says and loses nothing valid', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    const other = await newWorkspace(t);
    const otherKey = await newWriteKey(t, other);

    // Authentication.
    const noAuth = await t.request('POST', '/v1/track', { body: { userId: 'u', event: 'X' } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers['content-type']).toContain('application/problem+json');
    expect((await t.request('POST', '/v1/track', { headers: basic('rwk_unknown'), body: { userId: 'u', event: 'X' } })).status).toBe(401);
    const revokeMe = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'old' } });
    expect((await t.request('POST', '/v1/track', { headers: basic(revokeMe.body.key), body: { userId: 'u', event: 'X' } })).status).toBe(200);
    await t.request('DELETE', `/api/v1/write-keys/${revokeMe.body.id}`, { token: ws.token });
    expect((await t.request('POST', '/v1/track', { headers: basic(revokeMe.body.key), body: { userId: 'u', event: 'X' } })).status).toBe(401);
    // The write key in the body, as Segment allows; text/plain bodies.
    expect((await t.request('POST', '/v1/track', { body: { writeKey: key, userId: 'body-key', event: 'X' } })).status).toBe(200);
    const plain = await t.request('POST', '/v1/identify', {
      headers: { ...basic(key), 'content-type': 'text/plain' },
      raw: JSON.stringify({ userId: 'plain', traits: { email: 'plain@example.com' } }),
    });
    expect(plain.status).toBe(200);
    await customerByEmail(t, ws, 'plain@example.com');

    // Gzip bodies inflate (and may not inflate past the limit).
    const zipped = gzipSync(JSON.stringify({ batch: [{ type: 'identify', userId: 'zip', traits: { email: 'zip@example.com' } }] }));
    const gz = await t.rapport.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...basic(key), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: zipped,
    });
    expect(gz.statusCode).toBe(200);
    await t.rapport.logs.drain();
    await customerByEmail(t, ws, 'zip@example.com');
    const bomb = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'zip', event: 'x', properties: { pad: ' '.repeat(700_000) } }] }));
    const inflated = await t.rapport.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...basic(key), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: bomb,
    });
    expect(inflated.statusCode).toBe(413);

    // Malformed JSON and wrong shapes of the whole request.
    const malformed = await t.request('POST', '/v1/batch', { headers: basic(key), raw: '{"batch": [' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toContain('JSON');
    expect((await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: 'nope' } })).status).toBe(400);
    const single = await t.request('POST', '/v1/track', { headers: basic(key), body: { event: 'No ids' } });
    expect(single.status).toBe(400);
    expect(single.body.detail).toContain('userId or anonymousId');

    // A 600 KB request is refused whole.
    const big = Array.from({ length: 30 }, (_, i) => ({
      type: 'track',
      userId: 'big',
      event: 'Big',
      messageId: `big-${i}`,
      properties: { blob: 'x'.repeat(20_000) },
    }));
    const tooLarge = await batch(key, big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers['content-type']).toContain('application/problem+json');

    // Inside a batch, invalid events are answered one by one and the valid ones stored.
    const ts = clock.nowIso();
    const mixed = await batch(key, [
      { type: 'track', userId: 'mixed', event: 'Valid One', messageId: 'v1', timestamp: ts, context: { traits: { email: 'mixed@example.com' } } },
      { type: 'track', event: 'Missing ids', messageId: 'bad-ids' },
      { type: 'track', userId: 'mixed', event: 'Huge', messageId: 'bad-size', properties: { blob: 'y'.repeat(40 * 1024) } },
      { type: 'track', userId: 'mixed', event: 42, messageId: 'bad-type' },
      { type: 'track', userId: 'mixed', event: 'X', properties: 'not an object', messageId: 'bad-props' },
      { type: 'group', userId: 'mixed', messageId: 'bad-group' },
      { type: 'alias', userId: 'mixed', messageId: 'bad-alias' },
      { type: 'fly', userId: 'mixed', messageId: 'bad-kind' },
      { type: 'track', userId: 'mixed', event: 'Bad time', timestamp: 'yesterday', messageId: 'bad-time' },
      'not an object',
      { type: 'page', userId: 'mixed', name: 'Valid Two', messageId: 'v2', timestamp: ts },
      { type: 'track', userId: 'mixed', event: 'Nul\u0000Byte', messageId: 'bad-nul', properties: { fine: 'a\u0000b' } },
      { type: 'track', userId: 'mixed\u0000', event: 'X', messageId: 'bad-nul-id' },
      {
        type: 'identify',
        userId: 'mixed',
        traits: { name: 'Mi\u0000xed', email: 'mixed@exa\u0000mple.com' },
        context: { channel: 'we\u0000b' },
        messageId: 'v3',
        timestamp: ts,
      },
    ]);
    expect(mixed.status).toBe(200);
    expect(mixed.body.success).toBe(true);
    const reasons = Object.fromEntries(mixed.body.rejected.map((r: { index: number; reason: string }) => [r.index, r.reason]));
    expect(reasons).toEqual({
      1: 'userId or anonymousId is required',
      2: 'the event is larger than 32 KB',
      3: 'event must be a string',
      4: 'properties must be an object',
      5: 'groupId is required for group',
      6: 'previousId is required for alias',
      7: expect.stringContaining('type must be one of'),
      8: 'timestamp is not a valid ISO 8601 timestamp',
      9: 'the event must be a JSON object',
      11: 'event must not contain NUL characters',
      12: 'userId must not contain NUL characters',
    });
    const c = await customerByEmail(t, ws, 'mixed@example.com');
    expect((await timeline(t, ws, c.id)).map((i) => i.name).sort()).toEqual(['Identified', 'Valid One', 'Valid Two']);
    expect((await t.request('GET', `/api/v1/customers/${c.id}`, { token: ws.token })).body.name).toBe('Mixed');

    // The rejected-events log holds every refusal with its reason.
    const log = await t.request('GET', '/api/v1/rejected-events?limit=50', { token: ws.token });
    expect(log.status).toBe(200);
    const logged = log.body.data.map((r: { messageId: string | null; reason: string }) => r.messageId);
    expect(logged).toEqual(expect.arrayContaining(['bad-ids', 'bad-size', 'bad-type', 'bad-props', 'bad-group', 'bad-alias', 'bad-kind', 'bad-time']));
    expect(log.body.data.find((r: { messageId: string }) => r.messageId === 'bad-size').payload.length).toBeLessThanOrEqual(2048);
    const analyst = await newMember(t, ws, 'analyst');
    expect((await t.request('GET', '/api/v1/rejected-events', { token: analyst.token })).status).toBe(403);

    // Another workspace's key writes to that workspace only; its ids are not found here.
    expect((await batch(otherKey, [{ type: 'identify', userId: 'mixed', traits: { email: 'mixed@example.com' } }])).status).toBe(200);
    const theirs = await customerByEmail(t, other, 'mixed@example.com');
    expect(theirs.id).not.toBe(c.id);
    expect((await t.request('GET', `/api/v1/customers/${theirs.id}`, { token: ws.token })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/customers/${theirs.id}/timeline`, { token: ws.token })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/rejected-events', { token: other.token })).body.data).toEqual([]);
  });

  it('merges two known customers when one event carries both identities: older keeps, merged id resolves', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    const ts = clock.nowIso();
    await batch(key, [{ type: 'identify', userId: 'old-user', traits: { email: 'older@example.com', name: 'Older' }, messageId: 'mg-1', timestamp: ts }]);
    await batch(key, [
      { type: 'page', anonymousId: 'visitor-9', name: 'Landing', messageId: 'mg-2', timestamp: ts },
      { type: 'identify', anonymousId: 'visitor-9', traits: { phone: '+1 555 0100', city: 'Paris' }, messageId: 'mg-3', timestamp: ts },
    ]);
    const older = await customerByEmail(t, ws, 'older@example.com');
    const visitors = (await t.request('GET', '/api/v1/customers?q=555', { token: ws.token })).body.data;
    expect(visitors).toHaveLength(1);
    const newer = visitors[0];
    expect(newer.id).not.toBe(older.id);

    const res = await batch(key, [{ type: 'track', userId: 'old-user', anonymousId: 'visitor-9', event: 'Signed Up', messageId: 'mg-4', timestamp: ts }]);
    expect(res.status).toBe(200);
    const merged = await t.request('GET', `/api/v1/customers/${newer.id}`, { token: ws.token });
    expect(merged.status).toBe(200);
    expect(merged.body.id).toBe(older.id);
    expect(merged.body.phone).toBe('+15550100');
    expect(merged.body.traits).toMatchObject({ city: 'Paris' });
    expect(merged.body.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['anonymous_id', 'email', 'phone', 'user_id']);
    expect((await timeline(t, ws, older.id)).map((i) => i.name)).toEqual(expect.arrayContaining(['Landing', 'Signed Up', 'Identified']));
    // Later events for either identity land on the survivor.
    await batch(key, [{ type: 'track', anonymousId: 'visitor-9', event: 'After Merge', messageId: 'mg-5', timestamp: ts }]);
    expect((await timeline(t, ws, older.id, '&kind=event')).map((i) => i.name)).toContain('After Merge');
    expect((await t.request('GET', '/api/v1/customers?q=example.com', { token: ws.token })).body.data).toHaveLength(1);
  });

  it('after a merge, identities of the merged customer that the merging batch did not carry resolve to the survivor', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    const ts = clock.nowIso();
    await batch(key, [{ type: 'track', userId: 'cm-user', event: 'Product Viewed', messageId: 'cm-1', timestamp: ts }]);
    // A separate (newer) customer known by an anonymous id and an email, both now cached.
    await batch(key, [
      { type: 'track', anonymousId: 'cm-anon', event: 'Product Viewed', context: { traits: { email: 'cm@example.com' } }, messageId: 'cm-2', timestamp: ts },
    ]);
    await batch(key, [{ type: 'identify', userId: 'cm-user', anonymousId: 'cm-anon', messageId: 'cm-3', timestamp: ts }]);
    // Only the email (not in the merging batch) links this event: it must land on the survivor.
    await batch(key, [
      { type: 'track', anonymousId: 'cm-anon-2', event: 'Feature Used', context: { traits: { email: 'cm@example.com' } }, messageId: 'cm-4', timestamp: ts },
    ]);
    const survivor = await customerByEmail(t, ws, 'cm@example.com');
    expect(survivor.identities.map((i: { value: string }) => i.value).sort()).toEqual(['cm-anon', 'cm-anon-2', 'cm-user', 'cm@example.com']);
    expect((await timeline(t, ws, survivor.id, '&kind=event')).map((i) => i.name).sort()).toEqual(['Feature Used', 'Product Viewed', 'Product Viewed']);
  });

  it('merges a newer service-desk customer into the older event customer, conversations included', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    await batch(key, [{ type: 'track', userId: 'early-bird', event: 'Product Viewed', messageId: 'eb-1', timestamp: clock.nowIso() }]);
    clock.advance(1000);
    const conv = await newConversation(t, ws.token, { customer: { email: 'early@example.com', name: 'Early' } });
    const deskCustomer = conv.customer.id;
    await batch(key, [{ type: 'identify', userId: 'early-bird', traits: { email: 'early@example.com' }, messageId: 'eb-2', timestamp: clock.nowIso() }]);
    const survivor = await customerByEmail(t, ws, 'early@example.com');
    expect(survivor.id).not.toBe(deskCustomer);
    expect((await t.request('GET', `/api/v1/customers/${deskCustomer}`, { token: ws.token })).body.id).toBe(survivor.id);
    expect(survivor.name).toBe('Early');
    expect(survivor.openConversations.map((c: { id: string }) => c.id)).toEqual([conv.id]);
    expect((await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: ws.token })).body.customer.id).toBe(survivor.id);
    expect((await timeline(t, ws, survivor.id)).map((i) => i.kind)).toEqual(expect.arrayContaining(['event', 'identify', 'conversation', 'message']));
  });

  it('sees identity edits made outside ingest within a minute (the identity cache expires)', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    await batch(key, [{ type: 'identify', userId: 'editme', traits: { email: 'old@example.com' }, timestamp: clock.nowIso() }]);
    const c = await customerByEmail(t, ws, 'old@example.com');
    expect((await t.request('PATCH', `/api/v1/customers/${c.id}`, { token: ws.token, body: { email: 'new@example.com' } })).status).toBe(200);
    clock.advance(61_000);
    await batch(key, [
      { type: 'track', anonymousId: 'someone-else', event: 'Hello', context: { traits: { email: 'old@example.com' } }, timestamp: clock.nowIso() },
    ]);
    const other = await customerByEmail(t, ws, 'old@example.com');
    expect(other.id).not.toBe(c.id);
    expect((await customerByEmail(t, ws, 'new@example.com')).id).toBe(c.id);
  });

  it('links a customer known from events to the service desk by email, in that order too', async () => {
    const ws = await newWorkspace(t);
    const key = await newWriteKey(t, ws);
    await batch(key, [{ type: 'identify', userId: 'shopper-1', traits: { email: 'shopper@example.com' }, timestamp: clock.nowIso() }]);
    const fromEvents = await customerByEmail(t, ws, 'shopper@example.com');
    const conv = await newConversation(t, ws.token, { customer: { email: 'shopper@example.com', name: 'Shopper' } });
    expect(conv.customer.id).toBe(fromEvents.id);
    const after = await t.request('GET', `/api/v1/customers/${fromEvents.id}`, { token: ws.token });
    expect(after.body.openConversations).toHaveLength(1);
    expect(after.body.stage).toBe('post_sales');
  });
});
