// Search through HTTP on both engines, on every path the SQLite store takes (reading the index,
// walking conversations in activity order, a walk that gives up and reads the rest from the
// index): the same pages as a plain filter over the data, with filters, cursors and partners' teams.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';
import { searchTuning } from './conversations.store.js';

/** `rows`: the subject and each message, indexed apart: every word must match within one of them. */
type Made = { id: string; lastActivityAt: string; team: 'a' | 'b' | null; priority: string; status: string; rows: string[] };

const defaults = structuredClone(searchTuning);
// The paths SQLite takes (PostgreSQL leaves the choice to its planner: every case runs there too).
const paths = {
  // Every word counts as rare: the page comes from the index.
  index: { ...defaults, indexFirstCap: 1_000_000 },
  // Every word counts as common and the walk may see everything.
  walk: { ...defaults, indexFirstCap: 0, walkBudget: 1_000, firstChunk: 3, maxChunk: 4 },
  // A walk that stops early and reads the rest of the page from the index.
  mixed: { ...defaults, indexFirstCap: 0, walkBudget: 7, firstChunk: 3, maxChunk: 3, costPerMatch: 0 },
};

describe.each(engines)('search on %s', (engine) => {
  let t: TestApp;
  let ws: TestWorkspace;
  let partner: { token: string };
  const made: Made[] = [];
  const clock = createFakeClock('2026-05-01T09:00:00.000Z');

  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    ws = await newWorkspace(t);
    const teamA = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'A', autoAssign: false } })).body.id as string;
    const teamB = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'B', autoAssign: false } })).body.id as string;
    partner = await newMember(t, ws, 'partner', { teamIds: [teamA] });
    // Another tenant with the same words must never show.
    const other = await newWorkspace(t);
    for (let i = 0; i < 3; i++) await newConversation(t, other.token, { message: { body: 'parcel zebra lost' } });

    const bodies = ['parcel late', 'parcel lost zebra', 'refund please', 'Parcels and zebras', 'where is my parcel'];
    for (let i = 0; i < 30; i++) {
      clock.advance(1000);
      const team = i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : null;
      const text = bodies[i % bodies.length]!;
      const c = await newConversation(t, ws.token, {
        subject: i % 7 === 0 ? 'zebra subject' : 'Order question',
        message: { body: text },
        priority: i % 4 === 0 ? 'high' : 'normal',
        ...(team ? { teamId: team === 'a' ? teamA : teamB } : {}),
      });
      made.push({
        id: c.id,
        lastActivityAt: c.lastActivityAt,
        team,
        priority: c.priority,
        status: c.status,
        rows: [i % 7 === 0 ? 'zebra subject' : 'Order question', text],
      });
    }
    // Activity moves some older conversations up; a note is searchable but does not move them.
    for (const i of [2, 5, 11]) {
      clock.advance(1000);
      const reply = await t.request('POST', `/api/v1/conversations/${made[i]!.id}/messages`, {
        token: ws.token,
        body: { body: 'quokka parcel', kind: 'reply' },
      });
      expect(reply.status).toBe(201);
      const after = (await t.request('GET', `/api/v1/conversations/${made[i]!.id}`, { token: ws.token })).body;
      made[i] = { ...made[i]!, lastActivityAt: after.lastActivityAt, rows: [...made[i]!.rows, 'quokka parcel'] };
    }
    clock.advance(1000);
    await t.request('POST', `/api/v1/conversations/${made[20]!.id}/messages`, { token: ws.token, body: { body: 'quokka note', kind: 'note' } });
    made[20] = { ...made[20]!, rows: [...made[20]!.rows, 'quokka note'] };
    const pending = await t.request('PATCH', `/api/v1/conversations/${made[8]!.id}`, { token: ws.token, body: { status: 'pending' } });
    made[8] = { ...made[8]!, status: pending.body.status };
  });
  afterEach(() => Object.assign(searchTuning, structuredClone(defaults)));
  afterAll(async () => t.close());

  /** What a page should hold: every word in one row, the last one as a prefix; newest activity first. */
  function expected(q: string, keep: (c: Made) => boolean) {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return made
      .filter((c) => {
        const matches = (row: string) => {
          const tokens = row.toLowerCase().split(/[^a-z0-9]+/);
          return words.every((w, i) => (i === words.length - 1 ? tokens.some((x) => x.startsWith(w)) : tokens.includes(w)));
        };
        return keep(c) && c.rows.some(matches);
      })
      .sort((a, b) => (a.lastActivityAt === b.lastActivityAt ? (a.id < b.id ? 1 : -1) : a.lastActivityAt < b.lastActivityAt ? 1 : -1))
      .map((c) => c.id);
  }

  async function all(token: string, query: string, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.request('GET', `/api/v1/conversations?limit=${limit}&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      expect(res.status).toBe(200);
      ids.push(...res.body.data.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids;
  }

  const cases: Array<[string, string, (c: Made) => boolean]> = [
    ['common word', 'q=parcel', () => true],
    ['prefix', 'q=parc', () => true],
    ['two words, the last a prefix', 'q=parcel%20zeb', () => true],
    ['word in subjects', 'q=zebra', () => true],
    ['word of replies and a note', 'q=quokka', () => true],
    ['common word and a filter', 'q=parcel&priority=high', (c) => c.priority === 'high'],
    ['common word and a status', 'q=parcel&status=pending', (c) => c.status === 'pending'],
    ['nothing matches', 'q=zzzz', () => true],
  ];

  for (const [path, tuning] of Object.entries(paths)) {
    it.each(cases)(`${path}: %s gives the same pages as a plain filter`, async (_name, query, keep) => {
      Object.assign(searchTuning, structuredClone(tuning));
      const q = decodeURIComponent(/q=([^&]*)/.exec(query)![1]!);
      const want = expected(q, keep);
      if (q !== 'zzzz') expect(want.length).toBeGreaterThan(0);
      expect(await all(ws.token, query, 50)).toEqual(want);
      expect(await all(ws.token, query, 4)).toEqual(want);
    });

    it(`${path}: a partner finds only its teams' conversations, with a filter too`, async () => {
      Object.assign(searchTuning, structuredClone(tuning));
      expect(await all(partner.token, 'q=parcel', 3)).toEqual(expected('parcel', (c) => c.team === 'a'));
      expect(await all(partner.token, 'q=parcel&priority=high', 2)).toEqual(expected('parcel', (c) => c.team === 'a' && c.priority === 'high'));
      expect(await all(partner.token, 'q=zebra', 5)).toEqual(expected('zebra', (c) => c.team === 'a'));
    });
  }

  it('search syntax is words only: quotes, operators and column names match nothing special', async () => {
    for (const q of ['"parcel', 'parcel OR refund', 'conversation_id:parcel', 'body:(parcel)', 'NEAR(parcel zebra)', '*', '-parcel']) {
      for (const tuning of Object.values(paths)) {
        Object.assign(searchTuning, structuredClone(tuning));
        const res = await t.request('GET', `/api/v1/conversations?q=${encodeURIComponent(q)}`, { token: ws.token });
        expect(res.status).toBe(200);
      }
    }
    // An id is no search word: conversation ids are indexed for the walk, never matched by the user's words.
    Object.assign(searchTuning, structuredClone(paths.walk));
    const tail = made[0]!.id.slice(4);
    expect((await t.request('GET', `/api/v1/conversations?q=${tail}`, { token: ws.token })).body.data).toEqual([]);
  });
});
