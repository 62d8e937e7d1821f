// Business-time arithmetic: weekends, holidays, DST changes, several intervals a day, 24/7, bounds.
import type { SlaInterval } from '@rapport/contracts';
import { DateTime } from 'luxon';
import { describe, expect, it, vi } from 'vitest';
import { ALWAYS_OPEN, addBusinessTime, businessTimeBetween, SpanTooLongError, type BusinessCalendar } from './business-hours.js';

const H = 3_600_000;
const weekdays = (from: string, to: string): SlaInterval[] => (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, from, to }));
const berlin: BusinessCalendar = { timeZone: 'Europe/Berlin', alwaysOpen: false, hours: weekdays('09:00', '17:00'), holidays: [] };
const ms = (iso: string) => Date.parse(iso);
const iso = (n: number) => new Date(n).toISOString();

describe('business hours', () => {
  it('carries time over a weekend', () => {
    // Friday 2026-01-09 16:00 Berlin (15:00Z) + 2 h → Monday 10:00 Berlin (09:00Z).
    expect(iso(addBusinessTime(berlin, ms('2026-01-09T15:00:00Z'), 2 * H))).toBe('2026-01-12T09:00:00.000Z');
    expect(businessTimeBetween(berlin, ms('2026-01-09T15:00:00Z'), ms('2026-01-12T09:00:00Z'))).toBe(2 * H);
    // Started on Saturday: the clock starts Monday 09:00.
    expect(iso(addBusinessTime(berlin, ms('2026-01-10T12:00:00Z'), 30 * 60_000))).toBe('2026-01-12T08:30:00.000Z');
    expect(businessTimeBetween(berlin, ms('2026-01-10T00:00:00Z'), ms('2026-01-11T23:00:00Z'))).toBe(0);
  });

  it('skips holidays', () => {
    const cal = { ...berlin, holidays: ['2026-12-24', '2026-12-25'] };
    // Wednesday 23 Dec 16:00 Berlin + 4 h → 1 h on Wednesday, Thursday and Friday closed, then Monday 28th 12:00 Berlin.
    expect(iso(addBusinessTime(cal, ms('2026-12-23T15:00:00Z'), 4 * H))).toBe('2026-12-28T11:00:00.000Z');
    expect(businessTimeBetween(cal, ms('2026-12-23T15:00:00Z'), ms('2026-12-28T11:00:00Z'))).toBe(4 * H);
  });

  it('keeps local hours across the spring DST change (Europe/Berlin, last Sunday of March)', () => {
    // 2026-03-29 clocks go 02:00 → 03:00. Friday 27th 16:00 CET (15:00Z) + 2 h → Monday 30th 10:00 CEST = 08:00Z.
    expect(iso(addBusinessTime(berlin, ms('2026-03-27T15:00:00Z'), 2 * H))).toBe('2026-03-30T08:00:00.000Z');
    // A 24/7-in-Berlin calendar on the Sunday of the change: that local day has 23 real hours.
    const allWeek: BusinessCalendar = {
      timeZone: 'Europe/Berlin',
      alwaysOpen: false,
      hours: (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, from: '00:00', to: '24:00' })),
      holidays: [],
    };
    expect(businessTimeBetween(allWeek, ms('2026-03-28T23:00:00Z'), ms('2026-03-29T22:00:00Z'))).toBe(23 * H);
    // Sunday hours 01:00-04:00 local are 2 real hours that night.
    const sundayNight: BusinessCalendar = { timeZone: 'Europe/Berlin', alwaysOpen: false, hours: [{ day: 'sun', from: '01:00', to: '04:00' }], holidays: [] };
    expect(businessTimeBetween(sundayNight, ms('2026-03-28T00:00:00Z'), ms('2026-03-30T00:00:00Z'))).toBe(2 * H);
    expect(iso(addBusinessTime(sundayNight, ms('2026-03-28T00:00:00Z'), 90 * 60_000))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('keeps local hours across the autumn DST change (Europe/Berlin, last Sunday of October)', () => {
    // 2026-10-25 clocks go 03:00 → 02:00. Friday 23rd 16:00 CEST (14:00Z) + 2 h → Monday 26th 10:00 CET = 09:00Z.
    expect(iso(addBusinessTime(berlin, ms('2026-10-23T14:00:00Z'), 2 * H))).toBe('2026-10-26T09:00:00.000Z');
    expect(businessTimeBetween(berlin, ms('2026-10-23T14:00:00Z'), ms('2026-10-26T09:00:00Z'))).toBe(2 * H);
    const sundayNight: BusinessCalendar = { timeZone: 'Europe/Berlin', alwaysOpen: false, hours: [{ day: 'sun', from: '01:00', to: '04:00' }], holidays: [] };
    // That night 01:00-04:00 local lasts 4 real hours.
    expect(businessTimeBetween(sundayNight, ms('2026-10-24T00:00:00Z'), ms('2026-10-26T00:00:00Z'))).toBe(4 * H);
  });

  it('uses several intervals a day', () => {
    const split: BusinessCalendar = { timeZone: 'UTC', alwaysOpen: false, hours: [...weekdays('09:00', '12:00'), ...weekdays('13:00', '17:00')], holidays: [] };
    expect(iso(addBusinessTime(split, ms('2026-01-05T11:00:00Z'), 2 * H))).toBe('2026-01-05T14:00:00.000Z');
    expect(businessTimeBetween(split, ms('2026-01-05T08:00:00Z'), ms('2026-01-06T08:00:00Z'))).toBe(7 * H);
  });

  it('is wall-clock time when 24/7', () => {
    expect(addBusinessTime(ALWAYS_OPEN, ms('2026-03-29T00:30:00Z'), 5 * H)).toBe(ms('2026-03-29T05:30:00Z'));
    expect(businessTimeBetween(ALWAYS_OPEN, ms('2026-03-29T05:30:00Z'), ms('2026-03-29T00:30:00Z'))).toBe(-5 * H);
  });

  it('refuses absurd spans', () => {
    const oneHourAWeek: BusinessCalendar = { timeZone: 'UTC', alwaysOpen: false, hours: [{ day: 'mon', from: '09:00', to: '10:00' }], holidays: [] };
    expect(() => addBusinessTime(oneHourAWeek, 0, 365 * 24 * H)).toThrow(SpanTooLongError);
    expect(() => businessTimeBetween(berlin, 0, 6 * 366 * 24 * H)).toThrow(SpanTooLongError);
    // Review finding: a target the calendar can never give is refused without walking the span.
    const few: BusinessCalendar = { timeZone: 'Europe/Berlin', alwaysOpen: false, hours: [{ day: 'mon', from: '09:00', to: '09:07' }], holidays: [] };
    const plus = vi.spyOn(DateTime.prototype, 'plus');
    expect(() => addBusinessTime(few, ms('2026-03-02T08:00:00Z'), 365 * 24 * H)).toThrow(SpanTooLongError);
    expect(plus.mock.calls.length).toBeLessThan(10);
    plus.mockRestore();
    // A year of office hours takes well under a second.
    const t0 = performance.now();
    businessTimeBetween(berlin, ms('2026-01-01T00:00:00Z'), ms('2027-01-01T00:00:00Z'));
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
