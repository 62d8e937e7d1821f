// Review finding 3: identify and group traits merged without a bound let anyone with a public
// client key grow one profile (and every domain event copying it) without end. A profile keeps at
// most MAX_TRAIT_KEYS keys and MAX_TRAITS_BYTES of JSON, for any key kind; existing keys still change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TRAIT_KEYS, MAX_TRAITS_BYTES } from '../../platform/traits.js';
import { createTestApp, engines, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe.each(engines)('bounded traits on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  async function keyOf(ws: TestWorkspace, kind: 'client' | 'server') {
    const res = await t.request('POST', '/api/v1/write-keys', {
      token: ws.token,
      body: { name: kind, kind, ...(kind === 'client' ? { allowedOrigins: ['https://shop.example'] } : {}) },
    });
    expect(res.status).toBe(201);
    return res.body.key as string;
  }
  const manyTraits = (round: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${round}_${i}`, `value ${round} ${i}`]));

  it.each(['client', 'server'] as const)('caps a customer’s traits fed by a %s key, and the events that copy them', async (kind) => {
    const ws = await newWorkspace(t);
    const key = await keyOf(ws, kind);
    const headers = { ...basic(key), ...(kind === 'client' ? { origin: 'https://shop.example' } : {}) };
    for (let round = 0; round < 4; round++) {
      const batch = Array.from({ length: 3 }, (_, j) => ({ type: 'identify', anonymousId: 'a-grower', traits: manyTraits(round * 3 + j, 120) }));
      const res = await t.request('POST', '/v1/batch', { headers, body: { batch } });
      expect(res.status).toBe(200);
    }
    const list = (await t.request('GET', '/api/v1/customers?limit=10', { token: ws.token })).body.data as Array<{ traits: Record<string, unknown> }>;
    expect(list).toHaveLength(1);
    const traits = list[0]?.traits ?? {};
    expect(Object.keys(traits).length).toBe(MAX_TRAIT_KEYS);
    expect(JSON.stringify(traits).length).toBeLessThanOrEqual(MAX_TRAITS_BYTES);
    // Every customer event in the log is bounded the same way.
    const entries = await t.rapport.logs.store.readWorkspace('domain_events', ws.workspaceId, { tx: 0, seq: 0 }, 1000, { settledOnly: false });
    const sizes = entries.filter((e) => e.type.startsWith('customer.')).map((e) => e.data.length);
    expect(sizes.length).toBeGreaterThan(0);
    expect(Math.max(...sizes)).toBeLessThan(MAX_TRAITS_BYTES + 2_000);
  });

  it('still lets a trusted source change a key it already has once the cap is reached', async () => {
    const ws = await newWorkspace(t);
    const key = await keyOf(ws, 'server');
    await t.request('POST', '/v1/batch', {
      headers: basic(key),
      body: { batch: [{ type: 'identify', userId: 'u-full', traits: { plan: 'free', ...manyTraits(0, 250) } }] },
    });
    await t.request('POST', '/v1/identify', { headers: basic(key), body: { userId: 'u-full', traits: { plan: 'pro', extra: 'ignored' } } });
    const list = (await t.request('GET', '/api/v1/customers?limit=10', { token: ws.token })).body.data as Array<{ traits: Record<string, unknown> }>;
    expect(list[0]?.traits.plan).toBe('pro');
    expect(list[0]?.traits.extra).toBeUndefined();
    expect(Object.keys(list[0]?.traits ?? {}).length).toBe(MAX_TRAIT_KEYS);
  });
});
