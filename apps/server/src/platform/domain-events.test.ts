// Every domain event type (packages/contracts/src/events.ts) is emitted by the API calls that
// cause it, in the same transaction, and its payload parses with its schema (issue 10).
import { DOMAIN_EVENTS, type DomainEventType } from '@rapport/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';
import { toEnvelope } from './domain-events.js';
import { createTestApp, engines, newMember, newWorkspace, type TestApp } from '../test/harness.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

describe.each(engines)('domain events on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock(new Date());
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
  });
  afterAll(async () => t.close());

  it('emits every type, each payload valid against its versioned schema, in the order of the changes', async () => {
    const ws = await newWorkspace(t);
    const ok = async (method: string, url: string, body?: unknown, status = [200, 201, 204]) => {
      const res = await t.request(method, url, { token: ws.token, ...(body !== undefined ? { body } : {}) });
      expect(status, `${method} ${url}: ${res.text}`).toContain(res.status);
      return res.body;
    };
    // Members and teams.
    const agent = await newMember(t, ws, 'agent');
    const team = await ok('POST', '/api/v1/teams', { name: 'Tier 1', autoAssign: false });
    await ok('POST', `/api/v1/teams/${team.id}/members`, { userId: agent.userId });
    await ok('PATCH', `/api/v1/teams/${team.id}`, { name: 'Tier one' });
    await ok('DELETE', `/api/v1/teams/${team.id}/members/${agent.userId}`);
    await ok('DELETE', `/api/v1/teams/${team.id}`);
    await ok('POST', '/api/v1/members', { email: 'new.person@example.com', role: 'agent' });
    await ok('PATCH', `/api/v1/members/${agent.userId}`, { role: 'analyst' });
    // Customers and conversations.
    const customer = await ok('POST', '/api/v1/customers', { name: 'Ada', email: 'ada@example.com' });
    await ok('PATCH', `/api/v1/customers/${customer.id}`, { phone: '+44 20 7946 0000' });
    const first = await ok('POST', '/api/v1/conversations', { customer: { id: customer.id }, subject: 'Help', message: { body: 'Hello', author: 'customer' } });
    const second = await ok('POST', '/api/v1/conversations', { customer: { id: customer.id }, subject: 'Again' });
    await ok('POST', `/api/v1/conversations/${first.id}/messages`, { body: 'Looking into it', kind: 'reply' });
    await ok('POST', `/api/v1/conversations/${first.id}/messages`, { body: 'internal', kind: 'note' });
    await ok('PATCH', `/api/v1/conversations/${first.id}`, { status: 'resolved', priority: 'high' });
    await ok('POST', `/api/v1/conversations/${second.id}/claim`);
    await ok('POST', `/api/v1/conversations/${first.id}/merge`, { conversationId: second.id });
    // A conversation through an inbox: the agent's reply is delivered (or fails) and says so.
    const inboxId = (await ok('POST', '/api/v1/inboxes', { channel: 'api' })).id as string;
    const inbox = (await t.rapport.services.channels.inboxes.getRecord(inboxId))!;
    const inbound = await t.rapport.services.channels.inbound.receive({
      inbox,
      contact: { identity: { kind: 'user_id', value: 'ext-1' } },
      message: { body: 'From outside' },
    });
    await ok('POST', `/api/v1/conversations/${inbound.conversationId}/messages`, { body: 'Answer', kind: 'reply' });
    await t.rapport.logs.drain();
    await t.rapport.jobs.drain();
    // Ingest: a new customer, then a merge of two known ones, then an erasure.
    const key = (await ok('POST', '/api/v1/write-keys', { name: 'server' })).key as string;
    await t.request('POST', '/v1/batch', {
      headers: basic(key),
      body: {
        batch: [
          { type: 'identify', userId: 'u-1', traits: { email: 'u1@example.com', name: 'U One' } },
          { type: 'identify', userId: 'u-2', traits: { phone: '+1 555 0100' } },
          { type: 'track', userId: 'u-1', event: 'Signed Up' },
        ],
      },
    });
    await t.request('POST', '/v1/alias', { headers: basic(key), body: { userId: 'u-1', previousId: 'u-2' } });
    await t.request('POST', '/v1/identify', { headers: basic(key), body: { userId: 'u-1', traits: { phone: '+1 555 0100' } } });
    // Erasure removes every event about the erased person from the log (GDPR), so erase another one.
    const doomed = await ok('POST', '/api/v1/customers', { name: 'Doomed', email: 'doomed@example.com' });
    await ok('DELETE', `/api/v1/customers/${doomed.id}`);
    // SLA: a target warned about, then missed (the sweep, with the clock moved on).
    await ok('POST', '/api/v1/sla/policies', {
      name: 'Fast',
      conditions: { priority: ['urgent'] },
      targets: { firstResponse: 'PT1H' },
      warning: { percent: 50 },
    });
    await ok('POST', '/api/v1/conversations', { customer: { id: customer.id }, subject: 'Urgent', priority: 'urgent' });
    await t.rapport.logs.drain();
    clock.advance(40 * 60_000);
    await t.rapport.services.sla.sweep();
    clock.advance(40 * 60_000);
    await t.rapport.services.sla.sweep();

    const entries = await t.rapport.logs.store.readWorkspace('domain_events', ws.workspaceId, { tx: 0, seq: 0 }, 10_000, { settledOnly: false });
    const events = entries.map(toEnvelope);
    for (const e of events) {
      const schema = DOMAIN_EVENTS[e.type];
      const parsed = schema.safeParse(e.data);
      expect(parsed.success, `${e.type}: ${JSON.stringify(e.data)} ${parsed.error?.message ?? ''}`).toBe(true);
      expect(e.version).toBe(1);
    }
    const seen = new Set(events.map((e) => e.type));
    expect([...(Object.keys(DOMAIN_EVENTS) as DomainEventType[])].filter((type) => !seen.has(type))).toEqual([]);

    // In order: a conversation is created before its first message, and a note is internal.
    const types = events.map((e) => e.type);
    expect(types.indexOf('conversation.created')).toBeLessThan(types.indexOf('message.created'));
    const note = events.find((e) => e.type === 'message.created' && (e.data as { message: { kind: string } }).message.kind === 'note');
    expect(note?.scope.internal).toBe(true);
    const resolved = events.find((e) => e.type === 'conversation.status_changed');
    expect(resolved?.data).toMatchObject({ from: 'open', to: 'resolved' });
    const updated = events.find((e) => e.type === 'conversation.updated' && (e.data as { changed: string[] }).changed.includes('priority'));
    expect((updated?.data as { changed: string[] }).changed.sort()).toEqual(['priority', 'status']);
    // The analyser's reading of a customer message, as the message itself carries it, with the customer's new feeling.
    const hello = (await ok('GET', `/api/v1/conversations/${first.id}/messages`)).data.find((m: { body: string }) => m.body === 'Hello');
    const scored = events.filter((e) => e.type === 'message.scored');
    expect(scored.map((e) => (e.data as { messageId: string }).messageId)).toContain(hello.id);
    const mine = scored.find((e) => (e.data as { messageId: string }).messageId === hello.id);
    expect(mine?.data).toMatchObject({
      conversationId: first.id,
      customerId: customer.id,
      sentiment: { score: hello.sentiment.score, label: hello.sentiment.label, signals: hello.sentiment.signals },
      feeling: { label: expect.any(String), score: expect.any(Number) },
    });
    expect(mine?.scope.conversation?.id).toBe(first.id);
    // Scored once: only customer replies, never agent replies or notes.
    expect(scored).toHaveLength(2);
    expect(types.indexOf('message.created')).toBeLessThan(types.indexOf('message.scored'));
    // Nothing of another workspace is in this one's log.
    expect(new Set(entries.map((e) => e.workspace_id))).toEqual(new Set([ws.workspaceId]));
  });
});
