// Two server processes on one PostgreSQL: an event published in one reaches the other's
// subscribers (LISTEN/NOTIFY), large events included; a revocation in one is honoured by the
// other's credential cache at once; their job workers share the outbox without running a job twice.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Rapport } from '../app.js';
import { createFakeClock } from './clock.js';
import { openDatabase } from './db/database.js';
import type { BusEvent } from './bus.js';
import { createTestApp, engines, newConversation, newWorkspace, TEST_DATABASE_URL, type TestApp } from '../test/harness.js';

describe.skipIf(!engines.includes('postgres'))('two processes on one postgres', () => {
  let a: TestApp;
  let b: Rapport;
  let closeB: () => Promise<void>;
  beforeAll(async () => {
    a = await createTestApp('postgres');
    const current = await a.rapport.db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).executeTakeFirstOrThrow();
    const handle = openDatabase({ engine: 'postgres', url: TEST_DATABASE_URL, schema: current.s, poolSize: 3 });
    // A clock that never moves: B's credential cache only forgets through the bus.
    b = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, clock: createFakeClock() });
    await b.app.ready();
    closeB = async () => {
      await b.app.close();
      await handle.close();
    };
  });
  afterAll(async () => {
    await closeB();
    await a.close();
  });

  it('delivers events made in one process to the other, small and large', async () => {
    const seen: BusEvent[] = [];
    b.bus.subscribe((e) => seen.push(e));
    const ws = await newWorkspace(a);
    const conv = await newConversation(a, ws.token, { message: { body: 'x'.repeat(20_000) } });
    await expect
      .poll(() => seen.filter((e) => e.type === 'conversation.created').map((e) => (e.data as { id: string }).id), { timeout: 10_000 })
      .toEqual([conv.id]);
    const created = seen.find((e) => e.type === 'conversation.created');
    expect(created).toMatchObject({ workspaceId: ws.workspaceId, conversation: { id: conv.id } });
    expect((created?.data as { lastMessagePreview: string }).lastMessagePreview).toHaveLength(140);
    await a.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'y'.repeat(30_000) } });
    await expect
      .poll(() => seen.some((e) => e.type === 'message.created' && (e.data as { body: string }).body.length === 30_000), { timeout: 10_000 })
      .toBe(true);
  });

  it('forgets a revoked token in the other process at once', async () => {
    const ws = await newWorkspace(a);
    const token = (await a.request('POST', '/api/v1/tokens', { token: ws.token, body: { name: 'shared' } })).body;
    const viaB = async () => (await b.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token.token}` } })).statusCode;
    expect(await viaB()).toBe(200);
    await a.request('DELETE', `/api/v1/tokens/${token.id}`, { token: ws.token });
    await expect.poll(viaB, { timeout: 10_000 }).toBe(401);
  });

  it('runs each outbox job exactly once when both workers claim at the same time (SKIP LOCKED)', async () => {
    const ws = await newWorkspace(a);
    const runs = new Map<string, string[]>();
    for (const [name, r] of [
      ['a', a.rapport],
      ['b', b],
    ] as const) {
      r.jobs.register('test.count', async (job) => {
        const id = (job.payload as { n: number }).n.toString();
        runs.set(id, [...(runs.get(id) ?? []), name]);
        // Yield so the other worker gets to claim while this one holds its batch.
        await new Promise((resolve) => setImmediate(resolve));
      });
    }
    for (let n = 0; n < 60; n++)
      await a.rapport.jobs.enqueue(a.rapport.db, { workspaceId: ws.workspaceId, type: 'test.count', payload: { n }, idempotencyKey: `count-${n}` });
    const [ranA, ranB] = await Promise.all([a.rapport.jobs.drain(), b.jobs.drain()]);
    expect(ranA + ranB).toBe(60);
    expect(runs.size).toBe(60);
    expect([...runs.values()].every((who) => who.length === 1)).toBe(true);
    const left = await a.rapport.jobs.list(ws.workspaceId);
    expect(left.every((j) => j.status === 'done')).toBe(true);
  });

  it('skips jobs another worker holds instead of waiting for them', async () => {
    const ws = await newWorkspace(a);
    a.rapport.jobs.register('test.held', async () => undefined);
    for (let n = 0; n < 12; n++)
      await a.rapport.jobs.enqueue(a.rapport.db, { workspaceId: ws.workspaceId, type: 'test.held', payload: { n }, idempotencyKey: `held-${n}` });
    const current = await a.rapport.db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).executeTakeFirstOrThrow();
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${current.s}` });
    await other.connect();
    try {
      // Another worker has claimed (locked) four jobs and is still working on them.
      await other.query('BEGIN');
      await other.query("SELECT id FROM jobs WHERE workspace_id = $1 AND type = 'test.held' ORDER BY idempotency_key LIMIT 4 FOR UPDATE", [ws.workspaceId]);
      expect(await a.rapport.jobs.drain()).toBe(8);
      await other.query('ROLLBACK');
      expect(await a.rapport.jobs.drain()).toBe(4);
    } finally {
      await other.end();
    }
  });
});
