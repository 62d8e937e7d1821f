// Two Rapport processes on one PostgreSQL receive events for the same new people at the same
// time: each identity still ends up with exactly one customer holding all of its events.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Rapport } from '../../app.js';
import { openDatabase, type DbHandle } from '../../platform/db/database.js';
import { createTestApp, engines, newWorkspace, TEST_DATABASE_URL, type TestApp } from '../../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'content-type': 'application/json' });

describe.runIf(engines.includes('postgres'))('ingest from two processes on one postgres', () => {
  let t: TestApp;
  let second: Rapport;
  let handle: DbHandle;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.rapport.db)).rows[0]?.s ?? 'public';
    handle = openDatabase({ engine: 'postgres', url: TEST_DATABASE_URL, schema, poolSize: 5 });
    second = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null });
    await second.app.ready();
  });
  afterAll(async () => {
    await second.app.close();
    await handle.close();
    await t.close();
  });

  it('links and merges consistently when both processes see the same new identities at once', async () => {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key as string;
    const people = Array.from({ length: 40 }, (_, i) => i);
    const batchFor = (side: string) =>
      JSON.stringify({
        batch: people.flatMap((i) => [
          { type: 'track', userId: `u${i}`, event: 'Opened', messageId: `${side}-t-${i}` },
          { type: 'identify', userId: `u${i}`, anonymousId: `a${i}-${side}`, traits: { email: `p${i}@example.com` }, messageId: `${side}-i-${i}` },
        ]),
      });
    const apps = [t.rapport.app, second.app];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        (apps[n % 2] ?? t.rapport.app).inject({ method: 'POST', url: '/v1/batch', headers: basic(key), payload: batchFor(`s${n}`) }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    // Both processes run the processor at once: they share its partitions, never double work.
    await Promise.all([t.rapport.logs.drain(), second.logs.drain()]);

    for (const i of [0, 17, 39]) {
      const list = await t.request('GET', `/api/v1/customers?q=p${i}@example.com`, { token: ws.token });
      expect(list.body.data).toHaveLength(1);
      const c = (await t.request('GET', `/api/v1/customers/${list.body.data[0].id}`, { token: ws.token })).body;
      const ids = c.identities.map((x: { kind: string; value: string }) => `${x.kind}:${x.value}`);
      expect(ids).toEqual(
        expect.arrayContaining([`user_id:u${i}`, `email:p${i}@example.com`, ...Array.from({ length: 6 }, (_, n) => `anonymous_id:a${i}-s${n}`)]),
      );
      const events = (await t.request('GET', `/api/v1/customers/${c.id}/timeline?kind=event,identify&limit=200`, { token: ws.token })).body.data;
      expect(events).toHaveLength(12);
    }
    const all = await t.request('GET', '/api/v1/customers?limit=200', { token: ws.token });
    expect(all.body.data).toHaveLength(40);
  });
});
