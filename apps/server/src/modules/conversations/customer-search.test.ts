// The inbox search finds customers too: by name, email, phone and the conversation's number,
// beside the message text, in one activity-ordered, cursor-paged list. Both engines, through HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, type TestApp, type TestWorkspace } from '../../test/harness.js';
import { numberIn } from './conversations.service.js';

describe('conversation numbers in a search', () => {
  it('reads 30, #30 and prefixed forms such as F-30, and nothing else', () => {
    expect(['30', '#30', 'F-30', 'f30', 'ABC-30', ' 30 '].map(numberIn)).toEqual([30, 30, 30, 30, 30, 30]);
    expect(['F-30x', '30 31', 'parcel', 'ABCD-30', '#', ''].map(numberIn)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe.each(engines)('search by customer on %s', (engine) => {
  let t: TestApp;
  let ws: TestWorkspace;
  const clock = createFakeClock('2026-05-01T09:00:00.000Z');
  const ids: Record<string, string> = {};
  let numbers: Record<string, number> = {};
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    ws = await newWorkspace(t);
    const other = await newWorkspace(t);
    await newConversation(t, other.token, { customer: { email: 'lan.nguyen@example.com', name: 'Lan Nguyen' }, message: { body: 'Nguyen elsewhere' } });
    const make = async (key: string, body: Record<string, unknown>) => {
      clock.advance(1000);
      const c = await newConversation(t, ws.token, body);
      ids[key] = c.id;
      numbers = { ...numbers, [key]: c.number };
    };
    await make('lan1', { customer: { email: 'lan.nguyen@example.com', name: 'Lan Nguyen' }, message: { body: 'Where is my parcel?' } });
    await make('kim', { customer: { email: 'kim@osei.test', name: 'Kim Osei' }, message: { body: 'Mr Nguyen from the shop said to write' } });
    await make('raj', { customer: { email: 'raj@example.com', name: 'Raj Patel' }, message: { body: 'Refund please' } });
    await make('lan2', { customer: { email: 'lan.nguyen@example.com' }, message: { body: 'Second question' } });
    // Resolved: a search looks through every status unless one is chosen.
    await t.request('PATCH', `/api/v1/conversations/${ids.lan1}`, { token: ws.token, body: { status: 'resolved' } });
    const raj = (await t.request('GET', `/api/v1/conversations/${ids.raj}`, { token: ws.token })).body;
    const phone = await t.request('PATCH', `/api/v1/customers/${raj.customer.id}`, { token: ws.token, body: { phone: '+44 20 7946 0958' } });
    expect(phone.status).toBe(200);
  });
  afterAll(async () => t.close());

  const search = async (q: string, extra = '', token = ws.token) => {
    const res = await t.request('GET', `/api/v1/conversations?q=${encodeURIComponent(q)}${extra}`, { token });
    expect(res.status).toBe(200);
    return (res.body.data as Array<{ id: string }>).map((c) => c.id);
  };

  it('finds conversations by the last name, merged with message matches, newest activity first', async () => {
    // lan2 and lan1 (resolved) by the customer, kim by her message.
    expect(await search('nguyen')).toEqual([ids.lan2, ids.kim, ids.lan1]);
    expect(await search('Nguyen', '&status=open')).toEqual([ids.lan2, ids.kim]);
  });

  it('finds by email, phone (spaces ignored) and number', async () => {
    expect(await search('lan.nguyen@example.com')).toEqual([ids.lan2, ids.lan1]);
    expect(await search('kim@osei')).toEqual([ids.kim]);
    expect(await search('7946 0958')).toEqual([ids.raj]);
    expect(await search('+442079460958')).toEqual([ids.raj]);
    expect(await search(`#${numbers.raj}`)).toEqual([ids.raj]);
    expect(await search(`F-${numbers.kim}`)).toEqual([ids.kim]);
    expect(await search('#99999')).toEqual([]);
  });

  it('pages the merged results with the cursor, none twice', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await t.request(
        'GET',
        `/api/v1/conversations?q=nguyen&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: ws.token },
      );
      seen.push(...res.body.data.map((c) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids.lan2, ids.kim, ids.lan1]);
  });

  it("keeps a partner to its teams and other workspaces' customers out", async () => {
    const partner = await newMember(t, ws, 'partner', { teamIds: [] });
    expect(await search('nguyen', '', partner.token)).toEqual([]);
    const other = await newWorkspace(t);
    expect(await search('nguyen', '', other.token)).toEqual([]);
    // The customers list searches the same fields.
    const customers = await t.request('GET', '/api/v1/customers?q=7946%200958', { token: ws.token });
    expect(customers.body.data.map((c: { name: string }) => c.name)).toEqual(['Raj Patel']);
  });
});
