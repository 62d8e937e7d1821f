// Finding 5 of the security review (issue 8): ingest had no quotas. A 568-byte gzip body
// inserted 262,000 rejected rows, a gzip body stored a 500 KB event, rejected events were never
// purged, nothing limited a workspace's rate, and one tenant's rescans starved the job worker.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { runHousekeeping } from '../../platform/housekeeping.js';
import { createTestApp, engines, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe.each(engines)('finding 5: ingest quotas on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock('2026-05-01T10:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock, ingestRate: 100, ingestBurst: 5000 });
  });
  afterAll(async () => t.close());

  async function setup() {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key as string;
    return { ws, key };
  }
  const rejectedRows = async (ws: TestWorkspace) =>
    Number(
      (
        await t.rapport.db
          .selectFrom('rejected_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', ws.workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const gzipBatch = (key: string, json: string) =>
    t.rapport.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...basic(key), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(json, { level: 9 }),
    });

  it('refuses a small gzip body that inflates to 262,000 junk events, storing nothing', async () => {
    const { ws, key } = await setup();
    const bomb = `{"batch":[${Array(262_000).fill('0').join(',')}]}`;
    const compressed = gzipSync(bomb, { level: 9 });
    expect(compressed.length).toBeLessThan(1024);
    const res = await gzipBatch(key, bomb);
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.length).toBeLessThan(1000);
    expect(await rejectedRows(ws)).toBe(0);
    clock.advance(60_000);
  });

  it('refuses more than 2,500 events in one batch', async () => {
    const { ws, key } = await setup();
    const events = Array.from({ length: 2501 }, (_, i) => ({ type: 'track', event: 'E', anonymousId: `a${i}`, messageId: `m${i}` }));
    const res = await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: events } });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].path).toBe('body.batch');
    expect(await rejectedRows(ws)).toBe(0);
    clock.advance(60_000);
  });

  it('checks the 32 KB limit on every event, however small the gzip body that carried it', async () => {
    const { ws, key } = await setup();
    const big = { type: 'track', event: 'Big', anonymousId: 'a1', messageId: 'big-1', properties: { blob: 'x'.repeat(500 * 1024 - 200) } };
    const small = { type: 'track', event: 'Small', anonymousId: 'a1', messageId: 'small-1' };
    const json = JSON.stringify({ batch: [big, small] });
    expect(gzipSync(json).length).toBeLessThan(32 * 1024);
    const res = await gzipBatch(key, json);
    expect(res.statusCode).toBe(200);
    await t.rapport.logs.drain();
    const body = JSON.parse(res.body);
    expect(body.rejectedCount).toBe(1);
    expect(body.rejected[0]).toMatchObject({ index: 0, reason: expect.stringContaining('32 KB') });
    const stored = await t.rapport.db.selectFrom('interactions').select(['name', 'properties']).where('workspace_id', '=', ws.workspaceId).execute();
    expect(stored.map((r) => r.name)).toEqual(['Small']);
    clock.advance(60_000);
  });

  it('keeps at most 1,000 rejected events a minute per workspace, counts the rest, and answers small', async () => {
    const { ws, key } = await setup();
    const junk = Array.from({ length: 1500 }, (_, i) => ({ type: 'track', messageId: `bad-${i}` }));
    const res = await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: junk } });
    expect(res.status).toBe(200);
    expect(res.body.rejectedCount).toBe(1500);
    expect(res.body.rejected).toHaveLength(100);
    expect(await rejectedRows(ws)).toBe(1000);
    const summary = await t.request('GET', '/api/v1/rejected-events/summary', { token: ws.token });
    expect(summary.body.data).toEqual([{ day: '2026-05-01', kept: 1000, dropped: 500 }]);
    // The next minute keeps again.
    clock.advance(60_000);
    await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: junk.slice(0, 10) } });
    expect(await rejectedRows(ws)).toBe(1010);
  });

  it('never stores a write key sent inside an event', async () => {
    const { ws, key } = await setup();
    await t.request('POST', '/v1/batch', {
      headers: basic(key),
      body: {
        batch: [
          { type: 'track', messageId: 'no-event-name', writeKey: key, context: { writeKey: key } },
          { type: 'track', event: 'Ok', anonymousId: 'x', messageId: 'ok-1', writeKey: key, context: { writeKey: key, page: { path: '/' } } },
        ],
      },
    });
    const rejected = await t.request('GET', '/api/v1/rejected-events', { token: ws.token });
    expect(rejected.body.data).toHaveLength(1);
    expect(JSON.stringify(rejected.body.data)).not.toContain(key);
    const stored = await t.rapport.db.selectFrom('interactions').select('properties').where('workspace_id', '=', ws.workspaceId).execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(key);
    clock.advance(60_000);
  });

  it('expires rejected events after 14 days', async () => {
    const { ws, key } = await setup();
    await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: [{ type: 'track', messageId: 'old-bad' }] } });
    clock.advance(13 * 86_400_000);
    await t.request('POST', '/v1/batch', { headers: basic(key), body: { batch: [{ type: 'track', messageId: 'new-bad' }] } });
    clock.advance(2 * 86_400_000);
    const removed = await runHousekeeping(t.rapport.db, clock);
    expect(removed.rejectedEvents).toBeGreaterThanOrEqual(1);
    const left = await t.request('GET', '/api/v1/rejected-events', { token: ws.token });
    expect(left.body.data.map((r: { messageId: string }) => r.messageId)).toEqual(['new-bad']);
  });

  it('limits each workspace to its ingest rate with 429 and Retry-After, without slowing another', async () => {
    const a = await setup();
    const b = await setup();
    const events = (n: number, p: string) =>
      Array.from({ length: n }, (_, i) => ({ type: 'track', event: 'E', anonymousId: `${p}${i}`, messageId: `${p}-${i}` }));
    expect((await t.request('POST', '/v1/batch', { headers: basic(a.key), body: { batch: events(2500, 'a1') } })).status).toBe(200);
    expect((await t.request('POST', '/v1/batch', { headers: basic(a.key), body: { batch: events(2500, 'a2') } })).status).toBe(200);
    const limited = await t.request('POST', '/v1/batch', { headers: basic(a.key), body: { batch: events(100, 'a3') } });
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    // Another workspace is unaffected.
    expect((await t.request('POST', '/v1/batch', { headers: basic(b.key), body: { batch: events(100, 'b1') } })).status).toBe(200);
    clock.advance(retryAfter * 1000);
    expect((await t.request('POST', '/v1/batch', { headers: basic(a.key), body: { batch: events(100, 'a3') } })).status).toBe(200);
    clock.advance(600_000);
  });

  it("runs another workspace's job promptly while one workspace has queued many rescans", async () => {
    const noisy = await newWorkspace(t);
    const quiet = await newWorkspace(t);
    const ran: string[] = [];
    t.rapport.jobs.register('fairness.probe', async (job) => {
      ran.push(job.workspaceId);
    });
    for (let i = 0; i < 50; i++) {
      await t.rapport.jobs.enqueue(t.rapport.db, { workspaceId: noisy.workspaceId, type: 'fairness.probe', payload: {}, idempotencyKey: `n${i}` });
      clock.advance(1);
    }
    await t.rapport.jobs.enqueue(t.rapport.db, { workspaceId: quiet.workspaceId, type: 'fairness.probe', payload: {}, idempotencyKey: 'q' });
    await t.rapport.jobs.drain();
    expect(ran).toHaveLength(51);
    expect(ran.indexOf(quiet.workspaceId)).toBeLessThanOrEqual(1);

    // Touchpoint edits coalesce into one queued rescan per workspace.
    for (let i = 0; i < 20; i++) {
      const res = await t.request('POST', '/api/v1/touchpoints', { token: noisy.token, body: { key: `tp_${i}`, name: `T${i}`, rules: [{ event: `E${i}` }] } });
      expect(res.status).toBe(201);
    }
    const queued = await t.rapport.jobs.list(noisy.workspaceId, 'queued');
    expect(queued.filter((j) => j.type === 'interactions.reclassify')).toHaveLength(1);
  });
});
