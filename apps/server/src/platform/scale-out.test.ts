// docs/scale.md's promise, with real processes: two `rapport start` on one PostgreSQL share the
// ingest processor; one is killed (SIGKILL) in the middle of a load; every event either process
// acknowledged is processed exactly once, and live events still reach sockets on both processes
// (the killed one restarted), each written through the other.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { LiveEvent, LiveServerMessage } from '@rapport/contracts';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSchema, dropSchema, engines, TEST_DATABASE_URL, whileNoSchemaDrops } from '../test/harness.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const main = path.join(root, 'apps/server/src/main.ts');

type Proc = { child: ChildProcess; url: string; exited: Promise<void> };

async function start(databaseUrl: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'start', '--port', '0'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', RAPPORT_PASSWORD_COST: '10', RAPPORT_RUN_WORKER: 'true' },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await expect.poll(() => /"url":"(http:[^"]+)"/.exec(out)?.[1], { timeout: 60_000, interval: 100 }).toBeTruthy();
  return { child, url: /"url":"(http:[^"]+)"/.exec(out)?.[1] ?? '', exited };
}

/** A WebSocket client of the live stream that keeps every event it receives. */
async function listen(url: string, token: string) {
  const events: LiveEvent[] = [];
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/stream?token=${token}`);
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as LiveServerMessage;
    if (m.kind === 'event') events.push(m);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { events, close: () => ws.close() };
}

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

describe.skipIf(!engines.includes('postgres'))('two processes on one PostgreSQL, one killed mid-load', () => {
  const procs: Proc[] = [];
  const schema = `scale_${Math.random().toString(36).slice(2, 10)}`;
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await dropSchema(schema);
  });

  it('loses nothing acknowledged, does nothing twice, and keeps live events reaching both', async () => {
    await createSchema(schema);
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const databaseUrl = url.toString();
    const a = await whileNoSchemaDrops(() => start(databaseUrl));
    procs.push(a);
    let b = await start(databaseUrl);
    procs.push(b);

    const setup = await json(
      await fetch(`${a.url}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workspaceName: 'Scale', name: 'Sam', email: 'sam@scale.test', password: 'long enough pw' }),
      }),
    );
    expect(setup.status).toBe(201);
    const token = String(setup.body.token);
    const workspaceId = String((setup.body.workspace as { id: string }).id);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const key = await json(await fetch(`${a.url}/api/v1/write-keys`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'load' }) }));
    expect(key.status).toBe(201);
    const basic = `Basic ${Buffer.from(`${String(key.body.key)}:`).toString('base64')}`;

    // Live across processes before the kill: written through A, seen on B.
    const onA = await listen(a.url, token);
    const onB = await listen(b.url, token);
    const first = await json(
      await fetch(`${a.url}/api/v1/conversations`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ customer: { email: 'one@scale.test' }, channel: 'email', subject: 'Through A', message: { body: 'hello' } }),
      }),
    );
    expect(first.status).toBe(201);
    const createdOn = (l: { events: LiveEvent[] }, id: unknown) => l.events.some((e) => e.type === 'conversation.created' && e.conversationId === id);
    await expect.poll(() => createdOn(onB, first.body.id), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => createdOn(onA, first.body.id), { timeout: 10_000 }).toBe(true);

    // The load: 80 batches of 40 events over 200 customers, alternating between the processes,
    // four in flight; B is killed once 30 have been acknowledged.
    const BATCHES = 80;
    const acknowledged = new Set<string>();
    let answered = 0;
    let killed = false;
    const send = async (i: number) => {
      const target = i % 2 === 0 || killed ? a : b;
      const batch = Array.from({ length: 40 }, (_, j) => ({
        type: 'track',
        userId: `u${(i * 40 + j) % 200}`,
        event: 'Page Viewed',
        messageId: `m-${i}-${j}`,
        timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i, j)).toISOString(),
        properties: { i, j },
      }));
      try {
        const res = await fetch(`${target.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        if (res.status === 200) for (const e of batch) acknowledged.add(e.messageId);
      } catch {
        // The killed process's requests in flight: not acknowledged, so the client would retry.
      }
      answered += 1;
      if (answered === 30 && !killed) {
        killed = true;
        b.child.kill('SIGKILL');
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < BATCHES) await send(next++);
      }),
    );
    await b.exited;
    expect(killed).toBe(true);
    expect(acknowledged.size).toBeGreaterThan(40 * 40);

    // A alone takes over every partition: nothing acknowledged is left behind.
    await expect
      .poll(
        async () => {
          const lag = await json(await fetch(`${a.url}/api/v1/system/consumers`, { headers: auth }));
          return (lag.body.data as Array<{ name: string; behind: number }>).find((c) => c.name === 'ingest.process')?.behind;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(0);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const rows = await db.query<{ source_id: string }>(`SELECT source_id FROM interactions WHERE workspace_id = $1 AND source_id LIKE 'seg:m-%'`, [
        workspaceId,
      ]);
      const stored = rows.rows.map((r) => r.source_id);
      // Every acknowledged event is stored, once.
      expect(new Set(stored).size).toBe(stored.length);
      // (ingest keys an event by its messageId: seg:<messageId>)
      const have = new Set(stored);
      expect([...acknowledged].filter((id) => !have.has(`seg:${id}`))).toEqual([]);
      // Processed once: one interaction.created per stored interaction, however the work was split.
      const events = await db.query<{ n: string; ids: string }>(
        `SELECT count(*) AS n, count(DISTINCT data::json->'interaction'->>'id') AS ids FROM domain_events
         WHERE workspace_id = $1 AND type = 'interaction.created'
           AND data::json->'interaction'->>'id' IN (SELECT id FROM interactions WHERE workspace_id = $1 AND source_id LIKE 'seg:m-%')`,
        [workspaceId],
      );
      expect(Number(events.rows[0]?.ids)).toBe(stored.length);
      expect(Number(events.rows[0]?.n)).toBe(stored.length);
      // One customer per user id, however many processes saw it first.
      const customers = await db.query<{ n: string }>(
        `SELECT count(DISTINCT customer_id) AS n FROM interactions WHERE workspace_id = $1 AND source_id LIKE 'seg:m-%'`,
        [workspaceId],
      );
      const users = new Set(
        [...acknowledged].map((id) => {
          const [, i, j] = id.split('-');
          return (Number(i) * 40 + Number(j)) % 200;
        }),
      );
      expect(Number(customers.rows[0]?.n)).toBe(users.size);
      const ids = await db.query<{ n: string }>(`SELECT count(*) AS n FROM identities WHERE workspace_id = $1 AND kind = 'user_id'`, [workspaceId]);
      expect(Number(ids.rows[0]?.n)).toBe(Number(customers.rows[0]?.n));
    } finally {
      await db.end();
    }

    // B again: live events written through either process reach the other's sockets.
    b = await start(databaseUrl);
    procs.push(b);
    const onB2 = await listen(b.url, token);
    const viaA = await json(
      await fetch(`${a.url}/api/v1/conversations`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ customer: { email: 'two@scale.test' }, channel: 'email', subject: 'After the kill, through A', message: { body: 'hi' } }),
      }),
    );
    const viaB = await json(
      await fetch(`${b.url}/api/v1/conversations`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ customer: { email: 'three@scale.test' }, channel: 'email', subject: 'Through the new B', message: { body: 'hey' } }),
      }),
    );
    await expect.poll(() => createdOn(onB2, viaA.body.id), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => createdOn(onA, viaB.body.id), { timeout: 10_000 }).toBe(true);
    onA.close();
    onB.close();
    onB2.close();
  }, 180_000);
});
