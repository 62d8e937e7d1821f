// Snooze presets: the instants they stand for in the agent's time zone, and through HTTP on both
// engines a preset that wakes the conversation when the fake clock reaches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { createTestApp, engines, newConversation, newWorkspace, type TestApp } from '../../test/harness.js';
import { snoozeUntil } from './snooze.js';

describe('snooze presets', () => {
  // Thursday 2026-03-26, 22:30 in Berlin (UTC+1; summer time starts on Sunday the 29th).
  const now = Date.parse('2026-03-26T21:30:00Z');
  const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  it('wakes at 9:00 in the agent’s zone, across a change of daylight saving time', () => {
    expect(at(snoozeUntil({ until: 'later_today', timeZone: 'Europe/Berlin' }, now, 'Europe/Berlin'))).toBe('2026-03-27T00:30:00.000Z');
    expect(at(snoozeUntil({ until: 'tomorrow', timeZone: 'Europe/Berlin' }, now, 'Europe/Berlin'))).toBe('2026-03-27T08:00:00.000Z');
    // Monday the 30th is in summer time (UTC+2).
    expect(at(snoozeUntil({ until: 'next_monday', timeZone: 'Europe/Berlin' }, now, 'Europe/Berlin'))).toBe('2026-03-30T07:00:00.000Z');
    // Already Friday in Tokyo: tomorrow is Saturday the 28th.
    expect(at(snoozeUntil({ until: 'tomorrow', timeZone: 'Asia/Tokyo' }, now, 'Asia/Tokyo'))).toBe('2026-03-28T00:00:00.000Z');
    expect(at(snoozeUntil({ until: 'date', date: '2026-04-02', timeZone: 'America/New_York' }, now, 'America/New_York'))).toBe('2026-04-02T13:00:00.000Z');
    expect(snoozeUntil({ until: 'date', date: '2026-03-26', timeZone: 'Europe/Berlin' }, now, 'Europe/Berlin')).toBeNull();
  });
  it('takes next Monday as a week away on a Monday', () => {
    const monday = Date.parse('2026-03-30T06:00:00Z');
    expect(at(snoozeUntil({ until: 'next_monday', timeZone: 'UTC' }, monday, 'UTC'))).toBe('2026-04-06T09:00:00.000Z');
  });
});

describe.each(engines)('snooze presets through HTTP on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock('2026-03-26T21:30:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
  });
  afterAll(async () => t.close());

  it('snoozes until tomorrow 9:00 in the agent’s zone and wakes the conversation then', async () => {
    const w = await newWorkspace(t);
    const c = await newConversation(t, w.token);
    const res = await t.request('PATCH', `/api/v1/conversations/${c.id}`, {
      token: w.token,
      body: { snooze: { until: 'tomorrow', timeZone: 'Europe/Berlin' } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'snoozed', snoozedUntil: '2026-03-27T08:00:00.000Z' });
    clock.advance(10 * 3_600_000); // 07:30 UTC: not yet
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${c.id}`, { token: w.token })).body.status).toBe('snoozed');
    clock.advance(30 * 60_000 + 1);
    await t.rapport.jobs.drain();
    expect((await t.request('GET', `/api/v1/conversations/${c.id}`, { token: w.token })).body).toMatchObject({ status: 'open', snoozedUntil: null });
  });

  it('refuses unknown zones, past dates, mixed inputs and another workspace’s conversation', async () => {
    const w = await newWorkspace(t);
    const other = await newWorkspace(t);
    const c = await newConversation(t, w.token);
    const patch = (body: unknown, token = w.token) => t.request('PATCH', `/api/v1/conversations/${c.id}`, { token, body });
    const bad = [
      [{ snooze: { until: 'tomorrow', timeZone: 'Mars/Olympus' } }, 'body.snooze.timeZone'],
      [{ snooze: { until: 'date', date: '2020-01-01', timeZone: 'UTC' } }, 'body.snooze.date'],
      [{ snooze: { until: 'tomorrow', timeZone: 'UTC' }, status: 'resolved' }, 'body.status'],
      [{ snooze: { until: 'tomorrow', timeZone: 'UTC' }, snoozedUntil: '2030-01-01T00:00:00Z' }, 'body.snooze'],
    ] as const;
    for (const [body, path] of bad) {
      const res = await patch(body);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe(path);
    }
    expect((await patch({ snooze: { until: 'someday', timeZone: 'UTC' } })).status).toBe(400);
    expect((await patch({ snooze: { until: 'date', timeZone: 'UTC' } })).status).toBe(400);
    expect((await patch({ snooze: { until: 'tomorrow', timeZone: 'UTC' } }, other.token)).status).toBe(404);
    expect((await t.request('GET', `/api/v1/conversations/${c.id}`, { token: w.token })).body.status).toBe('open');
  });
});
