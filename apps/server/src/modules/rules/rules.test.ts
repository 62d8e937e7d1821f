// The proactive engine through the public API on both engines with a fake clock: an absence rule
// fires exactly once after its window and never when the awaited event came; event, conversation,
// idle and customer-condition triggers; schedules in a time zone; the contact policy's cap, quiet
// hours and support-aware suppression; templates that miss a variable; a restart between
// recording and executing; validation of what a tenant writes, and another workspace's ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZRule, ZRuleFiring } from '@rapport/contracts';
import { buildApp } from '../../app.js';
import { createFakeClock } from '../../platform/clock.js';
import { openMailbox, type Mailbox } from '../../test/mailbox.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../test/harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

const lateDelivery = (extra: Record<string, unknown> = {}) => ({
  name: 'Late delivery',
  purpose: 'service',
  trigger: { type: 'absence', after: { event: 'Order Shipped' }, expect: { event: 'Order Delivered' }, within: 'P5D', correlate: 'orderId' },
  actions: [
    {
      type: 'open_conversation',
      channel: 'email',
      subject: 'Your order {{ event.properties.orderId }} is running late',
      body: 'Sorry {{ customer.name | default: "there" }}, your parcel is late. Track it here: {{ event.properties.trackingUrl }}',
    },
    { type: 'add_tags', tags: ['late-delivery'] },
  ],
  ...extra,
});

describe.each(engines)('rules on %s', (engine) => {
  const clock = createFakeClock(new Date('2026-06-01T09:00:00Z'));
  let t: TestApp;
  let mailbox: Mailbox;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let keyA: string;
  beforeAll(async () => {
    mailbox = await openMailbox();
    t = await createTestApp(engine, { clock, smtpRelayUrl: mailbox.relayUrl, logger: Boolean(process.env.RULES_LOG) });
    a = await newWorkspace(t, 'Rules A');
    b = await newWorkspace(t, 'Rules B');
    keyA = (await t.request('POST', '/api/v1/write-keys', { token: a.token, body: { name: 'site' } })).body.key;
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  /** Consumers, the sweep, then due jobs, until all are idle. */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await t.rapport.logs.drain();
      await t.rapport.services.rulesEngine.sweep();
      await t.rapport.logs.drain();
      if ((await t.rapport.jobs.drain()) === 0) break;
    }
  };
  const track = async (key: string, userId: string, event: string, properties: Record<string, unknown> = {}, traits?: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/track', {
      headers: basic(key),
      body: { userId, event, properties, timestamp: clock.nowIso(), messageId: unique('m'), ...(traits ? { context: { traits } } : {}) },
    });
    expect(res.status).toBe(200);
  };
  const identify = async (key: string, userId: string, traits: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/identify', { headers: basic(key), body: { userId, traits, timestamp: clock.nowIso(), messageId: unique('m') } });
    expect(res.status).toBe(200);
  };
  const createRule = async (ws: TestWorkspace, body: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/rules', { token: ws.token, body });
    if (res.status !== 201) throw new Error(`rule: ${res.status} ${res.text}`);
    expect(() => ZRule.parse(res.body)).not.toThrow();
    return res.body as { id: string };
  };
  const firings = async (ws: TestWorkspace, ruleId: string) => {
    const res = await t.request('GET', `/api/v1/rules/${ruleId}/firings?limit=200`, { token: ws.token });
    expect(res.status).toBe(200);
    for (const f of res.body.data) expect(() => ZRuleFiring.parse(f)).not.toThrow();
    return res.body.data as Array<Record<string, any>>;
  };
  const customerOf = async (ws: TestWorkspace, email: string) => {
    const list = await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(email)}`, { token: ws.token });
    expect(list.body.data).toHaveLength(1);
    return list.body.data[0] as { id: string };
  };
  const conversationsOf = async (ws: TestWorkspace, customerId: string) => {
    const res = await t.request('GET', `/api/v1/conversations?customerId=${customerId}&status=open,pending,snoozed,resolved,closed&limit=50`, {
      token: ws.token,
    });
    if (res.status !== 200) throw new Error(res.text);
    return res.body.data as Array<Record<string, any>>;
  };
  const setPolicy = async (ws: TestWorkspace, policy: Record<string, unknown>) => {
    const res = await t.request('PUT', '/api/v1/contact-policy', { token: ws.token, body: policy });
    expect(res.status).toBe(200);
  };

  it('an absence rule fires exactly once after its window, and never for the order that was delivered', async () => {
    await setPolicy(a, { maxMessages: 0 });
    const rule = await createRule(a, lateDelivery());
    const late = unique('late');
    const lateEmail = `${late}@example.com`;
    await identify(keyA, late, { email: lateEmail, name: 'Ada' });
    const onTime = unique('ontime');
    await identify(keyA, onTime, { email: `${onTime}@example.com`, name: 'Bea' });
    await track(keyA, late, 'Order Shipped', { orderId: 'A-1', trackingUrl: 'https://track.example/A-1' });
    await track(keyA, onTime, 'Order Shipped', { orderId: 'B-1', trackingUrl: 'https://track.example/B-1' });
    // The late customer's other order arrives: it clears only its own wait.
    await track(keyA, late, 'Order Delivered', { orderId: 'A-0' });
    clock.advance(2 * DAY);
    await track(keyA, onTime, 'Order Delivered', { orderId: 'B-1' });
    await settle();
    expect((await t.request('GET', `/api/v1/rules/${rule.id}`, { token: a.token })).body.stats).toMatchObject({ waiting: 1, fired: 0 });
    clock.advance(3 * DAY - 1000);
    await settle();
    expect(await firings(a, rule.id)).toHaveLength(0);
    clock.advance(2000);
    await settle();
    await settle();
    const done = await firings(a, rule.id);
    expect(done).toHaveLength(1);
    const customer = await customerOf(a, lateEmail);
    expect(done[0]).toMatchObject({ customerId: customer.id, status: 'fired', facts: { trigger: expect.stringContaining('Order Shipped') } });
    const convs = await conversationsOf(a, customer.id);
    expect(convs).toHaveLength(1);
    expect(convs[0]).toMatchObject({ origin: 'proactive', tags: ['late-delivery'], subject: 'Your order A-1 is running late' });
    const msgs = (await t.request('GET', `/api/v1/conversations/${convs[0]!.id}/messages`, { token: a.token })).body.data;
    expect(msgs[0].body).toBe('Sorry Ada, your parcel is late. Track it here: https://track.example/A-1');
    // The apology left by email, threaded with the conversation's number.
    await expect.poll(() => mailbox.to(lateEmail).length, { timeout: 10_000 }).toBe(1);
    expect(mailbox.to(lateEmail)[0]?.subject).toContain(`[#${convs[0]!.number}]`);
    // It is on the customer's timeline.
    const timeline = (await t.request('GET', `/api/v1/customers/${customer.id}/timeline?limit=100`, { token: a.token })).body.data as Array<{ name: string }>;
    expect(timeline.map((i) => i.name)).toContain('Rule Fired');
    // Later sweeps and redelivered jobs do nothing more.
    clock.advance(10 * DAY);
    await settle();
    await t.rapport.services.rulesEngine.execute(a.workspaceId, done[0]!.id);
    expect(await firings(a, rule.id)).toHaveLength(1);
    expect(await conversationsOf(a, customer.id)).toHaveLength(1);
    expect(await firings(a, rule.id).then((f) => f.filter((x) => x.customerId !== customer.id))).toHaveLength(0);
  });

  it('a restart between recording a firing and executing it neither repeats nor loses it', async () => {
    if (engine !== 'postgres') return; // a second process needs a database both can reach
    const ws = await newWorkspace(t, 'Rules restart');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    const rule = await createRule(ws, {
      name: 'Welcome',
      trigger: { type: 'event', match: { event: 'Signed Up' } },
      actions: [{ type: 'set_trait', key: 'welcomed', value: true }],
    });
    const user = unique('u');
    await track(key, user, 'Signed Up', {}, { email: `${user}@example.com` });
    // The consumer recorded the firing; this process stops before its job runs.
    expect((await firings(ws, rule.id)).map((f) => f.status)).toEqual(['pending']);
    const current = await t.rapport.db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).executeTakeFirstOrThrow();
    const { openDatabase } = await import('../../platform/db/database.js');
    const { TEST_DATABASE_URL } = await import('../../test/harness.js');
    const handle = openDatabase({ engine: 'postgres', url: TEST_DATABASE_URL, schema: current.s, poolSize: 3 });
    const other = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, clock });
    await other.app.ready();
    try {
      // Both processes run the firing's job at once: it happens once.
      await Promise.all([other.jobs.drain(), t.rapport.jobs.drain(), other.services.rulesEngine.sweep(), t.rapport.services.rulesEngine.sweep()]);
      await settle();
      const f = await firings(ws, rule.id);
      expect(f.map((x) => x.status)).toEqual(['fired']);
      const customer = await customerOf(ws, `${user}@example.com`);
      expect((await t.request('GET', `/api/v1/customers/${customer.id}`, { token: ws.token })).body.traits.welcomed).toBe(true);
      const timeline = (await t.request('GET', `/api/v1/customers/${customer.id}/timeline?limit=100`, { token: ws.token })).body.data as Array<{
        name: string;
      }>;
      expect(timeline.filter((i) => i.name === 'Rule Fired')).toHaveLength(1);
    } finally {
      await other.app.close();
      await handle.close();
    }
  });

  it('two processes sweeping the same due windows fire each once (PostgreSQL)', async () => {
    if (engine !== 'postgres') return;
    const ws = await newWorkspace(t, 'Rules race');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    const rule = await createRule(ws, {
      name: 'Nudge',
      trigger: { type: 'absence', after: { event: 'Cart Created' }, expect: { event: 'Order Completed' }, within: 'PT3S' },
      actions: [{ type: 'set_trait', key: 'nudged', value: true }],
    });
    const users = Array.from({ length: 30 }, () => unique('r'));
    for (const u of users) await track(key, u, 'Cart Created');
    clock.advance(4000);
    const current = await t.rapport.db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).executeTakeFirstOrThrow();
    const { openDatabase } = await import('../../platform/db/database.js');
    const { TEST_DATABASE_URL } = await import('../../test/harness.js');
    const handle = openDatabase({ engine: 'postgres', url: TEST_DATABASE_URL, schema: current.s, poolSize: 3 });
    const other = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, clock });
    await other.app.ready();
    try {
      await Promise.all([other.services.rulesEngine.sweep(), t.rapport.services.rulesEngine.sweep(), other.services.rulesEngine.sweep()]);
      await Promise.all([other.jobs.drain(), t.rapport.jobs.drain()]);
      await settle();
      const f = await firings(ws, rule.id);
      expect(f).toHaveLength(30);
      expect(new Set(f.map((x) => x.customerId)).size).toBe(30);
      expect(f.every((x) => x.status === 'fired')).toBe(true);
    } finally {
      await other.app.close();
      await handle.close();
    }
  });

  it('acts on an event with conditions on its properties and the customer, once per event', async () => {
    const rule = await createRule(a, {
      name: 'Big order from a pro',
      trigger: { type: 'event', match: { event: 'Order Completed', where: { field: 'event.properties.total', op: 'gte', value: 100 } } },
      conditions: { field: 'customer.traits.plan', op: 'eq', value: 'pro' },
      actions: [{ type: 'set_trait', key: 'vip', value: true }],
    });
    const pro = unique('pro');
    const free = unique('free');
    await identify(keyA, pro, { email: `${pro}@example.com`, plan: 'pro' });
    await identify(keyA, free, { email: `${free}@example.com`, plan: 'free' });
    await track(keyA, pro, 'Order Completed', { total: 50 });
    await track(keyA, free, 'Order Completed', { total: 500 });
    await settle();
    expect(await firings(a, rule.id)).toHaveLength(0);
    await track(keyA, pro, 'Order Completed', { total: 129 });
    await settle();
    const f = await firings(a, rule.id);
    expect(f).toHaveLength(1);
    expect(f[0]!.facts.why).toEqual(['customer.traits.plan eq "pro" (is "pro")']);
    const c = await customerOf(a, `${pro}@example.com`);
    expect((await t.request('GET', `/api/v1/customers/${c.id}`, { token: a.token })).body.traits).toMatchObject({ plan: 'pro', vip: true });
  });

  it('fires a customer condition when it becomes true, not while it stays true', async () => {
    const rule = await createRule(a, {
      name: 'Became enterprise',
      trigger: { type: 'customer', condition: { field: 'customer.traits.tier', op: 'in', value: ['enterprise', 'gold'] } },
      actions: [{ type: 'set_trait', key: 'onboarding', value: 'white-glove' }],
    });
    const u = unique('tier');
    await identify(keyA, u, { email: `${u}@example.com`, tier: 'basic' });
    await settle();
    expect(await firings(a, rule.id)).toHaveLength(0);
    await identify(keyA, u, { tier: 'gold' });
    await settle();
    await identify(keyA, u, { tier: 'enterprise', seats: 40 });
    await settle();
    expect(await firings(a, rule.id)).toHaveLength(1);
    await identify(keyA, u, { tier: 'basic' });
    await settle();
    await identify(keyA, u, { tier: 'gold' });
    await settle();
    expect(await firings(a, rule.id)).toHaveLength(2);
  });

  it('conversation triggers: a customer reply tags it; an idle conversation gets a note once', async () => {
    const tagger = await createRule(a, {
      name: 'Tag urgent replies',
      trigger: { type: 'conversation', on: 'customer_replied' },
      conditions: { field: 'conversation.priority', op: 'eq', value: 'urgent' },
      actions: [
        { type: 'add_tags', tags: ['needs-eyes'] },
        { type: 'set_team', teamId: null },
      ],
    });
    const idler = await createRule(a, {
      name: 'Idle',
      trigger: { type: 'conversation', on: 'idle', after: 'PT2H' },
      conditions: { field: 'conversation.status', op: 'in', value: ['open', 'pending'] },
      actions: [{ type: 'add_note', body: 'No message on #{{ conversation.number }} for two hours.' }],
    });
    const conv = await newConversation(t, a.token, { priority: 'urgent', customer: { email: `${unique('c')}@example.com` } });
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { body: 'Looking into it' } });
    await settle();
    expect(await firings(a, tagger.id)).toHaveLength(1); // the first message of the conversation was the customer's
    clock.advance(HOUR);
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { body: 'Still on it' } });
    await settle();
    clock.advance(HOUR + 60_000);
    await settle();
    expect(await firings(a, idler.id)).toHaveLength(0); // the agent's second message restarted the window
    clock.advance(HOUR);
    await settle();
    const idle = await firings(a, idler.id);
    expect(idle).toHaveLength(1);
    const notes = (await t.request('GET', `/api/v1/conversations/${conv.id}/messages?limit=50`, { token: a.token })).body.data.filter(
      (m: { kind: string }) => m.kind === 'note',
    );
    expect(notes.map((n: { body: string }) => n.body)).toEqual([`No message on #${conv.number} for two hours.`]);
    expect((await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: a.token })).body.tags).toContain('needs-eyes');
  });

  it('the contact policy: a cap per period, quiet hours in the customer’s time zone, no marketing while a case is open', async () => {
    const ws = await newWorkspace(t, 'Rules policy');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    await setPolicy(ws, { maxMessages: 1, period: 'P7D', quietHours: { start: '21:00', end: '08:00' }, timezone: 'UTC' });
    const rule = await createRule(ws, {
      name: 'Upsell',
      purpose: 'marketing',
      trigger: { type: 'event', match: { event: 'Feature Used' } },
      actions: [{ type: 'open_conversation', channel: 'email', subject: 'Try Pro', body: 'Hi {{ customer.name | default: "there" }}, try Pro.' }],
    });
    const service = await createRule(ws, {
      name: 'Outage notice',
      purpose: 'service',
      trigger: { type: 'event', match: { event: 'Outage Affected' } },
      actions: [{ type: 'open_conversation', channel: 'email', subject: 'We are on it', body: 'Sorry for the outage.' }],
    });
    const u = unique('p');
    await identify(key, u, { email: `${u}@example.com`, name: 'Cy', timezone: 'America/New_York' });
    // 09:00 UTC is 05:00 in New York (summer time): quiet until 08:00 there (12:00 UTC).
    const nine = Date.parse(`${new Date(clock.nowMs() + DAY).toISOString().slice(0, 10)}T09:00:00Z`);
    clock.advance(nine - clock.nowMs());
    await track(key, u, 'Feature Used');
    await settle();
    let f = await firings(ws, rule.id);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      status: 'pending',
      runAt: new Date(Date.parse(clock.nowIso().slice(0, 10) + 'T12:00:00Z')).toISOString(),
      reason: expect.stringContaining('quiet hours'),
    });
    clock.advance(3 * HOUR + 1000);
    await settle();
    f = await firings(ws, rule.id);
    expect(f[0]).toMatchObject({ status: 'fired' });
    const customer = await customerOf(ws, `${u}@example.com`);
    // The conversation it opened waits on the customer: a second upsell is held back (open case), and so is one after it is resolved (the cap).
    await track(key, u, 'Feature Used');
    await settle();
    f = await firings(ws, rule.id);
    expect(f[0]).toMatchObject({ status: 'suppressed', reason: 'suppressed: the customer has a conversation open' });
    for (const c of await conversationsOf(ws, customer.id))
      await t.request('PATCH', `/api/v1/conversations/${c.id}`, { token: ws.token, body: { status: 'resolved' } });
    await track(key, u, 'Feature Used');
    await settle();
    f = await firings(ws, rule.id);
    expect(f[0]).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/^capped: 1 messages/) });
    // A service message goes anyway, in daytime.
    await track(key, u, 'Outage Affected');
    await settle();
    expect((await firings(ws, service.id)).map((x) => x.status)).toEqual(['fired']);
    expect((await t.request('GET', `/api/v1/rules/${rule.id}`, { token: ws.token })).body.stats).toMatchObject({ fired: 1, suppressed: 2 });
  });

  it('a template variable with no value fails the preview and holds the message back, naming it', async () => {
    const body = {
      name: 'Needs a name',
      trigger: { type: 'event', match: { event: 'Trial Ending' } },
      actions: [{ type: 'open_conversation', channel: 'email', subject: 'Your trial', body: 'Dear {{ customer.name }}, your trial ends soon.' }],
    };
    const nameless = unique('n');
    await identify(keyA, nameless, { email: `${nameless}@example.com` });
    const c = await customerOf(a, `${nameless}@example.com`);
    const preview = await t.request('POST', '/api/v1/rules/preview', { token: a.token, body: { rule: body, sample: { customerId: c.id } } });
    expect(preview.status).toBe(422);
    expect(preview.body.errors).toEqual([{ path: 'actions.0.body', message: 'no value for customer.name' }]);
    const rule = await createRule(a, body);
    await track(keyA, nameless, 'Trial Ending');
    await settle();
    const f = await firings(a, rule.id);
    expect(f[0]).toMatchObject({ status: 'failed', reason: 'template: no value for customer.name' });
    expect(await conversationsOf(a, c.id)).toHaveLength(0);
    expect(mailbox.to(`${nameless}@example.com`)).toHaveLength(0);
    // With a default it previews and renders.
    const ok = await t.request('POST', '/api/v1/rules/preview', {
      token: a.token,
      body: {
        rule: { ...body, actions: [{ ...body.actions[0], body: 'Dear {{ customer.name | default: "customer" }}, ends soon.' }] },
        sample: { customerId: c.id },
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.rendered).toEqual([{ type: 'open_conversation', subject: 'Your trial', body: 'Dear customer, ends soon.' }]);
  });

  it('a dry run lists who would match now and why', async () => {
    const ws = await newWorkspace(t, 'Rules preview');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    const gold = unique('g');
    await identify(key, gold, { email: `${gold}@example.com`, tier: 'gold', name: 'Gil' });
    await identify(key, unique('s'), { email: `${unique('s')}@example.com`, tier: 'silver' });
    const res = await t.request('POST', '/api/v1/rules/preview', {
      token: ws.token,
      body: {
        rule: {
          name: 'Weekly gold check-in',
          trigger: { type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Paris' },
          conditions: { field: 'customer.traits.tier', op: 'eq', value: 'gold' },
          actions: [{ type: 'open_conversation', channel: 'email', subject: 'Hello {{ customer.name }}', body: 'How is it going?' }],
        },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.scanned).toBe(2);
    expect(res.body.matches).toEqual([
      { customerId: expect.any(String), name: 'Gil', email: `${gold}@example.com`, why: ['customer.traits.tier eq "gold" (is "gold")'] },
    ]);
    expect(res.body.rendered[0].subject).toBe('Hello Gil');
  });

  it('a schedule runs at its time in its time zone, once per tick, for the customers its conditions pick', async () => {
    const ws = await newWorkspace(t, 'Rules schedule');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    const gold = unique('g');
    await identify(key, gold, { email: `${gold}@example.com`, tier: 'gold' });
    await identify(key, unique('s'), { email: `${unique('s')}@example.com`, tier: 'silver' });
    // Daily at 09:00 in Tokyo = 00:00 UTC.
    const rule = await createRule(ws, {
      name: 'Daily gold',
      trigger: { type: 'schedule', cron: '0 9 * * *', timezone: 'Asia/Tokyo' },
      conditions: { field: 'customer.traits.tier', op: 'eq', value: 'gold' },
      actions: [{ type: 'set_trait', key: 'checked', value: true }],
    });
    await settle();
    expect(await firings(ws, rule.id)).toHaveLength(0);
    const midnight = Date.parse(`${new Date(clock.nowMs() + DAY).toISOString().slice(0, 10)}T00:00:00Z`);
    clock.advance(midnight - clock.nowMs() + 1000);
    await settle();
    await settle();
    const f = await firings(ws, rule.id);
    expect(f).toHaveLength(1);
    expect(f[0]!.facts.trigger).toBe(`schedule ${new Date(midnight).toISOString()}`);
    await settle();
    expect(await firings(ws, rule.id)).toHaveLength(1);
  });

  it('refuses conditions, templates and schedules that are wrong, with the path of each problem', async () => {
    const base = { name: 'x', trigger: { type: 'event', match: { event: 'E' } }, actions: [{ type: 'set_trait', key: 'k', value: 1 }] };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, conditions: { field: 'customer.feeling', op: 'contains', value: 'x' } }, 'conditions.op'],
      [{ ...base, conditions: { field: 'customer.feeling', op: 'gt', value: 'high' } }, 'conditions.value'],
      [{ ...base, conditions: { field: 'customer.nope', op: 'eq', value: 'x' } }, 'conditions.field'],
      [{ ...base, conditions: { field: 'conversation.status', op: 'eq', value: 'open' } }, 'conditions.field'],
      [{ ...base, conditions: { not: { not: { not: { not: { not: { field: 'customer.name', op: 'exists' } } } } } } }, 'conditions.not.not.not.not.not'],
      [
        { ...base, actions: [{ type: 'open_conversation', channel: 'email', subject: 'x', body: '{% for i in (1..100000) %}x{% endfor %}' }] },
        'actions.0.body',
      ],
      [{ ...base, actions: [{ type: 'open_conversation', channel: 'email', subject: '{{ process.env }}', body: 'x' }] }, 'actions.0.subject'],
      [{ ...base, trigger: { type: 'schedule', cron: 'every day', timezone: 'UTC' } }, 'trigger.cron'],
      [{ ...base, trigger: { type: 'schedule', cron: '* * * * * *', timezone: 'UTC' } }, 'trigger.cron'],
      [{ ...base, trigger: { type: 'schedule', cron: '0 9 * * *', timezone: 'Mars/Olympus' } }, 'trigger.timezone'],
      [{ ...base, actions: [{ type: 'assign', assigneeId: 'usr_nobody' }] }, 'actions.0.type'],
      [{ ...base, trigger: { type: 'conversation', on: 'created' }, actions: [{ type: 'set_team', teamId: 'team_nope' }] }, 'actions.0.teamId'],
      [{ ...base, actions: [{ type: 'send_survey', surveyId: 'srv_nope' }] }, 'actions.0.surveyId'],
    ];
    for (const [body, path] of cases) {
      const res = await t.request('POST', '/api/v1/rules', { token: a.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    // A tree wider than the bound is refused by its schema.
    const wide = { any: Array.from({ length: 21 }, () => ({ field: 'customer.name', op: 'exists' })) };
    expect((await t.request('POST', '/api/v1/rules', { token: a.token, body: { ...base, conditions: wide } })).status).toBe(400);
    expect(
      (
        await t.request('POST', '/api/v1/rules', {
          token: a.token,
          body: { ...base, trigger: { type: 'absence', after: { event: 'A' }, expect: { event: 'B' }, within: 'P400D' } },
        })
      ).status,
    ).toBe(400);
    expect((await t.request('POST', '/api/v1/rules', { token: a.token, raw: '{"name":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  it('review: two rules that flip each other’s trait stop at the cap instead of firing forever', async () => {
    const ws = await newWorkspace(t, 'Rules loop');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    const on = await createRule(ws, {
      name: 'On',
      trigger: { type: 'customer', condition: { field: 'customer.traits.x', op: 'eq', value: 0 } },
      actions: [{ type: 'set_trait', key: 'x', value: 1 }],
    });
    const off = await createRule(ws, {
      name: 'Off',
      trigger: { type: 'customer', condition: { field: 'customer.traits.x', op: 'eq', value: 1 } },
      actions: [{ type: 'set_trait', key: 'x', value: 0 }],
    });
    const u = unique('loop');
    await identify(key, u, { email: `${u}@example.com`, x: 0 });
    for (let i = 0; i < 40; i++) await settle();
    const total = (await firings(ws, on.id)).length + (await firings(ws, off.id)).length;
    expect(total).toBeGreaterThan(2);
    expect(total).toBeLessThanOrEqual(21);
  });

  it('review: a survey sent by a rule marked service still waits while the customer has a case open', async () => {
    const ws = await newWorkspace(t, 'Rules survey');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key;
    const survey = await t.request('POST', '/api/v1/surveys', {
      token: ws.token,
      body: { name: 'NPS', type: 'nps', title: 'How likely…', trigger: { type: 'manual' } },
    });
    expect(survey.status).toBe(201);
    const rule = await createRule(ws, {
      name: 'Survey',
      purpose: 'service',
      trigger: { type: 'event', match: { event: 'Order Delivered' } },
      actions: [{ type: 'send_survey', surveyId: survey.body.id }],
    });
    const email = `${unique('sv')}@example.com`;
    await newConversation(t, ws.token, { customer: { email } });
    const c = await customerOf(ws, email);
    await t.request('POST', '/v1/track', {
      headers: basic(key),
      body: { userId: unique('x'), event: 'Order Delivered', context: { traits: { email } }, timestamp: clock.nowIso(), messageId: unique('m') },
    });
    await settle();
    const f = await firings(ws, rule.id);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ customerId: c.id, status: 'suppressed', reason: 'suppressed: the customer has a conversation open' });
  });

  it('review: refuses a trait key that names the prototype', async () => {
    for (const k of ['__proto__', 'constructor', 'prototype']) {
      const res = await t.request('POST', '/api/v1/rules', {
        token: a.token,
        body: { name: 'x', trigger: { type: 'event', match: { event: 'E' } }, actions: [{ type: 'set_trait', key: k, value: 1 }] },
      });
      expect(res.status).toBe(400);
    }
  });

  it('keeps rules to their workspace and their managers', async () => {
    const rule = await createRule(a, { name: 'Mine', trigger: { type: 'event', match: { event: 'E' } }, actions: [{ type: 'set_trait', key: 'k', value: 1 }] });
    for (const [method, url, body] of [
      ['GET', `/api/v1/rules/${rule.id}`, undefined],
      ['PATCH', `/api/v1/rules/${rule.id}`, { enabled: false }],
      ['DELETE', `/api/v1/rules/${rule.id}`, undefined],
      ['GET', `/api/v1/rules/${rule.id}/firings`, undefined],
      ['POST', `/api/v1/rules/${rule.id}/preview`, {}],
    ] as const) {
      const res = await t.request(method, url, { token: b.token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    expect((await t.request('GET', '/api/v1/rules', { token: b.token })).body.data.map((r: { id: string }) => r.id)).not.toContain(rule.id);
    const agent = await newMember(t, a, 'agent');
    expect(
      (
        await t.request('POST', '/api/v1/rules', {
          token: agent.token,
          body: { name: 'x', trigger: { type: 'event', match: { event: 'E' } }, actions: [{ type: 'set_trait', key: 'k', value: 1 }] },
        })
      ).status,
    ).toBe(403);
    expect((await t.request('PUT', '/api/v1/contact-policy', { token: agent.token, body: { maxMessages: 100 } })).status).toBe(403);
    expect((await t.request('GET', `/api/v1/rules/${rule.id}`, { token: agent.token })).status).toBe(200);
    // Another workspace's customer as a preview sample is not found either.
    const other = unique('o');
    const keyB = (await t.request('POST', '/api/v1/write-keys', { token: b.token, body: { name: 'site' } })).body.key;
    await identify(keyB, other, { email: `${other}@example.com` });
    const cb = await customerOf(b, `${other}@example.com`);
    expect((await t.request('POST', `/api/v1/rules/${rule.id}/preview`, { token: a.token, body: { sample: { customerId: cb.id } } })).status).toBe(404);
    const patched = await t.request('PATCH', `/api/v1/rules/${rule.id}`, { token: a.token, body: { enabled: false } });
    expect(patched.body.enabled).toBe(false);
  });
});
