// Assignment: manual, claim races, and round-robin within a team (skipping away/offline
// agents and agents at capacity), run by the outbox worker after commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp } from '../../test/harness.js';

describe.each(engines)('assignment on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  it('lets exactly one of two agents claiming the same conversation at once win', async () => {
    const w = await newWorkspace(t);
    const agents = [await newMember(t, w, 'agent'), await newMember(t, w, 'agent')];
    for (let round = 0; round < 5; round++) {
      const c = await newConversation(t, w.token);
      const results = await Promise.all(agents.map((ag) => t.request('POST', `/api/v1/conversations/${c.id}/claim`, { token: ag.token })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.findIndex((r) => r.status === 200);
      const final = (await t.request('GET', `/api/v1/conversations/${c.id}`, { token: w.token })).body;
      expect(final.assigneeId).toBe(agents[winner]?.userId);
      expect(results.find((r) => r.status === 409)?.body.detail).toMatch(/already took/);
      const audit = (await t.request('GET', `/api/v1/audit-log?objectId=${c.id}`, { token: w.token })).body.data;
      expect(audit.filter((e: { action: string }) => e.action === 'conversation.assigned')).toHaveLength(1);
    }
  });

  it('assigns manually and audits the change', async () => {
    const w = await newWorkspace(t);
    const ag = await newMember(t, w, 'agent');
    const c = await newConversation(t, w.token);
    const res = await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: w.token, body: { assigneeId: ag.userId } });
    expect(res.body.assigneeId).toBe(ag.userId);
    const entry = (await t.request('GET', `/api/v1/audit-log?action=conversation.assigned`, { token: w.token })).body.data[0];
    expect(entry).toMatchObject({ objectId: c.id, actor: { id: w.userId }, data: { assigneeId: ag.userId, by: 'manual' } });
    const unassigned = await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: w.token, body: { assigneeId: null } });
    expect(unassigned.body.assigneeId).toBeNull();
  });

  it('round-robins within a team, skipping away and offline agents and agents at capacity', async () => {
    const w = await newWorkspace(t);
    const team = (await t.request('POST', '/api/v1/teams', { token: w.token, body: { name: 'Support', autoAssign: true } })).body;
    const outsider = await newMember(t, w, 'agent');
    const a = await newMember(t, w, 'agent', { teamIds: [team.id], name: 'A' });
    const b = await newMember(t, w, 'agent', { teamIds: [team.id], name: 'B' });
    const c = await newMember(t, w, 'agent', { teamIds: [team.id], name: 'C', capacity: 2 });
    const names = new Map([
      [a.userId, 'A'],
      [b.userId, 'B'],
      [c.userId, 'C'],
      [outsider.userId, 'outsider'],
    ]);
    const next = async () => {
      const conv = await newConversation(t, w.token, { teamId: team.id });
      await t.rapport.jobs.drain();
      const got = (await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: w.token })).body;
      return got.assigneeId ? names.get(got.assigneeId) : null;
    };
    // Fair rotation among the three (order by who was assigned least recently, ties by id).
    const firstRound = [await next(), await next(), await next()];
    expect(new Set(firstRound)).toEqual(new Set(['A', 'B', 'C']));
    expect([await next(), await next(), await next()]).toEqual(firstRound);
    // C now holds 2 open conversations = capacity: skipped.
    expect(c.userId && (await t.request('GET', `/api/v1/conversations?assignee=${c.userId}&status=open`, { token: w.token })).body.data).toHaveLength(2);
    const withoutC = firstRound.filter((n) => n !== 'C');
    expect([await next(), await next()]).toEqual(withoutC);
    // B goes away: only A gets work; A going offline leaves conversations unassigned.
    await t.request('PATCH', '/api/v1/me', { token: b.token, body: { availability: 'away' } });
    expect([await next(), await next()]).toEqual(['A', 'A']);
    await t.request('PATCH', '/api/v1/me', { token: a.token, body: { availability: 'offline' } });
    expect(await next()).toBeNull();
    // C resolves one conversation and has room again.
    const cOpen = (await t.request('GET', `/api/v1/conversations?assignee=${c.userId}`, { token: w.token })).body.data[0];
    await t.request('PATCH', `/api/v1/conversations/${cOpen.id}`, { token: c.token, body: { status: 'resolved' } });
    expect(await next()).toBe('C');
  });

  it('does not auto-assign when the team has auto-assignment off or the conversation already has an assignee', async () => {
    const w = await newWorkspace(t);
    const team = (await t.request('POST', '/api/v1/teams', { token: w.token, body: { name: 'Manual', autoAssign: false } })).body;
    await newMember(t, w, 'agent', { teamIds: [team.id] });
    const conv = await newConversation(t, w.token, { teamId: team.id });
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: w.token })).body.assigneeId).toBeNull();
    await t.request('PATCH', `/api/v1/teams/${team.id}`, { token: w.token, body: { autoAssign: true } });
    const moved = await newConversation(t, w.token);
    await t.request('PATCH', `/api/v1/conversations/${moved.id}`, { token: w.token, body: { teamId: team.id } });
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${moved.id}`, { token: w.token })).body.assigneeId).not.toBeNull();

    // Auto-assignment on, but the conversation already has an assignee: round-robin leaves it.
    const chosen = await newMember(t, w, 'agent');
    const preassigned = await newConversation(t, w.token, { teamId: team.id, assigneeId: chosen.userId });
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${preassigned.id}`, { token: w.token })).body.assigneeId).toBe(chosen.userId);
    expect(await t.rapport.services.conversations.assignNext(w.workspaceId, preassigned.id)).toBeNull();
  });

  it('retries a failing job with backoff and dead-letters it after its last attempt; a payload that does not parse fails', async () => {
    const clock = createFakeClock('2026-06-01T00:00:00.000Z');
    const ft = await createTestApp(engine, { clock });
    try {
      const w = await newWorkspace(ft);
      let calls = 0;
      const flaky = ft.rapport.jobs.define('test.flaky', z.object({ n: z.number() }), async () => {
        calls++;
        throw new Error('downstream unavailable');
      });
      await flaky.enqueue(ft.rapport.db, { workspaceId: w.workspaceId, payload: { n: 1 }, idempotencyKey: 'flaky-1', maxAttempts: 2 });
      await flaky.enqueue(ft.rapport.db, { workspaceId: w.workspaceId, payload: { n: 1 }, idempotencyKey: 'flaky-1', maxAttempts: 2 });
      await ft.rapport.jobs.drain();
      expect(calls).toBe(1);
      let [job] = await ft.rapport.jobs.list(w.workspaceId);
      expect(job).toMatchObject({ status: 'queued', attempts: 1, last_error: 'downstream unavailable' });
      expect(Date.parse(job?.run_at ?? '')).toBe(clock.nowMs() + 1000);
      // Not due yet: nothing runs until the backoff has passed.
      await ft.rapport.jobs.drain();
      expect(calls).toBe(1);
      clock.advance(1000);
      await ft.rapport.jobs.drain();
      [job] = await ft.rapport.jobs.list(w.workspaceId);
      expect(job).toMatchObject({ status: 'dead', attempts: 2 });
      expect(calls).toBe(2);

      // A payload its schema refuses never reaches the handler.
      await ft.rapport.jobs.enqueue(ft.rapport.db, {
        workspaceId: w.workspaceId,
        type: 'test.flaky',
        payload: { n: 'x' },
        idempotencyKey: 'bad',
        maxAttempts: 1,
      });
      await ft.rapport.jobs.drain();
      const bad = (await ft.rapport.jobs.list(w.workspaceId)).find((j) => j.idempotency_key === 'bad');
      expect(bad).toMatchObject({ status: 'dead', last_error: expect.stringContaining('invalid test.flaky payload') });
      expect(calls).toBe(2);
    } finally {
      await ft.close();
    }
  });
});
