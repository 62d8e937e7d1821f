// The log primitive (issue 10): append-only logs written in the same transaction as the change
// they describe (the transactional outbox), and named consumers that read them in batches and
// move their cursor in the same transaction as their effect, so a consumer's database work
// happens exactly once across crashes and restarts. A log has PARTITIONS partitions by
// workspace: a workspace's entries keep their order, and on PostgreSQL several processes share a
// consumer by locking different partitions' cursors (FOR UPDATE SKIP LOCKED). SQLite has one
// process, which runs every partition.
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Db, Engine, Tx } from './db/database.js';
import { createTransactions, isRetryable, whenCommitting } from './db/transactions.js';
import { createLogStore, FIREHOSE, type EntryTypes, type LogEntry, type LogTable, type Position } from './log.store.js';

export type { EntryTypes, LogEntry, LogTable, Position };
export { FIREHOSE };

export const PARTITIONS = 8;

/** FNV-1a of the workspace id: a workspace always lands in the same partition. */
export function partitionOf(workspaceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < workspaceId.length; i++) {
    h ^= workspaceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % PARTITIONS;
}

/** `json` is data its writer has already serialised (written as is, not stringified again). */
export type NewLogEntry = { workspaceId: string; type: string; meta?: unknown } & ({ data: unknown } | { json: string });

export type ConsumerSpec = {
  name: string;
  log: LogTable;
  /** Entries per transaction. */
  batch: number;
  /**
   * The entry types it handles (default: all), or a function that says so in each batch's
   * transaction (and for its lag), e.g. from what its settings want at the moment. The others are
   * never read nor handed to `handle`: the cursor passes them by an index-only range, so `behind`
   * counts only what it handles, retention goes on, and a consumer that leaves out the
   * domain-events firehose (`interaction.created`) reads through an index without it.
   */
  types?: EntryTypes | ((ex: Tx | Db) => Promise<EntryTypes>);
  /**
   * Applies a batch inside the transaction that moves the cursor past it. May return work to do
   * once that transaction has committed (e.g. warming a cache); a throw rolls both back.
   */
  handle(tx: Tx, entries: LogEntry[]): Promise<void | (() => void)>;
  /** Records an entry that keeps failing on its own, before the log passes it. */
  poison?(tx: Tx, entry: LogEntry, reason: string): Promise<void>;
  /**
   * Awaited before each of the background loop's transactions (never in `drain`): lets a more
   * urgent writer of SQLite's one connection go first. Must resolve within a bounded delay.
   */
  yieldTo?: () => Promise<void>;
};

export type ConsumerLag = { name: string; log: LogTable; behind: number; oldestAt: string | null; ageSeconds: number; failing: string | null };

/** How long each log keeps entries every consumer has passed (domain events serve live catch-up). */
const RETENTION_MS: Record<LogTable, number> = { domain_events: 7 * 86_400_000, ingest_log: 0 };
const LAG_CAP = 1_000_000;

export function createLogs(deps: { db: Db; engine: Engine; clock: Clock; logger?: Pick<Logger, 'error' | 'warn'> | undefined }) {
  const { clock } = deps;
  const store = createLogStore(deps.db, deps.engine);
  const transactions = createTransactions(deps.db);
  const consumers = new Map<string, ConsumerSpec & { ready: boolean; failing: string | null; failures: number }>();
  const listeners = new Set<() => void>();
  let wake: (() => void) | null = null;
  let running = false;
  let loop: Promise<void> | null = null;

  function poke() {
    wake?.();
  }

  async function append(tx: Tx, log: LogTable, entries: NewLogEntry[]): Promise<Position[]> {
    if (entries.length === 0) return [];
    const now = clock.nowIso();
    return store.append(
      tx,
      log,
      entries.map((e) => ({
        partition: partitionOf(e.workspaceId),
        workspace_id: e.workspaceId,
        type: e.type,
        meta: e.meta === undefined ? null : JSON.stringify(e.meta),
        data: 'json' in e ? e.json : JSON.stringify(e.data),
        created_at: now,
      })),
    );
  }

  // Failures in a row per consumer and partition: after 3 the partition goes one entry at a
  // time, and an entry that still fails 3 more times alone is handed to the consumer's `poison`
  // (which records it where people can see it) and passed, so one bad entry cannot stop a log.
  const failuresOf = new Map<string, number>();
  const singlesLeft = new Map<string, number>();
  // When each consumer's failing partition may be tried again (a failure backs off only its
  // partition: other partitions, and so other workspaces, go on).
  const retryAtOf = new Map<string, number>();

  const typesOf = async (c: ConsumerSpec, ex: Tx | Db): Promise<EntryTypes> =>
    c.types === undefined ? 'all' : typeof c.types === 'function' ? c.types(ex) : c.types;

  /**
   * The entries a consumer takes next from a partition after `at` (at most `size`), and where its
   * cursor goes once they are handled (null: nothing to pass). A typed consumer passes the
   * entries it does not handle up to the partition's last settled one.
   */
  async function take(tx: Tx, c: ConsumerSpec, partition: number, at: Position, size: number): Promise<{ entries: LogEntry[]; to: Position | null }> {
    const types = await typesOf(c, tx);
    if (types === 'all') {
      const entries = await store.read(tx, c.log, partition, at, size);
      const last = entries[entries.length - 1];
      return { entries, to: last ? { tx: last.tx, seq: last.seq } : null };
    }
    const head = await store.headOf(tx, c.log, partition, at);
    if (!head) return { entries: [], to: null };
    const entries = await store.readTyped(tx, c.log, partition, at, head, types, size);
    const last = entries[entries.length - 1];
    return { entries, to: last && entries.length === size ? { tx: last.tx, seq: last.seq } : head };
  }

  /** One batch of one partition, if its cursor is free; returns the entries handled. */
  async function step(c: ConsumerSpec, partition: number, patient: boolean): Promise<number> {
    const key = `${c.name}\u0000${partition}`;
    if (patient) {
      // Handlers' statements resolve as microtasks (better-sqlite3 is synchronous): without a
      // turn of the event loop here, a loop with work behind would never let I/O be read.
      await new Promise((resolve) => setImmediate(resolve));
      await c.yieldTo?.();
    }
    const failures = failuresOf.get(key) ?? 0;
    const size = failures >= 3 ? 1 : c.batch;
    const afterCommit: Array<() => void> = [];
    try {
      const batch = () =>
        transactions.run(async (tx) => {
          afterCommit.length = 0;
          const at = await store.lockCursor(tx, c.name, partition);
          if (!at) return 0;
          const { entries, to } = await take(tx, c, partition, at, size);
          if (!to) return 0;
          if (entries.length > 0) {
            const after = await c.handle(tx, entries);
            if (typeof after === 'function') afterCommit.push(after);
          }
          await store.moveCursor(tx, c.name, partition, to, clock.nowIso());
          return entries.length;
        });
      // A deadlock with another writer of the same rows (PostgreSQL picks one side to abort) is
      // no fault of the batch: run it again at once, a few times, before counting a failure.
      let n = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          n = await batch();
          break;
        } catch (err) {
          if (attempt >= 4 || !isRetryable(err)) throw err;
        }
      }
      // Going one entry at a time after failures: stay so until a batch's worth has passed, so
      // a bad entry behind good ones still reaches its poison count instead of starting over.
      if (failures >= 3) {
        const left = (singlesLeft.get(key) ?? c.batch) - n;
        if (left > 0) singlesLeft.set(key, left);
        else {
          singlesLeft.delete(key);
          failuresOf.delete(key);
        }
      } else failuresOf.delete(key);
      for (const f of afterCommit) f();
      return n;
    } catch (err) {
      failuresOf.set(key, failures + 1);
      if (failures + 1 < 6 || !c.poison) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      const passed = await transactions.run(async (tx) => {
        const at = await store.lockCursor(tx, c.name, partition);
        const { entries, to } = at ? await take(tx, c, partition, at, 1) : { entries: [], to: null };
        if (!to) return 0;
        const entry = entries[0];
        if (entry) await c.poison?.(tx, entry, reason);
        await store.moveCursor(tx, c.name, partition, to, clock.nowIso());
        return entries.length;
      });
      deps.logger?.error({ err, consumer: c.name, partition }, 'log entry failed six times: recorded as poison and passed');
      failuresOf.delete(key);
      singlesLeft.delete(key);
      return passed;
    }
  }

  /** Every consumer, one batch per partition it can take; returns the entries handled. */
  async function runOnce(patient = false): Promise<number> {
    let total = 0;
    for (const c of consumers.values()) {
      if (!c.ready) {
        await store.ensureCursors(c.name, PARTITIONS, clock.nowIso());
        c.ready = true;
      }
      let failing: string | null = null;
      for (let p = 0; p < PARTITIONS; p++) {
        const key = `${c.name}\u0000${p}`;
        if ((retryAtOf.get(key) ?? 0) > clock.nowMs()) {
          failing = c.failing;
          continue;
        }
        try {
          total += await step(c, p, patient);
          retryAtOf.delete(key);
        } catch (err) {
          const tries = failuresOf.get(key) ?? 1;
          failing = err instanceof Error ? err.message : String(err);
          retryAtOf.set(key, clock.nowMs() + Math.min(30_000, 250 * 2 ** Math.min(tries, 7)));
          deps.logger?.error({ err, consumer: c.name, partition: p }, 'log consumer failed; its batch will be retried');
        }
      }
      c.failing = failing;
      c.failures = failing ? c.failures + 1 : 0;
    }
    if (total > 0) for (const l of listeners) l();
    return total;
  }

  /** Whether any consumer has entries after its cursor, settled or not. */
  async function pending(): Promise<boolean> {
    for (const c of consumers.values()) {
      const cursors = new Map((await store.cursors(c.name)).map((r) => [Number(r.partition), { tx: Number(r.tx), seq: Number(r.seq) }]));
      for (let p = 0; p < PARTITIONS; p++) if ((await store.behind(c.log, p, cursors.get(p) ?? { tx: 0, seq: 0 }, 1)).count > 0) return true;
    }
    return false;
  }

  return {
    append,
    poke,
    store,
    define(spec: ConsumerSpec) {
      if (consumers.has(spec.name)) throw new Error(`consumer ${spec.name} is defined twice`);
      consumers.set(spec.name, { ...spec, ready: false, failing: null, failures: 0 });
    },
    /** Called after any batch was handled (e.g. to answer whoever waits for processing). */
    onProgress(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    runOnce,
    /**
     * Runs every consumer until none has anything left it can take (tests wait for processing
     * with this, never with sleeps). A failing consumer throws here instead of backing off.
     */
    async drain(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        retryAtOf.clear();
        const n = await runOnce();
        // A consumer with a poison handler passes a bad entry after its retries; others stop here.
        const failing = [...consumers.values()].find((c) => c.failing && !c.poison);
        if (failing) throw new Error(`consumer ${failing.name} failed: ${failing.failing}`);
        if (n > 0) continue;
        // Nothing could be taken: done, unless entries wait behind a transaction still running
        // elsewhere on PostgreSQL (the settled-rows rule), which ends on its own.
        if (!(await pending())) return;
        if (Date.now() > deadline) throw new Error('log consumers did not catch up in time');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    /** Starts the background loop: woken by appends in this process, else every `idleMs`. */
    start(idleMs = 250) {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          let n = 0;
          try {
            n = await runOnce(true);
          } catch (err) {
            deps.logger?.error({ err }, 'log consumers failed');
          }
          if (n > 0 || !running) continue;
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, idleMs);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = null;
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = null;
    },
    /**
     * Per consumer: entries not yet handled (counted up to a million) and the oldest one's age,
     * for one workspace (what its owner may see) or the whole log (operators).
     */
    async lag(workspaceId?: string): Promise<ConsumerLag[]> {
      const out: ConsumerLag[] = [];
      const parts = workspaceId ? [partitionOf(workspaceId)] : Array.from({ length: PARTITIONS }, (_, p) => p);
      for (const c of consumers.values()) {
        const cursors = new Map((await store.cursors(c.name)).map((r) => [Number(r.partition), { tx: Number(r.tx), seq: Number(r.seq) }]));
        const types = await typesOf(c, deps.db);
        let behind = 0;
        let oldest: string | null = null;
        for (const p of parts) {
          const b = await store.behind(c.log, p, cursors.get(p) ?? { tx: 0, seq: 0 }, LAG_CAP, workspaceId, types);
          behind += b.count;
          if (b.oldest && (!oldest || b.oldest < oldest)) oldest = b.oldest;
        }
        const ageSeconds = oldest ? Math.max(0, (clock.nowMs() - Date.parse(oldest)) / 1000) : 0;
        out.push({ name: c.name, log: c.log, behind, oldestAt: oldest, ageSeconds, failing: c.failing });
      }
      return out;
    },
    /**
     * Retention: deletes what every consumer of a log has passed and is older than the log keeps
     * (a log no consumer reads, like domain events before webhooks, keeps its retention alone).
     */
    async trim(): Promise<number> {
      let removed = 0;
      for (const log of ['domain_events', 'ingest_log'] as const) {
        const mine = [...consumers.values()].filter((c) => c.log === log);
        const cursors = await Promise.all(
          mine.map(async (c) => new Map((await store.cursors(c.name)).map((r) => [Number(r.partition), { tx: Number(r.tx), seq: Number(r.seq) }]))),
        );
        const before = RETENTION_MS[log] === 0 ? '9999' : new Date(clock.nowMs() - RETENTION_MS[log]).toISOString();
        for (let p = 0; p < PARTITIONS; p++) {
          let slowest: Position | null = null;
          if (cursors.length > 0) {
            const positions = cursors.map((m) => m.get(p) ?? { tx: 0, seq: 0 });
            slowest = positions.reduce((a, b) => (b.tx < a.tx || (b.tx === a.tx && b.seq < a.seq) ? b : a));
            if (slowest.seq === 0) continue;
          }
          removed += await store.trim(log, p, slowest, before);
        }
      }
      return removed;
    },
    /**
     * GDPR erasure: a workspace's domain events that name any of these ids go, in the caller's
     * transaction, as it commits: after the events its own work emits (domain events of a `run`
     * are written then), so none of those escapes. Events of `keepTypes` (the erasure's own
     * notice) stay.
     */
    async eraseMentions(tx: Tx, workspaceId: string, needles: string[], keepTypes: readonly string[]): Promise<void> {
      const erase = async () => void (await store.eraseMentions(tx, 'domain_events', workspaceId, needles, keepTypes));
      if (!whenCommitting(tx, erase)) await erase();
    },
  };
}
export type Logs = ReturnType<typeof createLogs>;
