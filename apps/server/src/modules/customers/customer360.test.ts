// Customer 360, the timeline (filters, cursor pages) and GDPR export and erasure, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe.each(engines)('customer 360, timeline and privacy on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock('2026-05-10T12:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
  });
  afterAll(async () => t.close());

  async function seeded(): Promise<{ ws: TestWorkspace; key: string; id: string; conversationId: string }> {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key as string;
    const conv = await newConversation(t, ws.token, { customer: { email: 'pat@example.com', name: 'Pat' } });
    const at = (h: number) => new Date(clock.nowMs() - h * 3_600_000).toISOString();
    const batch = [
      {
        type: 'identify',
        userId: 'pat',
        anonymousId: 'pat-anon',
        traits: { email: 'pat@example.com', phone: '+44 20 7946 0000' },
        timestamp: at(100),
        messageId: 'x0',
      },
      ...Array.from({ length: 12 }, (_, i) => ({
        type: 'page',
        anonymousId: 'pat-anon',
        name: `Page ${i}`,
        properties: { path: i % 2 ? '/pricing' : '/blog' },
        timestamp: at(90 - i),
        messageId: `p${i}`,
      })),
      { type: 'track', userId: 'pat', event: 'Order Completed', properties: { total: 99, channel: 'app' }, timestamp: at(10), messageId: 'o1' },
      { type: 'track', userId: 'pat', event: 'Order Delivered', timestamp: at(5), messageId: 'd1' },
      { type: 'group', userId: 'pat', groupId: 'org-7', traits: { name: 'Pat Co' }, timestamp: at(4), messageId: 'g1' },
    ];
    const res = await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch } });
    expect(res.body).toEqual({ success: true, rejected: [], rejectedCount: 0 });
    return { ws, key, id: conv.customer.id, conversationId: conv.id };
  }

  it('answers the customer 360: identities, organizations, stage, first and last seen, counts, open conversations', async () => {
    const { ws, id, conversationId } = await seeded();
    const res = await t.request('GET', `/api/v1/customers/${id}`, { token: ws.token });
    expect(res.status).toBe(200);
    const c = res.body;
    expect(c).toMatchObject({ id, email: 'pat@example.com', name: 'Pat', phone: '+442079460000' });
    expect(c.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['anonymous_id', 'email', 'phone', 'user_id']);
    expect(c.organizations).toEqual([expect.objectContaining({ groupId: 'org-7', name: 'Pat Co' })]);
    // The conversation was opened at "now", after the delivery: post-sales.
    expect(c.stage).toBe('post_sales');
    expect(c.stageHistory.map((s: { stage: string }) => s.stage)).toEqual(['research', 'purchase', 'usage', 'post_sales']);
    expect(c.firstSeenAt).toBe(new Date(clock.nowMs() - 100 * 3_600_000).toISOString());
    expect(c.lastSeenAt).toBe(clock.nowIso());
    expect(c.counts.byChannel).toMatchObject({ web: 12, app: 1, email: 2 });
    expect(c.counts.byStage).toMatchObject({ research: 6, purchase: 1, usage: 1, post_sales: 2 });
    expect(c.openConversations).toEqual([expect.objectContaining({ id: conversationId, status: 'open', channel: 'email' })]);
    const orgs = await t.request('GET', '/api/v1/organizations', { token: ws.token });
    expect(orgs.body.data).toEqual([expect.objectContaining({ groupId: 'org-7', name: 'Pat Co' })]);
  });

  it('pages the timeline newest first and filters by kind, stage, touchpoint, channel and time', async () => {
    const { ws, id } = await seeded();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const res = await t.request('GET', `/api/v1/customers/${id}/timeline?limit=5${q}`, { token: ws.token });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    const all = (await t.request('GET', `/api/v1/customers/${id}/timeline?limit=200`, { token: ws.token })).body.data;
    expect(seen).toEqual(all.map((i: { id: string }) => i.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(all[0]).toMatchObject({ kind: expect.any(String), occurredAt: clock.nowIso() });
    expect(Object.keys(all[0]).sort()).toEqual(
      [
        'channel',
        'conversationId',
        'department',
        'emotion',
        'id',
        'kind',
        'name',
        'occurredAt',
        'origin',
        'properties',
        'receivedAt',
        'sentiment',
        'stage',
        'touchpoint',
      ].sort(),
    );

    const get = async (q: string) =>
      (await t.request('GET', `/api/v1/customers/${id}/timeline?limit=200&${q}`, { token: ws.token })).body.data as Array<Record<string, any>>;
    expect((await get('kind=page')).length).toBe(12);
    expect((await get('kind=conversation,message')).map((i) => i.kind).sort()).toEqual(['conversation', 'message']);
    expect((await get('stage=purchase')).map((i) => i.name).sort()).toEqual(['Order Completed', 'Stage Changed']);
    expect((await get('touchpoint=pricing_page')).length).toBe(6);
    expect((await get('touchpoint=nope')).length).toBe(0);
    expect((await get('channel=app')).map((i) => i.name)).toEqual(['Order Completed']);
    const from = new Date(clock.nowMs() - 11 * 3_600_000).toISOString();
    const to = new Date(clock.nowMs() - 4.5 * 3_600_000).toISOString();
    expect((await get(`kind=event&from=${from}&to=${to}`)).map((i) => i.name)).toEqual(['Order Delivered', 'Order Completed']);
    expect((await t.request('GET', `/api/v1/customers/${id}/timeline?cursor=garbage`, { token: ws.token })).status).toBe(400);
  });

  it('exports everything held about a customer and erases it; later events start a new customer', async () => {
    const { ws, key, id, conversationId } = await seeded();
    const agent = await newMember(t, ws, 'agent');
    const analyst = await newMember(t, ws, 'analyst');
    expect((await t.request('GET', `/api/v1/customers/${id}/export`, { token: analyst.token })).status).toBe(403);

    const exp = await t.request('GET', `/api/v1/customers/${id}/export`, { token: agent.token });
    expect(exp.status).toBe(200);
    expect(exp.body.customer).toMatchObject({ id, email: 'pat@example.com' });
    expect(exp.body.interactions.length).toBeGreaterThanOrEqual(17);
    expect(exp.body.conversations).toEqual([
      expect.objectContaining({ id: conversationId, messages: [expect.objectContaining({ body: 'My parcel has not arrived.' })] }),
    ]);

    const other = await newWorkspace(t);
    expect((await t.request('DELETE', `/api/v1/customers/${id}`, { token: other.token })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/customers/${id}/export`, { token: other.token })).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/customers/${id}`, { token: agent.token })).status).toBe(403);

    const del = await t.request('DELETE', `/api/v1/customers/${id}`, { token: ws.token });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id, deleted: true, counts: { customers: 1, conversations: 1, messages: 1, identities: 4 } });
    expect((await t.request('GET', `/api/v1/customers/${id}`, { token: ws.token })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/conversations/${conversationId}`, { token: ws.token })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/customers?q=pat', { token: ws.token })).body.data).toEqual([]);
    const audit = (await t.request('GET', '/api/v1/audit-log', { token: ws.token })).body.data.map((a: { action: string }) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['customer.exported', 'customer.erased']));

    // The same identities arriving later make a brand-new customer with nothing of the old one.
    await t.request('POST', '/v1/track', {
      headers: basic(key),
      body: { userId: 'pat', event: 'Came Back', traits: {}, context: { traits: { email: 'pat@example.com' } } },
    });
    const again = (await t.request('GET', '/api/v1/customers?q=pat@example.com', { token: ws.token })).body.data;
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(id);
    const fresh = await t.request('GET', `/api/v1/customers/${again[0].id}/timeline`, { token: ws.token });
    expect(fresh.body.data.filter((i: { kind: string }) => i.kind !== 'stage_changed').map((i: { name: string }) => i.name)).toEqual(['Came Back']);
  });

  it('refuses a single oversize event on /v1/track with its reason and logs it', async () => {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key as string;
    const res = await t.request('POST', '/v1/track', {
      headers: basic(key),
      body: { userId: 'big', event: 'Big', messageId: 'big-1', properties: { blob: 'z'.repeat(40 * 1024) } },
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('larger than 32 KB');
    const log = await t.request('GET', '/api/v1/rejected-events', { token: ws.token });
    expect(log.body.data).toEqual([expect.objectContaining({ messageId: 'big-1', type: 'track', reason: 'the event is larger than 32 KB', userId: 'big' })]);
  });
});
