// Business-time arithmetic over a calendar (IANA time zone, weekly open hours, holidays): pure
// functions of epoch milliseconds. Each local day's open intervals are turned into instants with
// luxon in the calendar's zone, so a day that loses or gains an hour at a DST change is shorter
// or longer in real time exactly as its clocks say. The work is linear in the days spanned
// (at most MAX_CALENDAR_INTERVALS intervals a week), and a span beyond MAX_SPAN_DAYS is refused.
import { DateTime } from 'luxon';
import { WEEKDAYS, type SlaInterval } from '@rapport/contracts';

export type BusinessCalendar = {
  timeZone: string;
  /** 24/7: business time is wall-clock time. */
  alwaysOpen: boolean;
  hours: readonly SlaInterval[];
  holidays: readonly string[];
};

export const ALWAYS_OPEN: BusinessCalendar = { timeZone: 'UTC', alwaysOpen: true, hours: [], holidays: [] };

/** The most local days one computation walks (about five years). */
export const MAX_SPAN_DAYS = 5 * 366;

export class SpanTooLongError extends RangeError {
  constructor() {
    super(`business-time arithmetic spans more than ${MAX_SPAN_DAYS} days`);
    this.name = 'SpanTooLongError';
  }
}

type Compiled = { zone: string; byWeekday: Array<Array<[number, number]>>; holidays: ReadonlySet<string>; openMinutesPerWeek: number };

const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

const compiled = new WeakMap<BusinessCalendar, Compiled>();

function compile(cal: BusinessCalendar): Compiled {
  const hit = compiled.get(cal);
  if (hit) return hit;
  // luxon weekday: 1 = Monday … 7 = Sunday; index 0 unused.
  const byWeekday: Array<Array<[number, number]>> = Array.from({ length: 8 }, () => []);
  let open = 0;
  for (const h of cal.hours) {
    const list = byWeekday[WEEKDAYS.indexOf(h.day) + 1] as Array<[number, number]>;
    list.push([minutes(h.from), minutes(h.to)]);
    open += minutes(h.to) - minutes(h.from);
  }
  for (const list of byWeekday) list.sort((a, b) => a[0] - b[0]);
  const c = { zone: cal.timeZone, byWeekday, holidays: new Set(cal.holidays), openMinutesPerWeek: open };
  compiled.set(cal, c);
  return c;
}

/** The instant of a local day's minute `m` (0…1440); luxon moves a time in a DST gap forward. */
function instant(day: DateTime, m: number): number {
  if (m >= 1440) return day.plus({ days: 1 }).toMillis();
  return day.set({ hour: Math.floor(m / 60), minute: m % 60 }).toMillis();
}

/** Calls `visit(start, end)` for each open interval from the local day of `fromMs` on, in order, until it returns false. */
function walk(c: Compiled, fromMs: number, maxDays: number, visit: (start: number, end: number) => boolean): void {
  let day = DateTime.fromMillis(fromMs, { zone: c.zone }).startOf('day');
  for (let n = 0; n <= maxDays; n++, day = day.plus({ days: 1 })) {
    if (c.holidays.has(day.toISODate() ?? '')) continue;
    for (const [from, to] of c.byWeekday[day.weekday] ?? []) {
      const end = instant(day, to);
      if (end <= fromMs) continue;
      if (!visit(Math.max(fromMs, instant(day, from)), end)) return;
    }
  }
  throw new SpanTooLongError();
}

/** The instant `ms` of business time after `startMs`. */
export function addBusinessTime(cal: BusinessCalendar, startMs: number, ms: number): number {
  if (ms < 0) throw new RangeError('negative business time');
  if (cal.alwaysOpen) return startMs + ms;
  const c = compile(cal);
  if (c.openMinutesPerWeek === 0) throw new SpanTooLongError();
  // A target the calendar cannot give within the span is refused before walking it (review
  // finding: a few minutes a week against a P365D target walked 1,830 days on every event).
  // Holidays only lengthen a span; a DST change adds at most an hour to a week.
  if (ms > (c.openMinutesPerWeek * 60_000 + 3_600_000) * (MAX_SPAN_DAYS / 7 + 1)) throw new SpanTooLongError();
  if (ms === 0) {
    // The next open instant at or after the start (a due time is never inside closed hours).
    let at = startMs;
    walk(c, startMs, MAX_SPAN_DAYS, (s) => ((at = s), false));
    return at;
  }
  let left = ms;
  let due = startMs;
  walk(c, startMs, MAX_SPAN_DAYS, (s, e) => {
    if (e - s >= left) {
      due = s + left;
      return false;
    }
    left -= e - s;
    return true;
  });
  return due;
}

/** Business time between two instants (negative when `b` comes before `a`). */
export function businessTimeBetween(cal: BusinessCalendar, a: number, b: number): number {
  if (b < a) return -businessTimeBetween(cal, b, a);
  if (cal.alwaysOpen) return b - a;
  const c = compile(cal);
  if ((b - a) / 86_400_000 > MAX_SPAN_DAYS) throw new SpanTooLongError();
  if (c.openMinutesPerWeek === 0) return 0;
  let total = 0;
  walk(c, a, MAX_SPAN_DAYS + 2, (s, e) => {
    if (s >= b) return false;
    total += Math.min(e, b) - s;
    return e < b;
  });
  return total;
}
