// SQL of housekeeping: each function deletes what is older than a cut-off and says how many.
import type { Db } from './db/database.js';

const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);

export function createHousekeepingStore(db: Db) {
  return {
    idempotencyKeysBefore: async (at: string) => count(await db.deleteFrom('idempotency_keys').where('created_at', '<', at).executeTakeFirst()),
    sessionsExpiredBy: async (at: string) => count(await db.deleteFrom('sessions').where('expires_at', '<', at).executeTakeFirst()),
    doneJobsBefore: async (at: string) => count(await db.deleteFrom('jobs').where('status', '=', 'done').where('updated_at', '<', at).executeTakeFirst()),
    rejectedEventsBefore: async (at: string) => count(await db.deleteFrom('rejected_events').where('received_at', '<', at).executeTakeFirst()),
    rejectedCountsBefore: async (day: string) => count(await db.deleteFrom('rejected_event_counts').where('day', '<', day).executeTakeFirst()),
  };
}
