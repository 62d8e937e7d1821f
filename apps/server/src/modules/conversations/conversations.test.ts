// The service desk through HTTP on both engines: lifecycle, search, filters, merge, canned
// responses, custom fields, snooze, interactions, pagination.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';

describe.each(engines)('conversations on %s', (engine) => {
  let t: TestApp;
  let ws: TestWorkspace;
  const clock = createFakeClock('2026-05-01T09:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    ws = await newWorkspace(t);
  });
  afterAll(async () => t.close());

  it('walks a conversation from creation to resolution, recording response and resolution times', async () => {
    const created = await t.request('POST', '/api/v1/conversations', {
      token: ws.token,
      body: {
        customer: { email: 'Sam@Example.com', name: 'Sam' },
        channel: 'email',
        subject: 'Where is my order?',
        category: 'inquiry',
        priority: 'normal',
        message: { body: 'My parcel has not arrived.' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^cnv_/),
      number: 1,
      status: 'open',
      channel: 'email',
      customer: { id: expect.stringMatching(/^cus_/), email: 'sam@example.com', name: 'Sam' },
      messageCount: 1,
      lastMessagePreview: 'My parcel has not arrived.',
    });
    const id: string = created.body.id;

    // The same email reuses the customer and numbers keep counting.
    const second = await newConversation(t, ws.token, { customer: { email: 'sam@example.com' } });
    expect(second.number).toBe(2);
    expect(second.customer.id).toBe(created.body.customer.id);

    clock.advance(90_000);
    const reply = await t.request('POST', `/api/v1/conversations/${id}/messages`, { token: ws.token, body: { body: 'It ships today.', kind: 'reply' } });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ kind: 'reply', author: { type: 'agent', id: ws.userId }, body: 'It ships today.' });
    clock.advance(30_000);
    await t.request('POST', `/api/v1/conversations/${id}/messages`, { token: ws.token, body: { body: 'Customer is VIP', kind: 'note' } });

    const afterReply = (await t.request('GET', `/api/v1/conversations/${id}`, { token: ws.token })).body;
    expect(afterReply.firstResponseSeconds).toBe(90);
    expect(afterReply.messageCount).toBe(3);
    expect(afterReply.lastMessagePreview).toBe('It ships today.');

    clock.advance(3_600_000);
    const resolved = await t.request('PATCH', `/api/v1/conversations/${id}`, { token: ws.token, body: { status: 'resolved' } });
    expect(resolved.body).toMatchObject({ status: 'resolved', resolutionSeconds: 90 + 30 + 3600 });

    const messages = await t.request('GET', `/api/v1/conversations/${id}/messages`, { token: ws.token });
    expect(messages.body.data.map((m: { kind: string }) => m.kind)).toEqual(['reply', 'reply', 'note']);
    expect(messages.body.nextCursor).toBeNull();

    const resolvedList = await t.request('GET', '/api/v1/conversations?status=resolved', { token: ws.token });
    expect(resolvedList.body.data.map((c: { id: string }) => c.id)).toEqual([id]);
  });

  it('reopens a resolved conversation when the customer replies', async () => {
    const c = await newConversation(t, ws.token);
    const resolved = await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: ws.token, body: { status: 'resolved' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String) });
    const reply = await t.request('POST', `/api/v1/conversations/${c.id}/messages`, { token: ws.token, body: { body: 'Still nothing!', author: 'customer' } });
    expect(reply.status).toBe(201);
    const after = (await t.request('GET', `/api/v1/conversations/${c.id}`, { token: ws.token })).body;
    expect(after.status).toBe('open');
    expect(after.resolvedAt).toBeNull();
  });

  it('appends an interaction for every customer-visible service event, never for notes', async () => {
    const c = await newConversation(t, ws.token);
    await t.request('POST', `/api/v1/conversations/${c.id}/messages`, { token: ws.token, body: { body: 'On it', kind: 'reply' } });
    await t.request('POST', `/api/v1/conversations/${c.id}/messages`, { token: ws.token, body: { body: 'internal', kind: 'note' } });
    await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: ws.token, body: { status: 'resolved' } });
    const rows = await t.rapport.db
      .selectFrom('interactions')
      .select(['name', 'origin', 'conversation_id', 'customer_id'])
      .where('workspace_id', '=', ws.workspaceId)
      .where('conversation_id', '=', c.id)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.name)).toEqual(['Conversation Opened', 'Message Received', 'Message Sent', 'Conversation Resolved']);
    expect(new Set(rows.map((r) => r.customer_id))).toEqual(new Set([c.customer.id]));
  });

  it('searches subjects and messages by words and prefixes, only within the workspace', async () => {
    const w = await newWorkspace(t);
    const a = await newConversation(t, w.token, { subject: 'Broken zipper on jacket', message: { body: 'The zipper broke after a day' } });
    const b = await newConversation(t, w.token, { subject: 'Invoice question', message: { body: 'Please resend the invoice for order 991' } });
    await t.request('POST', `/api/v1/conversations/${b.id}/messages`, { token: w.token, body: { body: 'Resent the kangaroo invoice' } });
    const other = await newWorkspace(t);
    await newConversation(t, other.token, { subject: 'kangaroo zipper', message: { body: 'kangaroo' } });

    const ids = async (q: string) =>
      (await t.request('GET', `/api/v1/conversations?q=${encodeURIComponent(q)}`, { token: w.token })).body.data.map((c: { id: string }) => c.id);
    expect(await ids('zipper')).toEqual([a.id]);
    expect(await ids('kangaroo')).toEqual([b.id]);
    expect(await ids('invoice 991')).toEqual([b.id]);
    expect(await ids('kanga')).toEqual([b.id]);
    expect(await ids('jacket broke')).toEqual([a.id]);
    expect(await ids('"); DROP TABLE messages; --')).toEqual([]);
    expect(await ids('nothingmatches')).toEqual([]);
  });

  it('filters by assignee, team, tag, channel, category, priority and updatedSince', async () => {
    const w = await newWorkspace(t);
    const team = (await t.request('POST', '/api/v1/teams', { token: w.token, body: { name: 'Billing', autoAssign: false } })).body;
    const agent = await newMember(t, w, 'agent', { teamIds: [team.id] });
    const c1 = await newConversation(t, w.token, {
      channel: 'chat',
      category: 'dispute',
      priority: 'urgent',
      tags: ['vip'],
      teamId: team.id,
      assigneeId: agent.userId,
    });
    clock.advance(1000);
    const since = clock.nowIso();
    clock.advance(1000);
    const c2 = await newConversation(t, w.token, { channel: 'sms', category: 'complaint', priority: 'low' });
    const q = async (qs: string, token = w.token) =>
      (await t.request('GET', `/api/v1/conversations?${qs}`, { token })).body.data.map((c: { id: string }) => c.id);
    expect(await q('assignee=me', agent.token)).toEqual([c1.id]);
    expect(await q(`assignee=${agent.userId}`)).toEqual([c1.id]);
    expect(await q('assignee=none')).toEqual([c2.id]);
    expect(await q(`teamId=${team.id}`)).toEqual([c1.id]);
    expect(await q('tag=vip')).toEqual([c1.id]);
    expect(await q('channel=sms')).toEqual([c2.id]);
    expect(await q('category=dispute')).toEqual([c1.id]);
    expect(await q('priority=urgent')).toEqual([c1.id]);
    expect(await q(`updatedSince=${encodeURIComponent(since)}`)).toEqual([c2.id]);
    expect(await q('status=open,pending')).toEqual([c2.id, c1.id]);
    expect((await t.request('GET', '/api/v1/conversations?status=bogus', { token: w.token })).status).toBe(400);
  });

  it('pages through conversations by last activity with opaque cursors, without gaps or repeats', async () => {
    const w = await newWorkspace(t);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(1000);
      made.push((await newConversation(t, w.token)).id);
    }
    clock.advance(1000);
    await t.request('POST', `/api/v1/conversations/${made[0]}/messages`, { token: w.token, body: { body: 'bump' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await t.request(
        'GET',
        `/api/v1/conversations?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { token: w.token },
      );
      seen.push(...res.body.data.map((c) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([made[0], ...made.slice(1).reverse()]);
    expect((await t.request('GET', '/api/v1/conversations?cursor=garbage', { token: w.token })).status).toBe(400);
  });

  it('merges two conversations of the same customer; the merged one points at the survivor', async () => {
    const w = await newWorkspace(t);
    const a = await newConversation(t, w.token, { customer: { email: 'merge@example.com' }, tags: ['a'] });
    const b = await newConversation(t, w.token, { customer: { email: 'merge@example.com' }, tags: ['b'], message: { body: 'second thread' } });
    await t.request('POST', `/api/v1/conversations/${b.id}/messages`, { token: w.token, body: { body: 'a note on b', kind: 'note' } });
    const merged = await t.request('POST', `/api/v1/conversations/${a.id}/merge`, { token: w.token, body: { conversationId: b.id } });
    expect(merged.status).toBe(200);
    expect(merged.body.tags.sort()).toEqual(['a', 'b']);
    const bodies = (await t.request('GET', `/api/v1/conversations/${a.id}/messages`, { token: w.token })).body.data.map((m: { body: string }) => m.body);
    expect(bodies).toEqual(expect.arrayContaining(['My parcel has not arrived.', 'second thread', 'a note on b']));
    expect(bodies.some((x: string) => x.includes(`#${b.number} was merged`))).toBe(true);
    const gone = await t.request('GET', `/api/v1/conversations/${b.id}`, { token: w.token });
    expect(gone.body).toMatchObject({ mergedIntoId: a.id, status: 'closed' });
    expect((await t.request('GET', `/api/v1/conversations/${b.id}/messages`, { token: w.token })).body.data).toEqual([]);
    expect((await t.request('POST', `/api/v1/conversations/${b.id}/messages`, { token: w.token, body: { body: 'late' } })).status).toBe(409);
    const interactions = await t.rapport.db
      .selectFrom('interactions')
      .select('conversation_id')
      .where('workspace_id', '=', w.workspaceId)
      .where('conversation_id', '=', b.id)
      .execute();
    expect(interactions).toEqual([]);
    const list = (await t.request('GET', '/api/v1/conversations', { token: w.token })).body.data.map((c: { id: string }) => c.id);
    expect(list).toEqual([a.id]);
    // Search finds the moved messages under the survivor.
    expect((await t.request('GET', '/api/v1/conversations?q=second', { token: w.token })).body.data.map((c: { id: string }) => c.id)).toEqual([a.id]);

    const c = await newConversation(t, w.token, { customer: { email: 'someone-else@example.com' } });
    expect((await t.request('POST', `/api/v1/conversations/${a.id}/merge`, { token: w.token, body: { conversationId: c.id } })).status).toBe(422);
    expect((await t.request('POST', `/api/v1/conversations/${a.id}/merge`, { token: w.token, body: { conversationId: a.id } })).status).toBe(400);
  });

  it('renders canned responses with customer, agent and conversation placeholders', async () => {
    const w = await newWorkspace(t);
    const canned = await t.request('POST', '/api/v1/canned-responses', {
      token: w.token,
      body: { shortcut: 'hi', title: 'Greeting', body: 'Hi {{customer.name}}, {{agent.name}} here about #{{conversation.number}}. {{unknown.thing}}' },
    });
    expect(canned.status).toBe(201);
    expect((await t.request('POST', '/api/v1/canned-responses', { token: w.token, body: { shortcut: 'hi', title: 'x', body: 'y' } })).status).toBe(409);
    const c = await newConversation(t, w.token, { customer: { email: 'rita@example.com', name: 'Rita Moreno' } });
    const rendered = await t.request('POST', `/api/v1/canned-responses/${canned.body.id}/render`, { token: w.token, body: { conversationId: c.id } });
    expect(rendered.body.body).toBe(`Hi Rita Moreno, Olive Owner here about #${c.number}. {{unknown.thing}}`);
  });

  it('validates typed custom fields per workspace', async () => {
    const w = await newWorkspace(t);
    for (const def of [
      { key: 'order_id', label: 'Order', type: 'text' },
      { key: 'amount', label: 'Amount', type: 'number' },
      { key: 'due', label: 'Due', type: 'date' },
      { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'] },
    ]) {
      expect((await t.request('POST', '/api/v1/custom-fields', { token: w.token, body: def })).status).toBe(201);
    }
    expect((await t.request('POST', '/api/v1/custom-fields', { token: w.token, body: { key: 'tier', label: 'Tier', type: 'select' } })).status).toBe(400);
    const ok = await newConversation(t, w.token, { customFields: { order_id: 'A-1', amount: 12.5, due: '2026-06-01', plan: 'pro' } });
    expect(ok.customFields).toEqual({ order_id: 'A-1', amount: 12.5, due: '2026-06-01', plan: 'pro' });
    const bad = await t.request('POST', '/api/v1/conversations', {
      token: w.token,
      body: { customer: { email: 'x@example.com' }, customFields: { amount: 'twelve', plan: 'gold', nope: 1, due: 'soon' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'customFields.amount',
      'customFields.due',
      'customFields.nope',
      'customFields.plan',
    ]);
    const patched = await t.request('PATCH', `/api/v1/conversations/${ok.id}`, { token: w.token, body: { customFields: { amount: 20, plan: null } } });
    expect(patched.body.customFields).toEqual({ order_id: 'A-1', amount: 20, due: '2026-06-01', plan: null });
  });

  it('snoozes until a time and wakes the conversation up when the clock reaches it', async () => {
    const w = await newWorkspace(t);
    const c = await newConversation(t, w.token);
    const until = new Date(clock.nowMs() + 3_600_000).toISOString();
    const snoozed = await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: w.token, body: { status: 'snoozed', snoozedUntil: until } });
    expect(snoozed.body).toMatchObject({ status: 'snoozed', snoozedUntil: until });
    expect((await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: w.token, body: { status: 'snoozed' } })).status).toBe(200);
    expect(
      (await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: w.token, body: { status: 'snoozed', snoozedUntil: '2000-01-01T00:00:00Z' } })).status,
    ).toBe(400);
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${c.id}`, { token: w.token })).body.status).toBe('snoozed');
    clock.advance(3_600_001);
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${c.id}`, { token: w.token })).body).toMatchObject({ status: 'open', snoozedUntil: null });
  });

  it('creates, updates, searches and lists customers', async () => {
    const w = await newWorkspace(t);
    const made = await t.request('POST', '/api/v1/customers', {
      token: w.token,
      body: { name: 'Grace Hopper', email: 'Grace@Navy.mil', phone: '+1 555 0100', traits: { plan: 'pro' } },
    });
    expect(made.status).toBe(201);
    expect((await t.request('POST', '/api/v1/customers', { token: w.token, body: { email: 'grace@navy.mil' } })).status).toBe(409);
    expect((await t.request('POST', '/api/v1/customers', { token: w.token, body: {} })).status).toBe(400);
    await t.request('POST', '/api/v1/customers', { token: w.token, body: { name: 'Alan Turing', email: 'alan@example.com' } });
    const find = async (q: string) =>
      (await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(q)}`, { token: w.token })).body.data.map((c: { name: string }) => c.name);
    expect(await find('grace')).toEqual(['Grace Hopper']);
    expect(await find('NAVY.MIL')).toEqual(['Grace Hopper']);
    expect(await find('5550100')).toEqual(['Grace Hopper']);
    expect(await find('%')).toEqual([]);
    const patched = await t.request('PATCH', `/api/v1/customers/${made.body.id}`, {
      token: w.token,
      body: { traits: { city: 'Arlington' }, name: 'Rear Admiral Grace Hopper' },
    });
    expect(patched.body).toMatchObject({ name: 'Rear Admiral Grace Hopper', traits: { plan: 'pro', city: 'Arlington' } });
    // A conversation by the customer's email lands on the same customer.
    const c = await newConversation(t, w.token, { customer: { email: 'grace@navy.mil' } });
    expect(c.customer.id).toBe(made.body.id);
    const page1 = await t.request('GET', '/api/v1/customers?limit=1', { token: w.token });
    expect(page1.body.data).toHaveLength(1);
    const page2 = await t.request('GET', `/api/v1/customers?limit=1&cursor=${page1.body.nextCursor}`, { token: w.token });
    expect(page2.body.data[0].id).not.toBe(page1.body.data[0].id);
  });
});
