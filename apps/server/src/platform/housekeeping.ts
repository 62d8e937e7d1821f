// Bounded growth: forget idempotency keys after a day, expired sessions, and finished jobs after
// a week (dead jobs stay for inspection). Runs hourly in processes that run the worker.
import type { Clock } from './clock.js';
import type { Db } from './db/database.js';
import { createHousekeepingStore } from './housekeeping.store.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
export const DONE_JOBS_TTL_MS = 7 * 86_400_000;
/** Rejected events are kept 14 days for debugging a source; their daily counts 90 days. */
export const REJECTED_EVENTS_TTL_MS = 14 * 86_400_000;
export const REJECTED_COUNTS_TTL_MS = 90 * 86_400_000;

export async function runHousekeeping(db: Db, clock: Clock) {
  const store = createHousekeepingStore(db);
  const now = clock.nowMs();
  const before = (ms: number) => new Date(now - ms).toISOString();
  const idempotencyKeys = await store.idempotencyKeysBefore(before(IDEMPOTENCY_TTL_MS));
  const sessions = await store.sessionsExpiredBy(before(0));
  const jobs = await store.doneJobsBefore(before(DONE_JOBS_TTL_MS));
  const rejectedEvents = await store.rejectedEventsBefore(before(REJECTED_EVENTS_TTL_MS));
  await store.rejectedCountsBefore(before(REJECTED_COUNTS_TTL_MS).slice(0, 10));
  return { idempotencyKeys, sessions, jobs, rejectedEvents };
}
