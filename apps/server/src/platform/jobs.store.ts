// SQL of the outbox job table. Claiming is fair across workspaces: due jobs are ranked within
// their workspace and claimed rank by rank (every workspace's oldest job, then every workspace's
// second, …); PostgreSQL claims with FOR UPDATE SKIP LOCKED so several processes share the work.
import { sql } from 'kysely';
import type { Db, Engine, Tx } from './db/database.js';
import type { JobRow } from './db/schema.js';

export function createJobsStore(db: Db, engine: Engine) {
  return {
    async claim(now: string, lockedUntil: string, limit: number): Promise<JobRow[]> {
      const due = sql`(status = 'queued' AND run_at <= ${now}) OR (status = 'running' AND locked_until < ${now})`;
      const ranked = sql`SELECT id, run_at, row_number() OVER (PARTITION BY workspace_id ORDER BY run_at, id) AS rank FROM jobs WHERE ${due}`;
      if (engine === 'postgres') {
        const res = await sql<JobRow>`
          UPDATE jobs SET status = 'running', locked_until = ${lockedUntil}, attempts = attempts + 1, updated_at = ${now}
          WHERE id IN (
            SELECT j.id FROM jobs j JOIN (${ranked}) r ON r.id = j.id
            WHERE (j.status = 'queued' AND j.run_at <= ${now}) OR (j.status = 'running' AND j.locked_until < ${now})
            ORDER BY r.rank, j.run_at, j.id LIMIT ${limit} FOR UPDATE OF j SKIP LOCKED)
          RETURNING *`.execute(db);
        return res.rows;
      }
      return db.transaction().execute(async (tx) => {
        const ids = (await sql<{ id: string }>`SELECT id FROM (${ranked}) ranked ORDER BY rank, run_at, id LIMIT ${limit}`.execute(tx)).rows;
        if (ids.length === 0) return [];
        return tx
          .updateTable('jobs')
          .set((eb) => ({ status: 'running', locked_until: lockedUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .returningAll()
          .execute();
      });
    },
    markDone: (id: string, now: string) => db.updateTable('jobs').set({ status: 'done', locked_until: null, updated_at: now }).where('id', '=', id).execute(),
    markFailed: (id: string, set: { status: 'dead' | 'queued'; last_error: string; run_at: string; updated_at: string }) =>
      db
        .updateTable('jobs')
        .set({ ...set, locked_until: null })
        .where('id', '=', id)
        .execute(),
    async hasQueued(ex: Tx | Db, workspaceId: string, type: string): Promise<boolean> {
      const row = await ex
        .selectFrom('jobs')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('type', '=', type)
        .where('status', '=', 'queued')
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
    insert: (ex: Tx | Db, row: JobRow) =>
      ex
        .insertInto('jobs')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
        .execute(),
    list(workspaceId: string, status?: string) {
      let q = db.selectFrom('jobs').selectAll().where('workspace_id', '=', workspaceId);
      if (status) q = q.where('status', '=', status);
      return q.orderBy('created_at').execute();
    },
  };
}
