// Text analytics through the public API, on both engines: a customer's message gets its sentiment
// just behind the write (a log consumer), on the message, on its timeline interaction and in the
// customer's time-decayed feeling score; agents' words are never scored; the inbox filters by
// feeling; another workspace sees none of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZCustomer, ZMessage } from '@rapport/contracts';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';
import { nextFeeling } from '../customers/customers.service.js';

describe.each(engines)('feelings on %s', (engine) => {
  const clock = createFakeClock(new Date('2026-06-01T09:00:00Z'));
  let t: TestApp;
  let a: TestWorkspace;
  let b: TestWorkspace;
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    a = await newWorkspace(t, 'Feelings A');
    b = await newWorkspace(t, 'Feelings B');
  });
  afterAll(async () => t.close());

  const messages = async (token: string, id: string) => {
    const res = await t.request('GET', `/api/v1/conversations/${id}/messages`, { token });
    expect(res.status).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  };

  it('scores a customer message behind the write, on the message, its interaction and the customer', async () => {
    const conv = await newConversation(t, a.token, { message: { body: "My parcel still hasn't arrived and nobody answers. This is ridiculous!" } });
    // Before the consumer runs, nothing is scored: the request path does no text analysis.
    const before = await messages(a.token, conv.id);
    expect(before[0]?.sentiment).toBeNull();
    await t.rapport.logs.drain();

    const [first] = await messages(a.token, conv.id);
    expect(() => ZMessage.parse(first)).not.toThrow();
    expect(first?.sentiment.label).toBe('negative');
    expect(first?.sentiment.score).toBeLessThan(-0.3);
    expect(first?.sentiment.signals).toContain('frustration');

    const customer = await t.request('GET', `/api/v1/customers/${conv.customer.id}`, { token: a.token });
    expect(customer.status).toBe(200);
    expect(() => ZCustomer.parse(customer.body)).not.toThrow();
    expect(customer.body.feeling).toMatchObject({ label: 'negative', updatedAt: '2026-06-01T09:00:00.000Z' });
    expect(customer.body.feeling.score).toBeCloseTo(first?.sentiment.score, 3);

    const timeline = await t.request('GET', `/api/v1/customers/${conv.customer.id}/timeline`, { token: a.token });
    expect(timeline.status).toBe(200);
    const received = (timeline.body.data as Array<Record<string, any>>).find((i) => i.name === 'Message Received');
    expect(received?.sentiment).toBeCloseTo(first?.sentiment.score, 3);
  });

  it('never scores agents or notes, and decays older feelings as new messages arrive', async () => {
    const conv = await newConversation(t, a.token, { message: { body: 'The app crashes at checkout' } });
    await t.rapport.logs.drain();
    const agentReply = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: a.token,
      body: { body: 'So sorry! Great news: it is fixed.' },
    });
    expect(agentReply.status).toBe(201);
    const note = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { body: 'Wonderful customer', kind: 'note' } });
    expect(note.status).toBe(201);
    // Sixty days on (two half-lives), the customer is delighted: the old complaint weighs a quarter.
    clock.advance(60 * 86_400_000);
    const thanks = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: a.token,
      body: { body: 'Thank you so much, it works perfectly now!', author: 'customer' },
    });
    expect(thanks.status).toBe(201);
    await t.rapport.logs.drain();

    const all = await messages(a.token, conv.id);
    const byBody = (b: string) => all.find((m) => m.body === b);
    expect(byBody('So sorry! Great news: it is fixed.')?.sentiment).toBeNull();
    const complaint = byBody('The app crashes at checkout')?.sentiment.score as number;
    const praise = byBody('Thank you so much, it works perfectly now!')?.sentiment.score as number;
    expect(complaint).toBeLessThan(0);
    expect(praise).toBeGreaterThan(0.5);
    const noteRow = all.find((m) => m.kind === 'note');
    expect(noteRow?.body).toBe('Wonderful customer');
    expect(noteRow?.sentiment).toBeNull();

    const customer = await t.request('GET', `/api/v1/customers/${conv.customer.id}`, { token: a.token });
    const expected = (complaint * 0.25 + praise) / 1.25;
    expect(customer.body.feeling.score).toBeCloseTo(expected, 3);
    expect(customer.body.feeling.label).toBe('positive');
  });

  it('filters the inbox by feeling, within the workspace only', async () => {
    const happy = await newConversation(t, a.token, { message: { body: 'Love the new dashboard, thanks a lot!' } });
    const angry = await newConversation(t, a.token, { message: { body: 'Worst service ever. I want to cancel my subscription.' } });
    const theirs = await newConversation(t, b.token, { message: { body: 'Terrible, terrible experience.' } });
    await t.rapport.logs.drain();

    const negative = await t.request('GET', '/api/v1/conversations?feeling=negative&limit=100', { token: a.token });
    expect(negative.status).toBe(200);
    const ids = (negative.body.data as Array<{ id: string }>).map((c) => c.id);
    expect(ids).toContain(angry.id);
    expect(ids).not.toContain(happy.id);
    expect(ids).not.toContain(theirs.id);
    const positive = await t.request('GET', '/api/v1/conversations?feeling=positive&limit=100', { token: a.token });
    expect((positive.body.data as Array<{ id: string }>).map((c) => c.id)).toContain(happy.id);

    const bad = await t.request('GET', '/api/v1/conversations?feeling=furious', { token: a.token });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');

    // B's customer is not A's to read, scored or not.
    const cross = await t.request('GET', `/api/v1/customers/${theirs.customer.id}`, { token: a.token });
    expect(cross.status).toBe(404);
  });

  it('sorts the inbox by feeling, unhappiest first, page after page', async () => {
    const c = await newWorkspace(t, 'Feelings sort');
    const bodies = [
      'Worst service ever, I am furious!',
      'The app crashes at checkout',
      'Please send me my invoice',
      'Thanks, that works',
      'Amazing, I love it!',
    ];
    for (const body of bodies) await newConversation(t, c.token, { message: { body } });
    await t.rapport.logs.drain();
    const seen: Array<{ id: string; score: number }> = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: Array<{ id: string; customer: { feeling: { score: number } | null } }>; nextCursor: string | null } } =
        await t.request('GET', `/api/v1/conversations?sort=feeling&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: c.token });
      expect(res.status).toBe(200);
      for (const conv of res.body.data) seen.push({ id: conv.id, score: conv.customer.feeling?.score ?? 0 });
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(bodies.length);
    expect(new Set(seen.map((x) => x.id)).size).toBe(bodies.length);
    const scores = seen.map((x) => x.score);
    expect(scores).toEqual([...scores].sort((x, y) => x - y));
    expect(scores[0]).toBeLessThan(-0.3);
    expect(scores.at(-1)).toBeGreaterThan(0.3);

    const withSearch = await t.request('GET', '/api/v1/conversations?sort=feeling&q=invoice', { token: c.token });
    expect(withSearch.status).toBe(400);
    const byActivity = await t.request('GET', '/api/v1/conversations?limit=1', { token: c.token });
    const mixed = await t.request('GET', `/api/v1/conversations?sort=feeling&cursor=${byActivity.body.nextCursor}`, { token: c.token });
    expect(mixed.status).toBe(400);
    expect((await t.request('GET', '/api/v1/conversations?sort=mood', { token: c.token })).status).toBe(400);
  });

  it('scores each message exactly once, even when the consumer runs again', async () => {
    const conv = await newConversation(t, a.token, { message: { body: 'Please send me my invoice' } });
    await t.rapport.logs.drain();
    const once = await t.request('GET', `/api/v1/customers/${conv.customer.id}`, { token: a.token });
    await t.rapport.logs.drain();
    const twice = await t.request('GET', `/api/v1/customers/${conv.customer.id}`, { token: a.token });
    expect(once.body.feeling).toEqual({ score: 0, label: 'neutral', updatedAt: expect.any(String) });
    expect(twice.body.feeling).toEqual(once.body.feeling);
  });
});

describe.each(engines)('topics on %s', (engine) => {
  const clock = createFakeClock(new Date('2026-07-01T09:00:00Z'));
  let t: TestApp;
  let a: TestWorkspace;
  let b: TestWorkspace;
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    a = await newWorkspace(t, 'Topics A');
    b = await newWorkspace(t, 'Topics B');
  });
  afterAll(async () => t.close());

  it('groups the key phrases of customers messages under topics, with how customers feel, per workspace', async () => {
    const alice = await newConversation(t, a.token, { message: { body: 'The app crashes at checkout' } });
    await newConversation(t, a.token, { message: { body: 'Checkout keeps failing on my phone' } });
    await newConversation(t, a.token, { message: { body: 'Love the new invoices, thanks!' } });
    await newConversation(t, b.token, { message: { body: 'Checkout is broken, terrible' } });
    await t.rapport.logs.drain();

    const res = await t.request('GET', '/api/v1/topics?limit=10', { token: a.token });
    expect(res.status).toBe(200);
    expect(res.body.messages).toBe(3);
    const checkout = (res.body.data as Array<Record<string, any>>).find((x) => x.topic === 'checkout');
    expect(checkout).toMatchObject({ messages: 2, customers: 2, negative: 2 });
    expect(checkout?.averageSentiment).toBeLessThan(0);
    expect(checkout?.share).toBeCloseTo(2 / 3, 3);
    const invoice = (res.body.data as Array<Record<string, any>>).find((x) => x.topic === 'invoice');
    expect(invoice?.averageSentiment).toBeGreaterThan(0);
    expect(invoice?.phrases).toEqual([{ phrase: 'invoices', count: 1 }]);

    // B sees only its own customers' words
    const theirs = await t.request('GET', '/api/v1/topics', { token: b.token });
    expect(theirs.body.messages).toBe(1);
    expect((theirs.body.data as Array<{ topic: string }>).map((x) => x.topic)).not.toContain('invoice');

    // a period that ended before the messages has none; a period backwards is refused
    const before = await t.request('GET', '/api/v1/topics?to=2026-06-01T00:00:00Z', { token: a.token });
    expect(before.body).toMatchObject({ messages: 0, data: [] });
    const backwards = await t.request('GET', '/api/v1/topics?from=2026-07-02T00:00:00Z&to=2026-07-01T00:00:00Z', { token: a.token });
    expect(backwards.status).toBe(400);
    expect(backwards.headers['content-type']).toContain('application/problem+json');
    expect((await t.request('GET', '/api/v1/topics')).status).toBe(401);

    // erasing a customer takes their words out of the topics
    const erased = await t.request('DELETE', `/api/v1/customers/${alice.customer.id}`, { token: a.token });
    expect(erased.status).toBe(200);
    const after = await t.request('GET', '/api/v1/topics', { token: a.token });
    expect(after.body.messages).toBe(2);
    expect((after.body.data as Array<Record<string, any>>).find((x) => x.topic === 'checkout')?.messages).toBe(1);
  });
});

describe('the feeling score', () => {
  it('is the exponentially time-decayed average, whatever order the messages are read in', () => {
    const day = 86_400_000;
    const at = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * day).toISOString();
    let inOrder = nextFeeling({ feeling_sum: null, feeling_weight: null, feeling_at: null }, -1, at(0));
    inOrder = nextFeeling(inOrder, 1, at(30));
    // one half-life later the first message weighs 0.5: (-0.5 + 1) / 1.5
    expect(inOrder.feeling_score).toBeCloseTo(1 / 3, 6);
    let reversed = nextFeeling({ feeling_sum: null, feeling_weight: null, feeling_at: null }, 1, at(30));
    reversed = nextFeeling(reversed, -1, at(0));
    expect(reversed.feeling_score).toBeCloseTo(1 / 3, 6);
    expect(reversed.feeling_at).toBe(at(30));
  });
});
