// The log primitive (issue 10) on both engines: exactly-once consumers across a failure halfway
// through a batch, two processes sharing a consumer, retention behind the slowest consumer, and
// ingest accepted then processed in order, deduplicated, with its lag visible.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';
import { openDatabase, type DbHandle } from './db/database.js';
import { createLogs, partitionOf, PARTITIONS, type LogEntry } from './logs.js';
import { createTestApp, engines, newWorkspace, openTestDatabase, unique, untilSettled, type TestApp } from '../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

/** Workspace ids that land in `n` different partitions. */
function spreadWorkspaces(n: number): string[] {
  const byPartition = new Map<number, string>();
  const prefix = unique('ws');
  for (let i = 0; byPartition.size < n; i++) {
    const id = `${prefix}_${i}`;
    if (!byPartition.has(partitionOf(id))) byPartition.set(partitionOf(id), id);
  }
  return [...byPartition.values()];
}

describe.each(engines)('logs on %s', (engine) => {
  let handle: DbHandle;
  const clock = createFakeClock('2026-03-01T00:00:00.000Z');
  beforeAll(async () => {
    handle = await openTestDatabase(engine);
    await sql`CREATE TABLE effects (consumer text NOT NULL, seq integer NOT NULL, workspace_id text NOT NULL)`.execute(handle.db);
  });
  afterAll(async () => handle.close());

  async function appendEach(logs: ReturnType<typeof createLogs>, workspaces: string[], perWorkspace: number) {
    await handle.db.transaction().execute(async (tx) => {
      for (const w of workspaces)
        await logs.append(
          tx,
          'domain_events',
          Array.from({ length: perWorkspace }, (_, i) => ({ workspaceId: w, type: 'test.happened', data: { i } })),
        );
    });
  }
  const effects = async (consumer: string) =>
    (
      await sql<{ seq: number; workspace_id: string }>`SELECT seq, workspace_id FROM effects WHERE consumer = ${consumer} ORDER BY seq`.execute(handle.db)
    ).rows.map((r) => ({
      seq: Number(r.seq),
      workspace_id: r.workspace_id,
    }));
  const record = (consumer: string) => async (tx: Parameters<Parameters<ReturnType<typeof createLogs>['define']>[0]['handle']>[0], entries: LogEntry[]) => {
    for (const e of entries) await sql`INSERT INTO effects (consumer, seq, workspace_id) VALUES (${consumer}, ${e.seq}, ${e.workspace_id})`.execute(tx);
  };

  it('a consumer that throws halfway through a batch neither skips nor repeats an entry', async () => {
    const logs = createLogs({ db: handle.db, engine, clock });
    const name = unique('half');
    const workspaces = spreadWorkspaces(3);
    let calls = 0;
    logs.define({
      name,
      log: 'domain_events',
      batch: 4,
      async handle(tx, entries) {
        calls++;
        // The third batch writes half its effects, then fails: all of it must roll back.
        await record(name)(tx, calls === 3 ? entries.slice(0, 2) : entries);
        if (calls === 3) throw new Error('crash halfway');
      },
    });
    await logs.drain().catch(() => undefined);
    await appendEach(logs, workspaces, 10);
    await expect(logs.drain()).rejects.toThrow('crash halfway');
    await logs.drain();
    const ours = new Set(workspaces);
    const done = (await effects(name)).filter((d) => ours.has(d.workspace_id));
    const all = (await logs.store.readAll('domain_events', { tx: 0, seq: 0 }, 10_000)).filter((e) => ours.has(e.workspace_id));
    expect(done.map((d) => d.seq)).toEqual(all.map((e) => e.seq).sort((a, b) => a - b));
    expect(new Set(done.map((d) => d.seq)).size).toBe(30);
    // Each workspace's entries were handled in the order they were appended.
    for (const w of workspaces) {
      const mine = all.filter((e) => e.workspace_id === w).map((e) => (JSON.parse(e.data) as { i: number }).i);
      expect(mine).toEqual([...Array(10).keys()]);
    }
  });

  it('a batch aborted by a deadlock with another writer runs again at once, once, with no failure counted', async () => {
    const logs = createLogs({ db: handle.db, engine, clock });
    const name = unique('deadlock');
    const [w] = spreadWorkspaces(1) as [string];
    let aborted = 0;
    logs.define({
      name,
      log: 'domain_events',
      batch: 10,
      async handle(tx, entries) {
        await record(name)(tx, entries);
        // What PostgreSQL throws on the side of a deadlock it aborts (the CI failure of stop 20).
        if (entries.some((e) => e.workspace_id === w) && aborted++ < 2)
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      },
    });
    await logs.drain().catch(() => undefined);
    aborted = 0;
    await appendEach(logs, [w], 3);
    await logs.drain();
    expect(aborted).toBe(3);
    const done = (await effects(name)).filter((d) => d.workspace_id === w);
    expect(done).toHaveLength(3);
    expect((await logs.lag()).find((l) => l.name === name)?.failing).toBeNull();
  });

  it('an entry that keeps failing alone is recorded as poison and passed; the others are handled once', async () => {
    const logs = createLogs({ db: handle.db, engine, clock });
    const name = unique('poison');
    const [w] = spreadWorkspaces(1) as [string];
    const poisoned: number[] = [];
    logs.define({
      name,
      log: 'domain_events',
      batch: 10,
      async handle(tx, entries) {
        if (entries.some((e) => (JSON.parse(e.data) as { i: number }).i === 3)) throw new Error('cannot handle 3');
        await record(name)(tx, entries);
      },
      async poison(_tx, entry) {
        if (entry.workspace_id === w) poisoned.push((JSON.parse(entry.data) as { i: number }).i);
      },
    });
    await appendEach(logs, [w], 6);
    await logs.drain();
    expect(poisoned).toEqual([3]);
    const done = (await effects(name)).filter((d) => d.workspace_id === w);
    expect(done).toHaveLength(5);
    expect(new Set(done.map((d) => d.seq)).size).toBe(5);
  });

  it('review finding 6: a failing entry backs off only its partition; other workspaces’ entries go on at once', async () => {
    const logs = createLogs({ db: handle.db, engine, clock });
    const name = unique('picky');
    // The bad workspace's partition comes first, so a consumer-wide back-off would stop the good one.
    const [bad, good] = spreadWorkspaces(2).sort((a, b) => partitionOf(a) - partitionOf(b)) as [string, string];
    logs.define({
      name,
      log: 'domain_events',
      batch: 100,
      async handle(tx, entries) {
        if (entries.some((e) => e.workspace_id === bad)) throw new Error('cannot handle this one');
        await record(name)(tx, entries);
      },
    });
    await untilSettled(handle.db, engine);
    await logs.runOnce();
    await appendEach(logs, [bad, good], 2);
    await untilSettled(handle.db, engine);
    await logs.runOnce();
    expect((await effects(name)).filter((e) => e.workspace_id === good)).toHaveLength(2);
    // Later entries of the good workspace go through on the next round, with no time passing,
    // while the bad partition waits out its back-off.
    await appendEach(logs, [good], 3);
    await untilSettled(handle.db, engine);
    await logs.runOnce();
    expect((await effects(name)).filter((e) => e.workspace_id === good)).toHaveLength(5);
    expect((await effects(name)).filter((e) => e.workspace_id === bad)).toHaveLength(0);
    expect((await logs.lag()).find((c) => c.name === name)?.failing).toBe('cannot handle this one');
  });

  it('retention removes only what every consumer of a log has passed', async () => {
    const fast = createLogs({ db: handle.db, engine, clock });
    const names = { fast: unique('fast'), slow: unique('slow') };
    let slowOpen = false;
    fast.define({ name: names.fast, log: 'ingest_log', batch: 100, handle: record(names.fast) });
    fast.define({
      name: names.slow,
      log: 'ingest_log',
      batch: 100,
      async handle(tx, entries) {
        if (!slowOpen) throw new Error('not yet');
        await record(names.slow)(tx, entries);
      },
    });
    const [w] = spreadWorkspaces(1) as [string];
    await handle.db.transaction().execute((tx) =>
      fast.append(
        tx,
        'ingest_log',
        [1, 2, 3].map((i) => ({ workspaceId: w, type: 'batch', data: { i } })),
      ),
    );
    await untilSettled(handle.db, engine);
    await fast.runOnce();
    expect(await effects(names.fast)).toHaveLength(3);
    expect(await fast.trim()).toBe(0);
    expect((await fast.store.readAll('ingest_log', { tx: 0, seq: 0 }, 100)).filter((e) => e.workspace_id === w)).toHaveLength(3);
    slowOpen = true;
    await fast.drain();
    expect(await fast.trim()).toBeGreaterThanOrEqual(3);
    expect((await fast.store.readAll('ingest_log', { tx: 0, seq: 0 }, 100)).filter((e) => e.workspace_id === w)).toHaveLength(0);
  });

  it.runIf(engine === 'postgres')('two processes share one consumer: each partition is handled by one of them, every entry once', async () => {
    const pgInfo = handle.postgres as { url: string; schema?: string };
    const other = openDatabase({ engine: 'postgres', url: pgInfo.url, ...(pgInfo.schema ? { schema: pgInfo.schema } : {}), poolSize: 3 });
    try {
      const name = unique('shared');
      const a = createLogs({ db: handle.db, engine, clock });
      const b = createLogs({ db: other.db, engine, clock });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let aStarted!: () => void;
      const aIsIn = new Promise<void>((resolve) => (aStarted = resolve));
      let first = false;
      a.define({
        name,
        log: 'domain_events',
        batch: 1000,
        async handle(tx, entries) {
          await record(`${name}:a`)(tx, entries);
          if (first) {
            first = false;
            aStarted();
            await held; // process A holds its first partition's cursor while B works
          }
        },
      });
      b.define({ name, log: 'domain_events', batch: 1000, handle: record(`${name}:b`) });
      const workspaces = spreadWorkspaces(PARTITIONS);
      await Promise.all([a.drain(), b.drain()]);
      await appendEach(a, workspaces, 5);
      await untilSettled(handle.db, engine);
      first = true;
      const aRun = a.runOnce();
      await aIsIn;
      const byB = await b.runOnce();
      release();
      await aRun;
      await Promise.all([a.drain(), b.drain()]);
      const ours = new Set(workspaces);
      const doneA = (await effects(`${name}:a`)).filter((d) => ours.has(d.workspace_id));
      const doneB = (await effects(`${name}:b`)).filter((d) => ours.has(d.workspace_id));
      expect(byB).toBeGreaterThan(0);
      expect(doneA.length).toBeGreaterThan(0);
      const seqs = [...doneA, ...doneB].map((d) => d.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.length).toBe(PARTITIONS * 5);
      // A partition (and so a workspace) was never split between the processes in that round.
      const aWorkspaces = new Set(doneA.map((d) => d.workspace_id));
      expect(doneB.filter((d) => aWorkspaces.has(d.workspace_id) && doneA.some((x) => x.workspace_id === d.workspace_id && x.seq > d.seq))).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe.each(engines)('ingest accepted, then processed, on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  it('answers once accepted, shows the lag to owners, then processes in order and dedupes a resent batch', async () => {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'server' } })).body.key as string;
    const batch = (name: string, n: number) => ({
      batch: [
        { type: 'identify', userId: 'u1', messageId: `id-${n}`, traits: { name, email: 'u1@example.com' } },
        { type: 'track', userId: 'u1', messageId: `ev-${n}`, event: `Step ${n}` },
      ],
    });
    for (const [i, name] of ['First', 'Second', 'Third'].entries()) {
      const res = await t.request('POST', '/v1/batch', { headers: basic(key), body: batch(name, i), accepted: true });
      expect(res.status).toBe(200);
    }
    // The same batch again (a client retry): accepted, and stored once.
    expect((await t.request('POST', '/v1/batch', { headers: basic(key), body: batch('Third', 2), accepted: true })).status).toBe(200);

    const lag = await t.request('GET', '/api/v1/system/consumers', { token: ws.token });
    expect(lag.status).toBe(200);
    const processor = (lag.body.data as Array<{ name: string; behind: number }>).find((c) => c.name === 'ingest.process');
    expect(processor?.behind).toBe(4);
    expect((await t.request('GET', '/api/v1/customers?q=u1@example.com', { token: ws.token })).body.data).toHaveLength(0);

    await t.rapport.logs.drain();
    const after = await t.request('GET', '/api/v1/system/consumers', { token: ws.token });
    expect((after.body.data as Array<{ name: string; behind: number; ageSeconds: number }>).find((c) => c.name === 'ingest.process')).toMatchObject({
      behind: 0,
      ageSeconds: 0,
    });
    const found = (await t.request('GET', '/api/v1/customers?q=u1@example.com', { token: ws.token })).body.data;
    expect(found).toHaveLength(1);
    // Later identify calls won: the batches were applied in the order they were accepted.
    expect(found[0].name).toBe('Third');
    const timeline = await t.request('GET', `/api/v1/customers/${found[0].id}/timeline?kind=event`, { token: ws.token });
    expect(timeline.body.data.map((i: { name: string }) => i.name)).toEqual(['Step 2', 'Step 1', 'Step 0']);
  });

  it('keeps the lag of one workspace from another workspace’s owner, and from agents', async () => {
    const a = await newWorkspace(t);
    const b = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: a.token, body: { name: 'server' } })).body.key as string;
    await t.request('POST', '/v1/track', { headers: basic(key), body: { userId: 'x', event: 'E', messageId: unique('m') }, accepted: true });
    const seenByB = await t.request('GET', '/api/v1/system/consumers', { token: b.token });
    expect((seenByB.body.data as Array<{ name: string; behind: number }>).find((c) => c.name === 'ingest.process')?.behind).toBe(0);
    const agent = await t.request('POST', '/api/v1/tokens', { token: a.token, body: { name: 'x' } });
    expect(agent.status).toBe(201);
    await t.rapport.logs.drain();
    const noAuth = await t.request('GET', '/api/v1/system/consumers');
    expect(noAuth.status).toBe(401);
    const ready = await t.request('GET', '/ready');
    expect(ready.body.consumers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'ingest.process', ageSeconds: 0 })]));
    expect(JSON.stringify(ready.body)).not.toContain('behind');
  });
});
