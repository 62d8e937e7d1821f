// SQL of Idempotency-Key records: claimed on the first request, completed with its response.
import type { Db } from './db/database.js';
import type { IdempotencyRow } from './db/schema.js';

type Ref = { workspaceId: string; principal: string; key: string };

export function createIdempotencyStore(db: Db) {
  const where = (r: Ref) =>
    db.updateTable('idempotency_keys').where('workspace_id', '=', r.workspaceId).where('principal', '=', r.principal).where('key', '=', r.key);
  return {
    /** true when this request claimed the key (no earlier request holds it). */
    async claim(row: IdempotencyRow): Promise<boolean> {
      const inserted = await db
        .insertInto('idempotency_keys')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    get: (r: Ref) =>
      db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('workspace_id', '=', r.workspaceId)
        .where('principal', '=', r.principal)
        .where('key', '=', r.key)
        .executeTakeFirstOrThrow(),
    complete: (r: Ref, statusCode: number, response: string) => where(r).set({ status_code: statusCode, response }).execute(),
    release: (r: Ref) =>
      db.deleteFrom('idempotency_keys').where('workspace_id', '=', r.workspaceId).where('principal', '=', r.principal).where('key', '=', r.key).execute(),
  };
}
