// The one guard: roles, tenant isolation (404, never 403, for another workspace's ids),
// bad input as RFC 9457 problems, idempotent retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../test/harness.js';

describe.each(engines)('access guard and input handling on %s', (engine) => {
  let t: TestApp;
  let a: TestWorkspace;
  let b: TestWorkspace;
  beforeAll(async () => {
    t = await createTestApp(engine, { bodyLimit: 64 * 1024 });
    a = await newWorkspace(t, 'A');
    b = await newWorkspace(t, 'B');
  });
  afterAll(async () => t.close());

  it("answers 404 to workspace A's token for every kind of workspace B id, and changes nothing", async () => {
    const conv = await newConversation(t, b.token, { message: { body: 'secret of B' } });
    const msg = (await t.request('GET', `/api/v1/conversations/${conv.id}/messages`, { token: b.token })).body.data[0];
    const bAgent = await newMember(t, b, 'agent');
    const team = (await t.request('POST', '/api/v1/teams', { token: b.token, body: { name: 'B team' } })).body;
    const token = (await t.request('POST', '/api/v1/tokens', { token: b.token, body: { name: 'b' } })).body;
    const canned = (await t.request('POST', '/api/v1/canned-responses', { token: b.token, body: { shortcut: 'x', title: 'x', body: 'x' } })).body;
    const aConv = await newConversation(t, a.token);

    const probes: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/customers/${conv.customer.id}`],
      ['PATCH', `/api/v1/customers/${conv.customer.id}`, { name: 'pwned' }],
      ['GET', `/api/v1/conversations/${conv.id}`],
      ['PATCH', `/api/v1/conversations/${conv.id}`, { status: 'closed' }],
      ['GET', `/api/v1/conversations/${conv.id}/messages`],
      ['POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'pwned' }],
      ['POST', `/api/v1/conversations/${conv.id}/claim`],
      ['GET', `/api/v1/messages/${msg.id}`],
      ['PATCH', `/api/v1/members/${bAgent.userId}`, { role: 'admin' }],
      ['GET', `/api/v1/teams/${team.id}`],
      ['POST', `/api/v1/teams/${team.id}/members`, { userId: a.userId }],
      ['DELETE', `/api/v1/tokens/${token.id}`],
      ['POST', `/api/v1/canned-responses/${canned.id}/render`, { conversationId: aConv.id }],
      ['POST', `/api/v1/conversations/${aConv.id}/merge`, { conversationId: conv.id }],
      ['PATCH', `/api/v1/conversations/${aConv.id}`, { assigneeId: bAgent.userId }],
      ['PATCH', `/api/v1/conversations/${aConv.id}`, { teamId: team.id }],
      ['POST', '/api/v1/conversations', { customer: { id: conv.customer.id } }],
    ];
    for (const [method, url, body] of probes) {
      const res = await t.request(method, url, { token: a.token, ...(body === undefined ? {} : { body }) });
      expect({ method, url, status: res.status }).toEqual({ method, url, status: 404 });
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.text).not.toContain('secret of B');
    }
    const stillB = await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: b.token });
    expect(stillB.body).toMatchObject({ status: 'open', assigneeId: null, messageCount: 1 });
    expect((await t.request('GET', `/api/v1/customers/${conv.customer.id}`, { token: b.token })).body.name).toBe('Sam Customer');
    expect((await t.request('GET', '/api/v1/tokens', { token: b.token })).body.data.find((x: { id: string }) => x.id === token.id).revokedAt).toBeNull();
    // Lists never leak the other workspace.
    expect((await t.request('GET', '/api/v1/conversations', { token: a.token })).body.data.map((c: { id: string }) => c.id)).toEqual([aConv.id]);
    expect((await t.request('GET', '/api/v1/members', { token: a.token })).body.data.map((m: { userId: string }) => m.userId)).toEqual([a.userId]);
  });

  it('lets each role do what it may and refuses the rest with 403', async () => {
    const w = await newWorkspace(t);
    const team = (await t.request('POST', '/api/v1/teams', { token: w.token, body: { name: 'Outsourced', autoAssign: false } })).body;
    const other = (await t.request('POST', '/api/v1/teams', { token: w.token, body: { name: 'In-house', autoAssign: false } })).body;
    const admin = await newMember(t, w, 'admin');
    const agent = await newMember(t, w, 'agent');
    const analyst = await newMember(t, w, 'analyst');
    const partner = await newMember(t, w, 'partner', { teamIds: [team.id] });
    const theirs = await newConversation(t, w.token, { teamId: team.id });
    const notTheirs = await newConversation(t, w.token, { teamId: other.id });
    const unteamed = await newConversation(t, w.token);

    type Case = [string, string, string, unknown, number];
    const customerBody = { name: 'New Customer' };
    const convBody = { customer: { email: 'role@example.com' }, subject: 'x' };
    const cases: Case[] = [
      // admin
      ['admin', 'POST', '/api/v1/members', { email: 'inv1@example.com', role: 'agent' }, 201],
      ['admin', 'POST', '/api/v1/members', { email: 'inv2@example.com', role: 'owner' }, 400],
      ['admin', 'POST', '/api/v1/teams', { name: 'T' }, 201],
      ['admin', 'GET', '/api/v1/audit-log', undefined, 200],
      // agent
      ['agent', 'POST', '/api/v1/conversations', convBody, 201],
      ['agent', 'POST', `/api/v1/conversations/${unteamed.id}/messages`, { body: 'hi' }, 201],
      ['agent', 'PATCH', `/api/v1/conversations/${unteamed.id}`, { priority: 'high' }, 200],
      ['agent', 'POST', '/api/v1/customers', customerBody, 201],
      ['agent', 'POST', '/api/v1/members', { email: 'inv3@example.com', role: 'agent' }, 403],
      ['agent', 'PATCH', `/api/v1/members/${analyst.userId}`, { role: 'admin' }, 403],
      ['agent', 'POST', '/api/v1/teams', { name: 'T' }, 403],
      ['agent', 'POST', '/api/v1/custom-fields', { key: 'k', label: 'k', type: 'text' }, 403],
      ['agent', 'GET', '/api/v1/audit-log', undefined, 403],
      // analyst: reads everything, writes no conversation
      ['analyst', 'GET', '/api/v1/conversations', undefined, 200],
      ['analyst', 'GET', `/api/v1/conversations/${notTheirs.id}/messages`, undefined, 200],
      ['analyst', 'GET', '/api/v1/customers', undefined, 200],
      ['analyst', 'GET', '/api/v1/audit-log', undefined, 200],
      ['analyst', 'POST', '/api/v1/conversations', convBody, 403],
      ['analyst', 'POST', `/api/v1/conversations/${unteamed.id}/messages`, { body: 'hi' }, 403],
      ['analyst', 'PATCH', `/api/v1/conversations/${unteamed.id}`, { status: 'resolved' }, 403],
      ['analyst', 'POST', `/api/v1/conversations/${unteamed.id}/claim`, undefined, 403],
      ['analyst', 'POST', '/api/v1/customers', customerBody, 403],
      // partner: only its teams' conversations
      ['partner', 'GET', `/api/v1/conversations/${theirs.id}`, undefined, 200],
      ['partner', 'POST', `/api/v1/conversations/${theirs.id}/messages`, { body: 'from the partner' }, 201],
      ['partner', 'GET', `/api/v1/conversations/${notTheirs.id}`, undefined, 404],
      ['partner', 'GET', `/api/v1/conversations/${unteamed.id}/messages`, undefined, 404],
      ['partner', 'POST', `/api/v1/conversations/${notTheirs.id}/messages`, { body: 'x' }, 404],
      ['partner', 'PATCH', `/api/v1/conversations/${theirs.id}`, { teamId: other.id }, 403],
      ['partner', 'POST', '/api/v1/conversations', convBody, 403],
      ['partner', 'POST', '/api/v1/conversations', { customer: { email: 'partner-new@example.com' }, subject: 'x', teamId: team.id }, 201],
      ['partner', 'GET', '/api/v1/customers', undefined, 403],
      ['partner', 'GET', '/api/v1/members', undefined, 403],
      ['partner', 'POST', '/api/v1/teams', { name: 'T' }, 403],
    ];
    const tokens: Record<string, string> = { admin: admin.token, agent: agent.token, analyst: analyst.token, partner: partner.token };
    for (const [role, method, url, body, expected] of cases) {
      const res = await t.request(method, url, { token: tokens[role], ...(body === undefined ? {} : { body }) });
      expect({ role, method, url, status: res.status }).toEqual({ role, method, url, status: expected });
    }
    const partnerList = await t.request('GET', '/api/v1/conversations', { token: partner.token });
    expect(partnerList.body.data.every((c: { teamId: string }) => c.teamId === team.id)).toBe(true);
    expect(partnerList.body.data.map((c: { id: string }) => c.id)).toContain(theirs.id);
    // A refused write touched nothing.
    expect((await t.request('GET', `/api/v1/conversations/${unteamed.id}`, { token: w.token })).body.status).toBe('open');
  });

  it('answers malformed JSON, wrong types, unknown fields, oversize bodies and unknown ids with problems', async () => {
    const malformed = await t.request('POST', '/api/v1/conversations', { token: a.token, raw: '{"customer": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({
      type: expect.stringContaining('invalid'),
      title: 'Invalid request',
      status: 400,
      detail: expect.stringContaining('JSON'),
    });

    const wrongTypes = await t.request('POST', '/api/v1/conversations', { token: a.token, body: { customer: { email: 42 }, priority: 'asap', tags: 'vip' } });
    expect(wrongTypes.status).toBe(400);
    const paths = wrongTypes.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.priority', 'body.tags']));

    const unknownField = await t.request('PATCH', `/api/v1/conversations/${(await newConversation(t, a.token)).id}`, {
      token: a.token,
      body: { status: 'open', hacked: true },
    });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body.errors)).toContain('hacked');

    const big = await t.request('POST', '/api/v1/customers', { token: a.token, body: { name: 'x', traits: { blob: 'x'.repeat(70 * 1024) } } });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');

    const textPlain = await t.request('POST', '/api/v1/customers', {
      token: a.token,
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(textPlain.status).toBe(415);

    for (const url of [
      '/api/v1/conversations/cnv_nope',
      '/api/v1/customers/cus_nope',
      '/api/v1/messages/msg_nope',
      '/api/v1/teams/team_nope',
      '/api/v1/nothing-here',
    ]) {
      const res = await t.request('GET', url, { token: a.token });
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      expect(res.body.status).toBe(404);
    }
    const badAssignee = await t.request('POST', '/api/v1/conversations', {
      token: a.token,
      body: { customer: { email: 'z@example.com' }, assigneeId: 'usr_nope' },
    });
    expect(badAssignee.status).toBe(404);
    expect(
      await t.rapport.db.selectFrom('customers').select('id').where('workspace_id', '=', a.workspaceId).where('email', '=', 'z@example.com').execute(),
    ).toEqual([]);
  });

  it('replays an idempotent retry without creating anything twice, and refuses key reuse with another body', async () => {
    const w = await newWorkspace(t);
    const body = { customer: { email: 'retry@example.com' }, subject: 'Retry me', message: { body: 'once' } };
    const headers = { 'idempotency-key': 'create-1' };
    const first = await t.request('POST', '/api/v1/conversations', { token: w.token, body, headers });
    const second = await t.request('POST', '/api/v1/conversations', { token: w.token, body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const all = await t.request('GET', '/api/v1/conversations', { token: w.token });
    expect(all.body.data).toHaveLength(1);
    expect(all.body.data[0].messageCount).toBe(1);

    const reused = await t.request('POST', '/api/v1/conversations', { token: w.token, body: { ...body, subject: 'Different' }, headers });
    expect(reused.status).toBe(422);
    // A failed first attempt is replayed as the same failure, and another token's key space is separate.
    const bad1 = await t.request('POST', '/api/v1/customers', { token: w.token, body: {}, headers: { 'idempotency-key': 'c-1' } });
    const bad2 = await t.request('POST', '/api/v1/customers', { token: w.token, body: {}, headers: { 'idempotency-key': 'c-1' } });
    expect([bad1.status, bad2.status]).toEqual([400, 400]);
    const otherToken = (await t.request('POST', '/api/v1/tokens', { token: w.token, body: { name: 'second' } })).body.token;
    expect((await t.request('POST', '/api/v1/conversations', { token: otherToken, body, headers })).body.id).not.toBe(first.body.id);
  });
});
