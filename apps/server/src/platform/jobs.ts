// The outbox: jobs are inserted in the same transaction as the write that causes them and
// run after commit by a worker loop. PostgreSQL claims with FOR UPDATE SKIP LOCKED so several
// processes share the work; SQLite has a single writer. Failures retry with exponential
// backoff and dead-letter after max_attempts.
import { sql } from 'kysely';
import type { Clock } from './clock.js';
import type { Db, Engine, Tx } from './db/database.js';
import type { JobRow } from './db/schema.js';
import { newId } from './ids.js';

type Logger = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

export type JobHandler = (job: { id: string; workspaceId: string; payload: unknown; attempts: number }) => Promise<void>;

export type EnqueueInput = {
  workspaceId: string;
  type: string;
  payload: unknown;
  /** Unique per workspace: enqueueing the same key twice creates one job. */
  idempotencyKey: string;
  runAt?: string;
  maxAttempts?: number;
  /** Skip the insert while a job of this type is still queued for the workspace (a rescan asked twice runs once). */
  coalesce?: boolean;
};

export type Jobs = {
  enqueue(tx: Tx | Db, input: EnqueueInput): Promise<void>;
  register(type: string, handler: JobHandler): void;
  /** Runs every job that is due now, until none is left; returns how many ran. For tests and shutdown. */
  drain(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  /** Wake the worker now (after a commit that enqueued work). */
  poke(): void;
  list(workspaceId: string, status?: string): Promise<JobRow[]>;
};

export function backoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** (attempts - 1), 15 * 60_000);
}

export function createJobs(deps: { db: Db; engine: Engine; clock: Clock; logger: Logger; pollMs?: number }): Jobs {
  const { db, engine, clock, logger } = deps;
  const handlers = new Map<string, JobHandler>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = true;

  // Fair across workspaces: due jobs are ranked within their workspace and claimed rank by rank
  // (every workspace's oldest job, then every workspace's second, …), so one tenant's flood of
  // jobs waits behind everyone else's next one instead of starving them.
  async function claim(limit: number): Promise<JobRow[]> {
    const now = clock.nowIso();
    const lockedUntil = new Date(clock.nowMs() + 5 * 60_000).toISOString();
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
      return fairOrder(res.rows);
    }
    const fair = sql`SELECT id FROM (${ranked}) ranked ORDER BY rank, run_at, id LIMIT ${limit}`;
    return db.transaction().execute(async (tx) => {
      const ids = (await sql<{ id: string }>`${fair}`.execute(tx)).rows;
      if (ids.length === 0) return [];
      const rows = await tx
        .updateTable('jobs')
        .set((eb) => ({ status: 'running', locked_until: lockedUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
        .where(
          'id',
          'in',
          ids.map((r) => r.id),
        )
        .returningAll()
        .execute();
      return fairOrder(rows);
    });
  }

  /** Runs claimed jobs workspace by workspace in turn. */
  function fairOrder(rows: JobRow[]): JobRow[] {
    const byWorkspace = new Map<string, JobRow[]>();
    for (const r of [...rows].sort((a, b) => a.run_at.localeCompare(b.run_at) || a.id.localeCompare(b.id))) {
      byWorkspace.set(r.workspace_id, [...(byWorkspace.get(r.workspace_id) ?? []), r]);
    }
    const out: JobRow[] = [];
    for (let round = 0; out.length < rows.length; round++) {
      for (const list of byWorkspace.values()) {
        const job = list[round];
        if (job) out.push(job);
      }
    }
    return out;
  }

  async function runOne(job: JobRow): Promise<void> {
    const handler = handlers.get(job.type);
    const now = clock.nowIso();
    try {
      if (!handler) throw new Error(`no handler for job type ${job.type}`);
      await handler({ id: job.id, workspaceId: job.workspace_id, payload: JSON.parse(job.payload), attempts: job.attempts });
      await db.updateTable('jobs').set({ status: 'done', locked_until: null, updated_at: now }).where('id', '=', job.id).execute();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const dead = job.attempts >= job.max_attempts;
      logger.warn({ jobId: job.id, type: job.type, attempts: job.attempts, dead, err: message }, 'job failed');
      await db
        .updateTable('jobs')
        .set({
          status: dead ? 'dead' : 'queued',
          locked_until: null,
          last_error: message.slice(0, 2000),
          run_at: new Date(clock.nowMs() + backoffMs(job.attempts)).toISOString(),
          updated_at: now,
        })
        .where('id', '=', job.id)
        .execute();
    }
  }

  async function drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await claim(20);
      if (batch.length === 0) return total;
      for (const job of batch) await runOne(job);
      total += batch.length;
    }
  }

  function drain(): Promise<number> {
    // One drain at a time per process; callers share the running one and then run again.
    const next = (running ?? Promise.resolve(0)).then(() => drainOnce());
    running = next.finally(() => {
      if (running === next) running = null;
    });
    return next;
  }

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      drain()
        .catch((err: unknown) => logger.error({ err }, 'job worker error'))
        .finally(() => schedule(deps.pollMs ?? 1000));
    }, ms);
  }

  return {
    async enqueue(tx, input) {
      const now = clock.nowIso();
      if (input.coalesce) {
        const waiting = await tx
          .selectFrom('jobs')
          .select('id')
          .where('workspace_id', '=', input.workspaceId)
          .where('type', '=', input.type)
          .where('status', '=', 'queued')
          .limit(1)
          .executeTakeFirst();
        if (waiting) return;
      }
      await tx
        .insertInto('jobs')
        .values({
          id: newId('job'),
          workspace_id: input.workspaceId,
          type: input.type,
          payload: JSON.stringify(input.payload ?? null),
          status: 'queued',
          attempts: 0,
          max_attempts: input.maxAttempts ?? 8,
          run_at: input.runAt ?? now,
          locked_until: null,
          last_error: null,
          idempotency_key: input.idempotencyKey,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
        .execute();
    },
    register(type, handler) {
      handlers.set(type, handler);
    },
    drain,
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    poke() {
      if (!stopped) schedule(0);
    },
    list(workspaceId, status) {
      let q = db.selectFrom('jobs').selectAll().where('workspace_id', '=', workspaceId);
      if (status) q = q.where('status', '=', status);
      return q.orderBy('created_at').execute();
    },
  };
}
