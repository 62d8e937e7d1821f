// The touchpoint catalogue, stage and department lists, classification on ingest,
// background reclassification and journey stages, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';
import { movesTo } from '../journeys/journey.service.js';
import { compileGlob } from './touchpoint-match.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe('touchpoint rules and journey moves (pure)', () => {
  it('matches page path globs: * within a segment, ** across segments', () => {
    expect(compileGlob('/pricing').test('/pricing')).toBe(true);
    expect(compileGlob('/pricing').test('/pricing/')).toBe(true);
    expect(compileGlob('/products/*').test('/products/shoes')).toBe(true);
    expect(compileGlob('/products/*').test('/products/shoes/red')).toBe(false);
    expect(compileGlob('/products/**').test('/products/shoes/red')).toBe(true);
    expect(compileGlob('/a.b').test('/aXb')).toBe(false);
  });

  it('moves the journey forward, and back only after a 30-day pause', () => {
    const order = ['research', 'purchase', 'usage'];
    expect(movesTo(order, null, 'usage', '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(movesTo(order, { stage: 'research', at: '2026-01-01T00:00:00.000Z' }, 'purchase', '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(movesTo(order, { stage: 'purchase', at: '2026-01-01T00:00:00.000Z' }, 'research', '2026-01-02T00:00:00.000Z')).toBe(false);
    expect(movesTo(order, { stage: 'purchase', at: '2026-01-01T00:00:00.000Z' }, 'research', '2026-02-15T00:00:00.000Z')).toBe(true);
    expect(movesTo(order, { stage: 'purchase', at: '2026-01-05T00:00:00.000Z' }, 'usage', '2026-01-02T00:00:00.000Z')).toBe(false);
  });
});

describe.each(engines)('touchpoints on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock('2026-04-01T09:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
  });
  afterAll(async () => t.close());

  async function setup(): Promise<{ ws: TestWorkspace; key: string }> {
    const ws = await newWorkspace(t);
    const res = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } });
    return { ws, key: res.body.key };
  }
  const send = (key: string, batch: unknown[]) => t.request('POST', '/v1/batch', { headers: basic(key), body: { batch } });
  async function customerIdOf(ws: TestWorkspace, email: string): Promise<string> {
    const list = await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(email)}`, { token: ws.token });
    return list.body.data[0].id;
  }

  it('creates a default catalogue, stages and departments lazily; only managers change them', async () => {
    const { ws } = await setup();
    const list = await t.request('GET', '/api/v1/touchpoints', { token: ws.token });
    expect(list.status).toBe(200);
    const keys = list.body.data.map((tp: { key: string }) => tp.key);
    expect(keys).toEqual(expect.arrayContaining(['pricing_page', 'checkout', 'order_delivered', 'promotional_email', 'support_conversation']));
    expect(list.body.data.find((tp: { key: string }) => tp.key === 'checkout')).toMatchObject({ stage: 'purchase', department: 'sales', critical: true });
    expect((await t.request('GET', '/api/v1/stages', { token: ws.token })).body.data.map((s: { key: string }) => s.key)).toEqual([
      'research',
      'purchase',
      'usage',
      'post_sales',
      'advocacy',
    ]);
    expect((await t.request('GET', '/api/v1/departments', { token: ws.token })).body.data.map((s: { key: string }) => s.key)).toEqual([
      'marketing',
      'sales',
      'product',
      'operations',
      'service',
    ]);

    const agent = await newMember(t, ws, 'agent');
    expect((await t.request('GET', '/api/v1/touchpoints', { token: agent.token })).status).toBe(200);
    expect((await t.request('POST', '/api/v1/touchpoints', { token: agent.token, body: { key: 'x', name: 'X' } })).status).toBe(403);
    expect((await t.request('PUT', '/api/v1/stages', { token: agent.token, body: { data: [{ key: 'a', name: 'A' }] } })).status).toBe(403);

    // Stages in use by touchpoints cannot be removed; new ones can be added.
    const removing = await t.request('PUT', '/api/v1/stages', { token: ws.token, body: { data: [{ key: 'research', name: 'Research' }] } });
    expect(removing.status).toBe(409);
    const stages = [...(await t.request('GET', '/api/v1/stages', { token: ws.token })).body.data, { key: 'loyalty', name: 'Loyalty' }];
    const put = await t.request('PUT', '/api/v1/stages', { token: ws.token, body: { data: stages } });
    expect(put.status).toBe(200);
    expect(put.body.data.at(-1)).toEqual({ key: 'loyalty', name: 'Loyalty' });
    expect((await t.request('POST', '/api/v1/touchpoints', { token: ws.token, body: { key: 'bad', name: 'Bad', stage: 'nowhere' } })).status).toBe(400);
    expect((await t.request('POST', '/api/v1/touchpoints', { token: ws.token, body: { key: 'checkout', name: 'Dup' } })).status).toBe(409);
    const other = await newWorkspace(t);
    const theirs = (await t.request('GET', '/api/v1/touchpoints', { token: other.token })).body.data[0];
    expect((await t.request('GET', `/api/v1/touchpoints/${theirs.id}`, { token: ws.token })).status).toBe(404);
  });

  it('classifies on ingest by event name, page path, channel and property, and reclassifies the past in the background', async () => {
    const { ws, key } = await setup();
    const at = (min: number) => new Date(clock.nowMs() - min * 60_000).toISOString();
    const res = await send(key, [
      { type: 'identify', userId: 'c1', traits: { email: 'c1@example.com' }, timestamp: at(60), messageId: 'i1' },
      { type: 'page', userId: 'c1', name: 'Pricing', properties: { path: '/pricing/teams?x=1' }, timestamp: at(50), messageId: 'p1' },
      { type: 'track', userId: 'c1', event: 'Webinar Attended', properties: { topic: 'onboarding' }, timestamp: at(40), messageId: 't1' },
      { type: 'track', userId: 'c1', event: 'Order Completed', properties: { total: 10 }, timestamp: at(30), messageId: 't2' },
      { type: 'page', userId: 'c1', name: 'Pricing again', properties: { path: '/pricing' }, timestamp: at(20), messageId: 'p2' },
    ]);
    expect(res.status).toBe(200);
    const id = await customerIdOf(ws, 'c1@example.com');
    const timeline = async () =>
      (await t.request('GET', `/api/v1/customers/${id}/timeline?limit=50`, { token: ws.token })).body.data as Array<Record<string, any>>;
    let items = await timeline();
    const byName = (name: string) => items.find((i) => i.name === name);
    expect(byName('Pricing')).toMatchObject({ touchpoint: { key: 'pricing_page' }, stage: 'research', department: 'marketing', channel: 'web' });
    expect(byName('Webinar Attended')).toMatchObject({ touchpoint: null, stage: null });
    expect(byName('Order Completed')).toMatchObject({ touchpoint: { key: 'checkout' }, stage: 'purchase', department: 'sales', channel: 'web' });
    // Journey: research, then purchase; the later pricing visit does not move it back.
    let profile = (await t.request('GET', `/api/v1/customers/${id}`, { token: ws.token })).body;
    expect(profile.stage).toBe('purchase');
    expect(profile.stageHistory.map((h: { stage: string; from: string | null }) => [h.from, h.stage])).toEqual([
      [null, 'research'],
      ['research', 'purchase'],
    ]);
    expect(items.filter((i) => i.kind === 'stage_changed')).toHaveLength(2);
    expect(profile.counts.byStage).toEqual({ research: 2, purchase: 1 });

    // A new rule on a property: past interactions are reclassified by a background job.
    const created = await t.request('POST', '/api/v1/touchpoints', {
      token: ws.token,
      body: {
        key: 'webinar',
        name: 'Webinar',
        channel: 'video',
        stage: 'usage',
        department: 'product',
        position: 1,
        rules: [{ event: 'webinar attended', property: { name: 'topic', equals: 'onboarding' } }],
      },
    });
    expect(created.status).toBe(201);
    expect((await timeline()).find((i) => i.name === 'Webinar Attended')?.touchpoint).toBeNull();
    expect(await t.rapport.jobs.drain()).toBeGreaterThan(0);
    items = await timeline();
    expect(items.find((i) => i.name === 'Webinar Attended')).toMatchObject({ touchpoint: { key: 'webinar' }, stage: 'usage', department: 'product' });
    profile = (await t.request('GET', `/api/v1/customers/${id}`, { token: ws.token })).body;
    expect(profile.counts.byStage).toEqual({ research: 2, usage: 1, purchase: 1 });

    // Changing a touchpoint's stage moves its past interactions too; deleting one unclassifies them.
    await t.request('PATCH', `/api/v1/touchpoints/${created.body.id}`, { token: ws.token, body: { stage: 'advocacy' } });
    await t.rapport.jobs.drain();
    items = await timeline();
    expect(items.find((i) => i.name === 'Webinar Attended')?.stage).toBe('advocacy');
    profile = (await t.request('GET', `/api/v1/customers/${id}`, { token: ws.token })).body;
    expect(profile.stage).toBe('advocacy');
    expect((await t.request('DELETE', `/api/v1/touchpoints/${created.body.id}`, { token: ws.token })).status).toBe(200);
    await t.rapport.jobs.drain();
    expect((await timeline()).find((i) => i.name === 'Webinar Attended')).toMatchObject({ touchpoint: null, stage: null });
    const audit = (await t.request('GET', '/api/v1/audit-log', { token: ws.token })).body.data.map((a: { action: string }) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['touchpoint.created', 'touchpoint.updated', 'touchpoint.deleted']));
  });
});
