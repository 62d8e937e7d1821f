// SLA policies through the API on both engines, with a fake clock: settings CRUD and its refusals,
// policy selection, business hours over a weekend, the clock paused while pending, next response,
// warnings and breaches exactly once, the inbox's due order and hand-computed attainment.
import { DOMAIN_EVENTS } from '@rapport/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { toEnvelope } from '../../platform/domain-events.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, untilSettled, type TestApp, type TestWorkspace } from '../../test/harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe.each(engines)('SLA policies on %s', (engine) => {
  // Monday 2 March 2026, 08:00 UTC.
  const clock = createFakeClock(new Date('2026-03-02T08:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
  });
  afterAll(async () => t.close());

  const req = async (ws: TestWorkspace, method: string, url: string, body?: unknown) =>
    t.request(method, url, { token: ws.token, ...(body !== undefined ? { body } : {}) });
  const ok = async (ws: TestWorkspace, method: string, url: string, body?: unknown) => {
    const res = await req(ws, method, url, body);
    expect([200, 201], `${method} ${url}: ${res.text}`).toContain(res.status);
    return res.body;
  };
  const settle = async () => {
    await untilSettled(t.rapport.db, engine);
    await t.rapport.logs.drain();
  };
  const conversation = async (ws: TestWorkspace, id: string) => {
    await settle();
    return ok(ws, 'GET', `/api/v1/conversations/${id}`);
  };
  const sweep = async () => {
    await settle();
    const r = await t.rapport.services.sla.sweep();
    await settle();
    return r;
  };
  const slaEvents = async (ws: TestWorkspace) => {
    const entries = await t.rapport.logs.store.readWorkspace('domain_events', ws.workspaceId, { tx: 0, seq: 0 }, 10_000, { settledOnly: false });
    return entries.map(toEnvelope).filter((e) => e.type.startsWith('sla.'));
  };
  const agentReply = (ws: TestWorkspace, id: string, token = ws.token) =>
    t.request('POST', `/api/v1/conversations/${id}/messages`, { token, body: { body: 'On it', kind: 'reply' } });

  it('keeps calendars and policies per workspace, validated, for owners and admins', async () => {
    const a = await newWorkspace(t, 'SLA A');
    const b = await newWorkspace(t, 'SLA B');
    const cal = await ok(a, 'POST', '/api/v1/sla/calendars', {
      name: 'Berlin office',
      timeZone: 'Europe/Berlin',
      hours: [
        { day: 'mon', from: '09:00', to: '12:00' },
        { day: 'mon', from: '13:00', to: '17:00' },
      ],
      holidays: ['2026-12-25'],
      isDefault: true,
    });
    expect(cal).toMatchObject({ id: expect.stringMatching(/^slac_/), alwaysOpen: false, isDefault: true, teamId: null });
    const policy = await ok(a, 'POST', '/api/v1/sla/policies', {
      name: 'Gold',
      conditions: { traits: [{ key: 'tier', in: ['gold'] }] },
      targets: { firstResponse: 'PT1H', resolution: 'P1D' },
      calendarId: cal.id,
      warning: { percent: 80 },
    });
    expect(policy).toMatchObject({ position: 1, enabled: true, calendarId: cal.id });
    const second = await ok(a, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT4H' } });
    expect(second.position).toBe(2);
    const reordered = await ok(a, 'PUT', '/api/v1/sla/policies/order', { ids: [second.id, policy.id] });
    expect(reordered.data.map((p: { id: string }) => p.id)).toEqual([second.id, policy.id]);
    expect((await ok(a, 'PATCH', `/api/v1/sla/policies/${policy.id}`, { enabled: false })).enabled).toBe(false);
    expect((await ok(a, 'PATCH', `/api/v1/sla/calendars/${cal.id}`, { holidays: ['2026-12-24', '2026-12-25'] })).holidays).toEqual([
      '2026-12-24',
      '2026-12-25',
    ]);

    // Invalid input: 400 problems naming the field.
    for (const [url, body] of [
      ['/api/v1/sla/calendars', { name: 'x', timeZone: 'Mars/Olympus', hours: [{ day: 'mon', from: '09:00', to: '17:00' }] }],
      ['/api/v1/sla/calendars', { name: 'x', timeZone: 'UTC', hours: [{ day: 'mon', from: '17:00', to: '09:00' }] }],
      ['/api/v1/sla/calendars', { name: 'x', timeZone: 'UTC', hours: [] }],
      ['/api/v1/sla/calendars', { name: 'x', timeZone: 'UTC', hours: Array.from({ length: 51 }, () => ({ day: 'mon', from: '09:00', to: '10:00' })) }],
      ['/api/v1/sla/calendars', { name: 'x', timeZone: 'UTC', alwaysOpen: true, holidays: ['2026-01-01'] }],
      ['/api/v1/sla/policies', { name: 'x', targets: {} }],
      ['/api/v1/sla/policies', { name: 'x', targets: { firstResponse: 'soon' } }],
      ['/api/v1/sla/policies', { name: 'x', targets: { resolution: 'P400D' } }],
      ['/api/v1/sla/policies', { name: 'x', targets: { firstResponse: 'PT1H' }, warning: { percent: 120 } }],
      ['/api/v1/sla/policies', { name: 'x', targets: { firstResponse: 'PT1H' }, conditions: { priority: ['whenever'] } }],
      // Review finding: an empty id is not "none" (it used to pass the reference checks).
      ['/api/v1/sla/policies', { name: 'x', targets: { firstResponse: 'PT1H' }, calendarId: '' }],
      ['/api/v1/sla/calendars', { name: 'x', timeZone: 'UTC', hours: [{ day: 'mon', from: '09:00', to: '17:00' }], teamId: '' }],
    ] as const) {
      const res = await req(a, 'POST', url, body);
      expect(res.status, `${url} ${JSON.stringify(body)}: ${res.text}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    // A patch must leave a whole calendar: 24/7 with hours still set is refused.
    const half = await req(a, 'PATCH', `/api/v1/sla/calendars/${cal.id}`, { alwaysOpen: true });
    expect(half.status).toBe(400);
    expect(half.body.errors[0].path).toBe('body.hours');
    const reorderBad = await req(a, 'PUT', '/api/v1/sla/policies/order', { ids: [policy.id] });
    expect(reorderBad.status).toBe(400);
    // A calendar in use cannot go.
    expect((await req(a, 'DELETE', `/api/v1/sla/calendars/${cal.id}`)).status).toBe(409);

    // Another workspace's ids are not found, in paths and in bodies.
    expect((await req(b, 'GET', `/api/v1/sla/policies/${policy.id}`)).status).toBe(404);
    expect((await req(b, 'PATCH', `/api/v1/sla/policies/${policy.id}`, { name: 'mine' })).status).toBe(404);
    expect((await req(b, 'DELETE', `/api/v1/sla/policies/${policy.id}`)).status).toBe(404);
    expect((await req(b, 'GET', `/api/v1/sla/calendars/${cal.id}`)).status).toBe(404);
    expect((await req(b, 'DELETE', `/api/v1/sla/calendars/${cal.id}`)).status).toBe(404);
    expect((await req(b, 'POST', '/api/v1/sla/policies', { name: 'x', targets: { firstResponse: 'PT1H' }, calendarId: cal.id })).status).toBe(404);
    expect((await ok(b, 'GET', '/api/v1/sla/policies')).data).toEqual([]);

    // Agents read settings but may not change them.
    const agent = await newMember(t, a, 'agent');
    expect((await t.request('GET', '/api/v1/sla/policies', { token: agent.token })).status).toBe(200);
    const refused = await t.request('POST', '/api/v1/sla/policies', { token: agent.token, body: { name: 'x', targets: { firstResponse: 'PT1H' } } });
    expect(refused.status).toBe(403);

    await ok(a, 'DELETE', `/api/v1/sla/policies/${policy.id}`);
    await ok(a, 'DELETE', `/api/v1/sla/calendars/${cal.id}`);
    expect((await ok(a, 'GET', '/api/v1/sla/calendars')).data).toEqual([]);
  });

  it('applies the first matching policy, and again when the conversation changes', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    const team = await ok(ws, 'POST', '/api/v1/teams', { name: 'Billing', autoAssign: false });
    const urgent = await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'Urgent', conditions: { priority: ['urgent'] }, targets: { firstResponse: 'PT15M' } });
    const gold = await ok(ws, 'POST', '/api/v1/sla/policies', {
      name: 'Gold',
      conditions: { traits: [{ key: 'tier', in: ['gold'] }] },
      targets: { firstResponse: 'PT30M' },
    });
    const billing = await ok(ws, 'POST', '/api/v1/sla/policies', {
      name: 'Billing complaints',
      conditions: { teamId: [team.id], category: ['complaint'], channel: ['email'] },
      targets: { firstResponse: 'PT2H' },
    });
    const rest = await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'Everything else', targets: { firstResponse: 'PT8H', resolution: 'P2D' } });

    const goldCustomer = await ok(ws, 'POST', '/api/v1/customers', { name: 'Goldie', email: 'goldie@example.com', traits: { tier: 'gold' } });
    const c1 = await newConversation(t, ws.token, { customer: { id: goldCustomer.id }, priority: 'urgent' });
    const c2 = await newConversation(t, ws.token, { customer: { id: goldCustomer.id } });
    const c3 = await newConversation(t, ws.token, { teamId: team.id, category: 'complaint' });
    const c4 = await newConversation(t, ws.token, { teamId: team.id, category: 'complaint', channel: 'chat' });
    const at = (ms: number) => new Date(Date.parse('2026-03-02T08:00:00Z') + ms).toISOString();
    expect((await conversation(ws, c1.id)).sla).toEqual({
      policyId: urgent.id,
      firstResponseDueAt: at(15 * MIN),
      nextResponseDueAt: null,
      resolutionDueAt: null,
      breached: [],
      pausedSince: null,
    });
    expect((await conversation(ws, c2.id)).sla).toMatchObject({ policyId: gold.id, firstResponseDueAt: at(30 * MIN) });
    expect((await conversation(ws, c3.id)).sla).toMatchObject({ policyId: billing.id, firstResponseDueAt: at(2 * HOUR) });
    expect((await conversation(ws, c4.id)).sla).toMatchObject({ policyId: rest.id, firstResponseDueAt: at(8 * HOUR), resolutionDueAt: at(48 * HOUR) });

    // Raising the priority later moves the conversation to the urgent policy: its targets are counted from the start.
    clock.advance(5 * MIN);
    await ok(ws, 'PATCH', `/api/v1/conversations/${c4.id}`, { priority: 'urgent' });
    expect((await conversation(ws, c4.id)).sla).toMatchObject({ policyId: urgent.id, firstResponseDueAt: at(15 * MIN), resolutionDueAt: null });
    // The list shows the same, batched for the page.
    const list = await ok(ws, 'GET', '/api/v1/conversations?limit=10');
    expect(list.data.find((c: { id: string }) => c.id === c3.id).sla.policyId).toBe(billing.id);
    // A disabled policy is passed over.
    await ok(ws, 'PATCH', `/api/v1/sla/policies/${urgent.id}`, { enabled: false });
    await ok(ws, 'PATCH', `/api/v1/conversations/${c1.id}`, { subject: 'Changed' });
    expect((await conversation(ws, c1.id)).sla).toMatchObject({ policyId: gold.id, firstResponseDueAt: at(30 * MIN) });
  });

  it('starts targets no earlier than their policy', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    const c = await newConversation(t, ws.token);
    expect((await conversation(ws, c.id)).sla).toBeNull();
    clock.advance(3 * HOUR);
    const policy = await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'New', targets: { firstResponse: 'PT1H' } });
    expect((await conversation(ws, c.id)).sla).toBeNull();
    await ok(ws, 'PATCH', `/api/v1/conversations/${c.id}`, { priority: 'high' });
    expect((await conversation(ws, c.id)).sla).toMatchObject({ policyId: policy.id, firstResponseDueAt: '2026-03-02T12:00:00.000Z' });
  });

  it('counts business hours over a weekend with the default and team calendars', async () => {
    // Friday 6 March 2026, 16:00 UTC.
    clock.set('2026-03-06T16:00:00Z');
    const ws = await newWorkspace(t);
    const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, from: '09:00', to: '17:00' }));
    await ok(ws, 'POST', '/api/v1/sla/calendars', { name: 'Office', timeZone: 'UTC', hours: weekdays, isDefault: true });
    const team = await ok(ws, 'POST', '/api/v1/teams', { name: 'Night shift', autoAssign: false });
    await ok(ws, 'POST', '/api/v1/sla/calendars', { name: 'Always', timeZone: 'UTC', alwaysOpen: true, teamId: team.id });
    await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT2H' } });
    const office = await newConversation(t, ws.token);
    const night = await newConversation(t, ws.token, { teamId: team.id });
    expect((await conversation(ws, office.id)).sla.firstResponseDueAt).toBe('2026-03-09T10:00:00.000Z');
    expect((await conversation(ws, night.id)).sla.firstResponseDueAt).toBe('2026-03-06T18:00:00.000Z');
  });

  it('counts business hours over a holiday and the DST change in Europe/Berlin', async () => {
    // Thursday 26 March 2026, 15:00 Berlin (14:00Z, CET). Friday 27th is a holiday; clocks go forward on Sunday 29th.
    clock.set('2026-03-26T14:00:00Z');
    const ws = await newWorkspace(t);
    const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, from: '09:00', to: '17:00' }));
    await ok(ws, 'POST', '/api/v1/sla/calendars', { name: 'Berlin', timeZone: 'Europe/Berlin', hours: weekdays, holidays: ['2026-03-27'], isDefault: true });
    await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT4H', resolution: 'PT16H' } });
    const c = await newConversation(t, ws.token);
    // 2 h on Thursday, none on the holiday or the weekend, 2 h on Monday from 09:00 CEST (07:00Z): 11:00 CEST.
    // Resolution: 2 h Thursday + 8 h Monday + 6 h Tuesday → Tuesday 15:00 CEST (13:00Z).
    expect((await conversation(ws, c.id)).sla).toMatchObject({ firstResponseDueAt: '2026-03-30T09:00:00.000Z', resolutionDueAt: '2026-03-31T13:00:00.000Z' });
  });

  it('pauses the clock while pending and resumes it when the conversation reopens', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    const policy = await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT1H', resolution: 'PT10H' } });
    const c = await newConversation(t, ws.token);
    clock.advance(30 * MIN);
    await ok(ws, 'PATCH', `/api/v1/conversations/${c.id}`, { status: 'pending' });
    const paused = (await conversation(ws, c.id)).sla;
    expect(paused).toMatchObject({ policyId: policy.id, pausedSince: '2026-03-02T08:30:00.000Z' });
    // Nothing comes due while paused, however long it waits.
    clock.advance(5 * HOUR);
    await sweep();
    expect(await slaEvents(ws)).toEqual([]);
    await ok(ws, 'PATCH', `/api/v1/conversations/${c.id}`, { status: 'open' });
    expect((await conversation(ws, c.id)).sla).toEqual({
      policyId: policy.id,
      firstResponseDueAt: '2026-03-02T14:00:00.000Z',
      nextResponseDueAt: null,
      resolutionDueAt: '2026-03-02T23:00:00.000Z',
      breached: [],
      pausedSince: null,
    });
    // A customer message reopens a pending conversation and restarts the clock too.
    clock.advance(10 * MIN);
    await ok(ws, 'PATCH', `/api/v1/conversations/${c.id}`, { status: 'pending' });
    clock.advance(HOUR);
    await ok(ws, 'POST', `/api/v1/conversations/${c.id}/messages`, { body: 'Here is my order number', kind: 'reply', author: 'customer' });
    const reopened = await conversation(ws, c.id);
    expect(reopened.status).toBe('open');
    expect(reopened.sla).toMatchObject({ pausedSince: null, firstResponseDueAt: '2026-03-02T15:00:00.000Z' });
  });

  it('starts a next-response target on each unanswered customer message; an agent reply meets it', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT1H', nextResponse: 'PT30M' } });
    const c = await newConversation(t, ws.token);
    clock.advance(10 * MIN);
    await agentReply(ws, c.id);
    expect((await conversation(ws, c.id)).sla).toMatchObject({ firstResponseDueAt: null, nextResponseDueAt: null });
    clock.advance(10 * MIN);
    await ok(ws, 'POST', `/api/v1/conversations/${c.id}/messages`, { body: 'Any news?', kind: 'reply', author: 'customer' });
    // A second message before any answer does not move the clock.
    clock.advance(2 * MIN);
    await ok(ws, 'POST', `/api/v1/conversations/${c.id}/messages`, { body: 'Hello?', kind: 'reply', author: 'customer' });
    const s = (await conversation(ws, c.id)).sla;
    expect(s.nextResponseDueAt).toBe('2026-03-02T08:50:00.000Z');
    clock.advance(5 * MIN);
    await agentReply(ws, c.id);
    expect((await conversation(ws, c.id)).sla).toMatchObject({ nextResponseDueAt: null, breached: [] });
  });

  it('warns, then breaches, exactly once each, as events with their schema', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    const policy = await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT1H' }, warning: { percent: 80 } });
    const c = await newConversation(t, ws.token);
    // The sweep covers every workspace: count this one's events.
    const types = async () => (await slaEvents(ws)).map((e) => e.type);
    clock.advance(47 * MIN);
    await sweep();
    expect(await types()).toEqual([]);
    clock.advance(2 * MIN);
    await sweep();
    expect(await types()).toEqual(['sla.warning']);
    await sweep();
    expect(await types()).toEqual(['sla.warning']);
    clock.advance(12 * MIN);
    // Two sweeps racing (as two processes would): one breach between them.
    await settle();
    await Promise.all([t.rapport.services.sla.sweep(), t.rapport.services.sla.sweep()]);
    await sweep();
    const events = await slaEvents(ws);
    expect(events.map((e) => e.type)).toEqual(['sla.warning', 'sla.breached']);
    for (const e of events) expect(DOMAIN_EVENTS[e.type].safeParse(e.data).success).toBe(true);
    expect(events[0]?.data).toEqual({
      conversationId: c.id,
      customerId: c.customer.id,
      policyId: policy.id,
      metric: 'first_response',
      dueAt: '2026-03-02T09:00:00.000Z',
      at: '2026-03-02T08:49:00.000Z',
    });
    expect(events[1]?.data).toMatchObject({ metric: 'first_response', dueAt: '2026-03-02T09:00:00.000Z', at: '2026-03-02T09:01:00.000Z' });
    expect((await conversation(ws, c.id)).sla).toMatchObject({ breached: ['first_response'], firstResponseDueAt: '2026-03-02T09:00:00.000Z' });
    // The late reply ends the target; it stays breached and nothing more is emitted.
    await agentReply(ws, c.id);
    await sweep();
    expect((await conversation(ws, c.id)).sla).toMatchObject({ breached: ['first_response'], firstResponseDueAt: null });
    expect((await slaEvents(ws)).length).toBe(2);
  });

  it('sorts the inbox by due time', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'Urgent', conditions: { priority: ['urgent'] }, targets: { firstResponse: 'PT10M' } });
    await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'High', conditions: { priority: ['high'] }, targets: { firstResponse: 'PT1H' } });
    const none = await newConversation(t, ws.token, { priority: 'low' });
    const high = await newConversation(t, ws.token, { priority: 'high' });
    const urgent = await newConversation(t, ws.token, { priority: 'urgent' });
    await settle();
    const first = await ok(ws, 'GET', '/api/v1/conversations?sort=due&limit=2');
    expect(first.data.map((c: { id: string }) => c.id)).toEqual([urgent.id, high.id]);
    const next = await ok(ws, 'GET', `/api/v1/conversations?sort=due&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect(next.data.map((c: { id: string }) => c.id)).toEqual([none.id]);
    expect((await req(ws, 'GET', '/api/v1/conversations?sort=due&q=parcel')).status).toBe(400);
  });

  it('reports attainment by team, agent, channel and period, as hand-computed', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const ws = await newWorkspace(t);
    const x = await ok(ws, 'POST', '/api/v1/teams', { name: 'X', autoAssign: false });
    const y = await ok(ws, 'POST', '/api/v1/teams', { name: 'Y', autoAssign: false });
    await ok(ws, 'POST', '/api/v1/sla/policies', { name: 'All', targets: { firstResponse: 'PT1H', resolution: 'PT4H' } });
    // Conversation 1 (team X, email, the owner): answered after 30 min (met), resolved after 2 h (met).
    const c1 = await newConversation(t, ws.token, { teamId: x.id, assigneeId: ws.userId });
    // Conversation 2 (team X, chat): answered after 90 min (breached), resolved after 5 h (breached).
    const c2 = await newConversation(t, ws.token, { teamId: x.id, channel: 'chat' });
    // Conversation 3 (team Y, email): answered after 30 min (met), still open after 5 h (resolution breached by the sweep).
    const c3 = await newConversation(t, ws.token, { teamId: y.id });
    clock.advance(30 * MIN);
    await agentReply(ws, c1.id);
    await agentReply(ws, c3.id);
    clock.advance(60 * MIN);
    await agentReply(ws, c2.id);
    clock.advance(30 * MIN);
    await ok(ws, 'PATCH', `/api/v1/conversations/${c1.id}`, { status: 'resolved' });
    clock.advance(3 * HOUR);
    await ok(ws, 'PATCH', `/api/v1/conversations/${c2.id}`, { status: 'resolved' });
    await sweep();
    const q = '/api/v1/sla/attainment?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z';
    const byTeam = await ok(ws, 'GET', `${q}&by=team`);
    // 6 targets: met = c1 ×2 + c3 first response = 3; breached = c2 ×2 + c3 resolution = 3.
    expect(byTeam.overall).toEqual({ key: null, total: 6, met: 3, breached: 3, attainment: 50 });
    const team = (id: string) => byTeam.data.find((g: { key: string }) => g.key === id);
    expect(team(x.id)).toEqual({ key: x.id, total: 4, met: 2, breached: 2, attainment: 50 });
    expect(team(y.id)).toEqual({ key: y.id, total: 2, met: 1, breached: 1, attainment: 50 });
    const byChannel = await ok(ws, 'GET', `${q}&by=channel&metric=first_response`);
    expect(byChannel.data).toEqual([
      { key: 'chat', total: 1, met: 0, breached: 1, attainment: 0 },
      { key: 'email', total: 2, met: 2, breached: 0, attainment: 100 },
    ]);
    const byAgent = await ok(ws, 'GET', `${q}&by=agent`);
    expect(byAgent.data.find((g: { key: string | null }) => g.key === ws.userId)).toEqual({ key: ws.userId, total: 2, met: 2, breached: 0, attainment: 100 });
    const byDay = await ok(ws, 'GET', `${q}&by=period`);
    expect(byDay.data).toEqual([{ key: '2026-03-02', total: 6, met: 3, breached: 3, attainment: 50 }]);
    const byWeek = await ok(ws, 'GET', `${q}&by=period&period=week`);
    expect(byWeek.data).toEqual([{ key: '2026-03-02', total: 6, met: 3, breached: 3, attainment: 50 }]);
    expect((await req(ws, 'GET', '/api/v1/sla/attainment?from=2026-03-03T00:00:00Z&to=2026-03-01T00:00:00Z')).status).toBe(400);
    expect((await req(ws, 'GET', '/api/v1/sla/attainment?by=planet')).status).toBe(400);
    // Another workspace sees none of it.
    const other = await newWorkspace(t);
    expect((await ok(other, 'GET', `${q}&by=team`)).overall.total).toBe(0);
  });
});
