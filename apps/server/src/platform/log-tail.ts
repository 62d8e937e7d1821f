// A process's tail of a log: every process reads every entry of the chosen types (unlike a named
// consumer, whose partitions are shared out between processes), from where it started, in log
// order, and hands them to its listeners. The live WebSocket is one: what it pushes and what a
// reconnecting client catches up on both come from the domain-events log, so both see the same
// events in the same order on every process. Woken by `poke` (a commit announced on the bus,
// here or in another process on PostgreSQL), else every `idleMs`.
import type { Logger } from 'pino';
import type { LogEntry, LogStore, LogTable, Position } from './log.store.js';
import { partitionOf } from './logs.js';

/** A position as 32 hex digits (tx, then seq): cursors compare as strings in log order. */
export function cursorOf(p: Position): string {
  return p.tx.toString(16).padStart(16, '0') + p.seq.toString(16).padStart(16, '0');
}

export function positionOf(cursor: string): Position | null {
  if (!/^[0-9a-f]{32}$/.test(cursor)) return null;
  const tx = Number.parseInt(cursor.slice(0, 16), 16);
  const seq = Number.parseInt(cursor.slice(16), 16);
  return Number.isSafeInteger(tx) && Number.isSafeInteger(seq) ? { tx, seq } : null;
}

const isAfter = (a: Position, b: Position) => a.tx > b.tx || (a.tx === b.tx && a.seq > b.seq);

export type LogTail = ReturnType<typeof createLogTail>;

export function createLogTail(deps: {
  store: LogStore;
  log: LogTable;
  types: readonly string[];
  batch?: number;
  idleMs?: number;
  logger?: Pick<Logger, 'error'> | undefined;
}) {
  const { store, log, types } = deps;
  const batch = deps.batch ?? 500;
  const idleMs = deps.idleMs ?? 1_000;
  const listeners = new Set<(entries: LogEntry[]) => void>();
  let at: Position | null = null;
  let reading: Promise<void> | null = null;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let follow: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  async function readUntilCaughtUp() {
    if (!at) at = await store.head(log);
    for (;;) {
      const entries = await store.readTypes(log, at, types, batch);
      if (entries.length === 0) return;
      at = { tx: (entries[entries.length - 1] as LogEntry).tx, seq: (entries[entries.length - 1] as LogEntry).seq };
      for (const l of listeners) l(entries);
      if (entries.length < batch) return;
    }
  }

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void poke(), ms);
    timer.unref?.();
  }

  /** Reads what is new now; concurrent pokes coalesce into one more read. */
  async function poke(): Promise<void> {
    if (stopped) return;
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          await readUntilCaughtUp();
        } catch (err) {
          deps.logger?.error({ err, log }, 'log tail failed; it reads again shortly');
        }
      } while (again && !stopped);
    })();
    try {
      await reading;
    } finally {
      reading = null;
      // On PostgreSQL a commit just announced can wait behind an older transaction still running
      // (the settled-rows rule): look once more shortly after, then fall back to the idle poll.
      if (!stopped) {
        if (follow) clearTimeout(follow);
        follow = setTimeout(() => {
          follow = null;
          void poke();
        }, 50);
        follow.unref?.();
      }
      schedule(idleMs);
    }
  }

  return {
    poke,
    /** Starts at the log's head (entries before it are catch-up's, not the tail's). */
    async start() {
      at = await store.head(log);
      schedule(idleMs);
    },
    get position(): Position {
      return at ?? { tx: 0, seq: 0 };
    },
    subscribe(listener: (entries: LogEntry[]) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /**
     * A workspace's entries after a cursor, up to where this tail has read (so replay and live
     * delivery meet without a gap or a repeat); null when they cannot all be given: the cursor
     * is older than the log keeps, or more than `max` entries were missed.
     */
    async since(workspaceId: string, from: Position, max: number): Promise<LogEntry[] | null> {
      const oldest = await store.oldest(log, partitionOf(workspaceId));
      // A client's cursor is an entry it saw (or the head it started at): while that entry is
      // kept, nothing after it has been trimmed.
      if (oldest && isAfter(oldest, from)) return null;
      const upTo = at ?? { tx: 0, seq: 0 };
      if (isAfter(from, upTo)) return null;
      const out: LogEntry[] = [];
      let cur = from;
      while (out.length <= max) {
        const page = await store.readTypes(log, cur, types, Math.min(batch, max + 1 - out.length), workspaceId);
        const mine = page.filter((e) => !isAfter({ tx: e.tx, seq: e.seq }, upTo));
        out.push(...mine);
        if (page.length === 0 || mine.length < page.length) break;
        cur = { tx: (page[page.length - 1] as LogEntry).tx, seq: (page[page.length - 1] as LogEntry).seq };
      }
      return out.length > max ? null : out;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (follow) clearTimeout(follow);
    },
  };
}
