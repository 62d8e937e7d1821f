// Finding 3 of the security review (issue 8): partners lack customers.read, yet naming any
// customer's id or email when opening a conversation handed back the full profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp } from '../../test/harness.js';

describe.each(engines)('partners and customers on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  async function setup() {
    const ws = await newWorkspace(t);
    const outsourced = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Outsourced', autoAssign: false } })).body;
    const inHouse = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'In-house', autoAssign: false } })).body;
    const partner = await newMember(t, ws, 'partner', { teamIds: [outsourced.id] });
    // A customer only the in-house team serves, with a profile the partner must not see.
    const secret = await t.request('POST', '/api/v1/customers', {
      token: ws.token,
      body: { name: 'Vera Private', email: 'vera@example.com', phone: '+15550100', traits: { plan: 'enterprise', address: '1 Secret St' } },
    });
    expect(secret.status).toBe(201);
    await newConversation(t, ws.token, { customer: { id: secret.body.id }, teamId: inHouse.id });
    return { ws, partner, outsourced, inHouse, secret: secret.body as { id: string } };
  }

  it("finding 3: a partner naming another team's customer by id gets 404 and no profile", async () => {
    const { partner, outsourced, secret } = await setup();
    const res = await t.request('POST', '/api/v1/conversations', {
      token: partner.token,
      body: { customer: { id: secret.id }, subject: 'fishing', teamId: outsourced.id },
    });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.text).not.toMatch(/Vera|1 Secret St|enterprise|15550100/);
  });

  it("finding 3: a partner naming another team's customer by email gets 404, no profile, and nothing is attached or renamed", async () => {
    const { ws, partner, outsourced, secret } = await setup();
    const res = await t.request('POST', '/api/v1/conversations', {
      token: partner.token,
      body: { customer: { email: 'VERA@example.com', name: 'Renamed By Partner' }, subject: 'fishing', teamId: outsourced.id },
    });
    expect(res.status).toBe(404);
    expect(res.text).not.toMatch(/Vera Private|1 Secret St|enterprise|15550100/);
    const profile = await t.request('GET', `/api/v1/customers/${secret.id}`, { token: ws.token });
    expect(profile.body).toMatchObject({ name: 'Vera Private' });
    const theirs = await t.request('GET', `/api/v1/conversations?customerId=${secret.id}`, { token: ws.token });
    expect(theirs.body.data).toHaveLength(1);
  });

  it('finding 3: a partner may open conversations for a new address, and for customers of its own teams', async () => {
    const { ws, partner, outsourced } = await setup();
    const fresh = await t.request('POST', '/api/v1/conversations', {
      token: partner.token,
      body: { customer: { email: 'newbie@example.com', name: 'Newbie' }, subject: 'hello', teamId: outsourced.id },
    });
    expect(fresh.status).toBe(201);
    expect(fresh.body.customer).toMatchObject({ email: 'newbie@example.com', name: 'Newbie' });
    const served = await newConversation(t, ws.token, { customer: { email: 'served@example.com', name: 'Served' }, teamId: outsourced.id });
    const again = await t.request('POST', '/api/v1/conversations', {
      token: partner.token,
      body: { customer: { id: served.customer.id }, subject: 'follow-up', teamId: outsourced.id },
    });
    expect(again.status).toBe(201);
    expect(again.body.customer.id).toBe(served.customer.id);
    // Agents keep referencing any customer.
    const agent = await newMember(t, ws, 'agent');
    const byAgent = await t.request('POST', '/api/v1/conversations', { token: agent.token, body: { customer: { email: 'vera@example.com' }, subject: 'x' } });
    expect(byAgent.status).toBe(201);
    expect(byAgent.body.customer.name).toBe('Vera Private');
  });
});
