// Bounded growth: forget idempotency keys after a day, expired sessions, and finished jobs after
// a week (dead jobs stay for inspection). Runs hourly in processes that run the worker.
import type { Clock } from './clock.js';
import type { Db } from './db/database.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
export const DONE_JOBS_TTL_MS = 7 * 86_400_000;
/** Rejected events are kept 14 days for debugging a source; their daily counts 90 days. */
export const REJECTED_EVENTS_TTL_MS = 14 * 86_400_000;
export const REJECTED_COUNTS_TTL_MS = 90 * 86_400_000;

export async function runHousekeeping(db: Db, clock: Clock) {
  const now = clock.nowMs();
  const keys = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', new Date(now - IDEMPOTENCY_TTL_MS).toISOString())
    .executeTakeFirst();
  const sessions = await db.deleteFrom('sessions').where('expires_at', '<', new Date(now).toISOString()).executeTakeFirst();
  const jobs = await db
    .deleteFrom('jobs')
    .where('status', '=', 'done')
    .where('updated_at', '<', new Date(now - DONE_JOBS_TTL_MS).toISOString())
    .executeTakeFirst();
  const rejected = await db
    .deleteFrom('rejected_events')
    .where('received_at', '<', new Date(now - REJECTED_EVENTS_TTL_MS).toISOString())
    .executeTakeFirst();
  await db
    .deleteFrom('rejected_event_counts')
    .where('day', '<', new Date(now - REJECTED_COUNTS_TTL_MS).toISOString().slice(0, 10))
    .execute();
  return {
    idempotencyKeys: Number(keys.numDeletedRows),
    sessions: Number(sessions.numDeletedRows),
    jobs: Number(jobs.numDeletedRows),
    rejectedEvents: Number(rejected.numDeletedRows),
  };
}
