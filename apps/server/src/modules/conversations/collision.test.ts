// Two agents answering one conversation: a reply written against an older thread is refused
// with the replies its author has not seen, unless forced. Both engines, through HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp } from '../../test/harness.js';

describe.each(engines)('reply collisions on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock('2026-05-01T09:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
  });
  afterAll(async () => t.close());

  it('answers 409 listing the newer replies, sends with force, and sends at once when nothing is newer', async () => {
    const ws = await newWorkspace(t);
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const ben = await newMember(t, ws, 'agent', { name: 'Ben Agent' });
    const conv = await newConversation(t, ws.token, { customer: { email: 'nguyen@example.com', name: 'Lan Nguyen' }, message: { body: 'Where is it?' } });
    const thread = await t.request('GET', `/api/v1/conversations/${conv.id}/messages`, { token: ada.token });
    const seen: string = thread.body.data.at(-1).id;

    // Both start typing having seen the customer's message; Ben sends first.
    clock.advance(1000);
    const first = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: ben.token,
      body: { body: 'It ships today.', afterMessageId: seen },
    });
    expect(first.status).toBe(201);
    // A note from anyone is not a reply the customer saw: it does not collide.
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ben.token, body: { body: 'VIP', kind: 'note' } });

    clock.advance(1000);
    const second = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: ada.token,
      body: { body: 'Let me check for you.', afterMessageId: seen },
    });
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toContain('application/problem+json');
    expect(second.body).toMatchObject({
      status: 409,
      type: expect.stringContaining('conflict'),
      newerCount: 1,
      newerMessages: [{ id: first.body.id, body: 'It ships today.', author: { type: 'agent', id: ben.userId, name: 'Ben Agent' } }],
    });
    expect(second.body.detail).toContain('Ben Agent');
    // Nothing was written.
    const after = await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: ada.token });
    expect(after.body.messageCount).toBe(3);

    // A customer message after the agent's reply collides too.
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Thanks!', author: 'customer' } });
    const again = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: ada.token,
      body: { body: 'Let me check for you.', afterMessageId: first.body.id },
    });
    expect(again.status).toBe(409);
    expect(again.body.newerMessages.map((m: { author: { type: string; name: string } }) => [m.author.type, m.author.name])).toEqual([
      ['customer', 'Lan Nguyen'],
    ]);

    // Send anyway.
    const forced = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: ada.token,
      body: { body: 'Let me check for you.', afterMessageId: seen, force: true },
    });
    expect(forced.status).toBe(201);
    // Up to date: no collision.
    const upToDate = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: ada.token,
      body: { body: 'Found it.', afterMessageId: forced.body.id },
    });
    expect(upToDate.status).toBe(201);
    // Without afterMessageId the API behaves as before.
    expect((await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ada.token, body: { body: 'Anything else?' } })).status).toBe(201);
  });

  it('refuses an afterMessageId of another conversation or workspace, and hides other workspaces', async () => {
    const ws = await newWorkspace(t);
    const other = await newWorkspace(t);
    const a = await newConversation(t, ws.token, { message: { body: 'A' } });
    const b = await newConversation(t, ws.token, { message: { body: 'B' } });
    const foreign = await newConversation(t, other.token, { message: { body: 'C' } });
    const msgOf = async (token: string, id: string) => (await t.request('GET', `/api/v1/conversations/${id}/messages`, { token })).body.data[0].id as string;
    const bMsg = await msgOf(ws.token, b.id);
    const foreignMsg = await msgOf(other.token, foreign.id);
    for (const afterMessageId of [bMsg, foreignMsg, 'msg_nope']) {
      const res = await t.request('POST', `/api/v1/conversations/${a.id}/messages`, { token: ws.token, body: { body: 'x', afterMessageId } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'body.afterMessageId', message: 'not a message of this conversation' }]);
    }
    const hidden = await t.request('POST', `/api/v1/conversations/${foreign.id}/messages`, {
      token: ws.token,
      body: { body: 'x', afterMessageId: foreignMsg },
    });
    expect(hidden.status).toBe(404);
    const bad = await t.request('POST', `/api/v1/conversations/${a.id}/messages`, { token: ws.token, body: { body: 'x', force: 'yes' } });
    expect(bad.status).toBe(400);
  });

  it('lets only one of two simultaneous replies against the same thread through', async () => {
    const ws = await newWorkspace(t);
    const ada = await newMember(t, ws, 'agent');
    const ben = await newMember(t, ws, 'agent');
    const conv = await newConversation(t, ws.token, { message: { body: 'Hello?' } });
    const seen: string = (await t.request('GET', `/api/v1/conversations/${conv.id}/messages`, { token: ada.token })).body.data[0].id;
    const results = await Promise.all(
      [ada, ben].map((m) => t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: m.token, body: { body: 'Hi!', afterMessageId: seen } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });
});
