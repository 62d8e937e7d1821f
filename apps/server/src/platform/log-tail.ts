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

export function createLogTail(deps: { store: LogStore; log: LogTable; batch?: number; idleMs?: number; logger?: Pick<Logger, 'error'> | undefined }) {
  const { store, log } = deps;
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
      const entries = await store.readLive(log, at, batch);
      if (entries.length === 0) return;
      at = { tx: (entries[entries.length - 1] as LogEntry).tx, seq: (entries[entries.length - 1] as LogEntry).seq };
      for (const l of listeners) l(entries);
      if (entries.length < batch) return;
    }
  }

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void read(), ms);
    timer.unref?.();
  }

  /** Reads what is new now; concurrent pokes coalesce into one more read. */
  async function read(): Promise<void> {
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
      schedule(idleMs);
    }
  }

  /**
   * A commit was announced: read now, and once more shortly after (on PostgreSQL the commit may
   * wait behind an older transaction still running, the settled-rows rule). Only announcements
   * schedule that second look, so an idle tail costs one cheap read per `idleMs`.
   */
  async function poke(): Promise<void> {
    if (stopped) return;
    if (!follow) {
      follow = setTimeout(() => {
        follow = null;
        void read();
      }, 50);
      follow.unref?.();
    }
    return read();
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
      // Retention trimmed past the client's position: what it missed may be gone.
      const trimmed = await store.trimmedTo(log, partitionOf(workspaceId));
      if (trimmed && isAfter(trimmed, from)) return null;
      const upTo = at ?? { tx: 0, seq: 0 };
      if (isAfter(from, upTo)) return null;
      // One bounded read: a client that missed more than `max` refetches instead.
      const page = await store.readLive(log, from, max + 1, workspaceId);
      const mine = page.filter((e) => !isAfter({ tx: e.tx, seq: e.seq }, upTo));
      return page.length > max && mine.length === page.length ? null : mine;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (follow) clearTimeout(follow);
    },
  };
}
