// The outbox: jobs are inserted in the same transaction as the write that causes them and
// run after commit by a worker loop. PostgreSQL claims with FOR UPDATE SKIP LOCKED so several
// processes share the work; SQLite has a single writer. Failures retry with exponential
// backoff and dead-letter after max_attempts.
import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { Db, Engine, Tx } from './db/database.js';
import type { JobRow } from './db/schema.js';
import { newId } from './ids.js';
import { createJobsStore } from './jobs.store.js';

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

/** A job type with a validated payload: payloads are parsed by its schema, never cast. */
export type JobDefinition<T> = {
  type: string;
  enqueue(tx: Tx | Db, input: Omit<EnqueueInput, 'type' | 'payload'> & { payload: T }): Promise<void>;
};

export type Jobs = {
  /** Defines a job type: its payload schema and handler (a payload that does not parse fails the job). */
  define<T>(
    type: string,
    schema: z.ZodType<T>,
    handler: (job: { id: string; workspaceId: string; payload: T; attempts: number }) => Promise<void>,
  ): JobDefinition<T>;
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
  const { clock, logger } = deps;
  const store = createJobsStore(deps.db, deps.engine);
  const handlers = new Map<string, JobHandler>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = true;

  async function claim(limit: number): Promise<JobRow[]> {
    const lockedUntil = new Date(clock.nowMs() + 5 * 60_000).toISOString();
    return fairOrder(await store.claim(clock.nowIso(), lockedUntil, limit));
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
      await store.markDone(job.id, now);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const dead = job.attempts >= job.max_attempts;
      logger.warn({ jobId: job.id, type: job.type, attempts: job.attempts, dead, err: message }, 'job failed');
      await store.markFailed(job.id, {
        status: dead ? 'dead' : 'queued',
        last_error: message.slice(0, 2000),
        run_at: new Date(clock.nowMs() + backoffMs(job.attempts)).toISOString(),
        updated_at: now,
      });
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

  const api: Jobs = {
    async enqueue(tx, input) {
      const now = clock.nowIso();
      if (input.coalesce && (await store.hasQueued(tx, input.workspaceId, input.type))) return;
      await store.insert(tx, {
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
      });
    },
    register(type, handler) {
      handlers.set(type, handler);
    },
    define(type, schema, handler) {
      handlers.set(type, async (job) => {
        const parsed = schema.safeParse(job.payload);
        if (!parsed.success) throw new Error(`invalid ${type} payload: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
        await handler({ ...job, payload: parsed.data });
      });
      return { type, enqueue: (tx, input) => api.enqueue(tx, { ...input, type }) };
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
    list: (workspaceId, status) => store.list(workspaceId, status),
  };
  return api;
}
