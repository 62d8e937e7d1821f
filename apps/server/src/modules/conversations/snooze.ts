// Snooze presets, in the agent's time zone: "later today" (in three hours), "tomorrow" (9:00),
// "next Monday" (9:00) and a date (9:00 that day). Pure: the time comes in, a UTC instant goes out.
import type { SnoozePreset } from '@rapport/contracts';

const WAKE_HOUR = 9;
const LATER_TODAY_MS = 3 * 3_600_000;

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of an instant in a time zone. */
function wallClock(ms: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(ms);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: n('year'), month: n('month'), day: n('day'), hour: n('hour'), minute: n('minute'), second: n('second') };
}

/** The UTC instant at which the zone's clock shows this date and hour (the first one, across a DST change). */
export function zonedInstant(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const wanted = Date.UTC(year, month - 1, day, hour);
  let guess = wanted;
  // Two rounds settle the offset, including days on which it changes.
  for (let i = 0; i < 2; i += 1) {
    const w = wallClock(guess, timeZone);
    const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
    guess += wanted - shown;
  }
  return guess;
}

/** When a snooze preset ends, or null for a date that is not in the future. */
export function snoozeUntil(preset: SnoozePreset, nowMs: number, timeZone: string): number | null {
  if (preset.until === 'later_today') return nowMs + LATER_TODAY_MS;
  const today = wallClock(nowMs, timeZone);
  // Calendar arithmetic on the local date, as UTC midnight (no zone in between).
  const local = new Date(Date.UTC(today.year, today.month - 1, today.day));
  if (preset.until === 'tomorrow') local.setUTCDate(local.getUTCDate() + 1);
  else if (preset.until === 'next_monday') local.setUTCDate(local.getUTCDate() + ((8 - local.getUTCDay()) % 7 || 7));
  else if (preset.until === 'date') {
    const [y, m, d] = preset.date.split('-').map(Number);
    local.setTime(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1));
  }
  const at = zonedInstant(local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(), WAKE_HOUR, timeZone);
  return at > nowMs ? at : null;
}
