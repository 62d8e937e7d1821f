// SQL of the logs and their consumers' cursors (see migration-005-logs.ts for the ordering rule).
import { sql } from 'kysely';
import { bulkInsert } from './db/bulk-insert.js';
import type { Db, Engine, Tx } from './db/database.js';
import type { LogEntryRow } from './db/schema.js';

export type LogTable = 'domain_events' | 'ingest_log';
export type Position = { tx: number; seq: number };
/** Which entry types a reader takes: every one, only these, or all but these. */
export type EntryTypes = 'all' | { only: readonly string[] } | { except: readonly string[] };
/** The domain-events log's high-volume type (ingest writes one per event), left out of the partial indexes. */
export const FIREHOSE = 'interaction.created';
/** Whether a reader of these types never takes the firehose (and so may read through the partial indexes). */
export const skipsFirehose = (types: EntryTypes) =>
  types !== 'all' && ('only' in types ? !types.only.includes(FIREHOSE) : types.except.includes(FIREHOSE));
type NewEntry = Omit<LogEntryRow, 'seq' | 'tx'>;
/** A log row as read back: its position as numbers (pg hands bigints as strings). */
export type LogEntry = NewEntry & Position;
const ENTRY_COLUMNS = ['partition', 'workspace_id', 'type', 'meta', 'data', 'created_at'] as const;

const toEntry = (r: Record<string, unknown>): LogEntry => ({
  seq: Number(r.seq),
  tx: Number(r.tx),
  partition: Number(r.partition),
  workspace_id: String(r.workspace_id),
  type: String(r.type),
  meta: r.meta === null || r.meta === undefined ? null : String(r.meta),
  data: String(r.data),
  created_at: String(r.created_at),
});

export function createLogStore(db: Db, engine: Engine) {
  const pg = engine === 'postgres';
  /** Rows every reader may take: on PostgreSQL only those of transactions older than any still running. */
  const settled = pg ? sql`AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint` : sql``;
  // After a position. PostgreSQL: a row comparison, which is a range of the (…, tx, seq) indexes
  // (the equivalent `tx > a OR (tx = a AND seq > b)` was a filter over the whole partition).
  const after = (p: Position) => (pg ? sql`(tx, seq) > (${p.tx}, ${p.seq})` : sql`seq > ${p.seq}`);
  // The same within one partition, as a range of (partition, tx, seq): on SQLite `tx` is always
  // 0 (one writer, log order is seq), which said out loud lets the range start at the position
  // instead of at the partition's first entry.
  const afterIn = (p: Position) => (pg ? after(p) : sql`tx = 0 AND seq > ${p.seq}`);
  const atOrBefore = (p: Position) => (pg ? sql`(tx, seq) <= (${p.tx}, ${p.seq})` : sql`tx = 0 AND seq <= ${p.seq}`);
  const order = pg ? sql`ORDER BY tx, seq` : sql`ORDER BY seq`;
  const newestFirst = pg ? sql`ORDER BY tx DESC, seq DESC` : sql`ORDER BY seq DESC`;
  // What live streams skip (ingest writes one per event); the same words as the partial indexes'.
  const LIVE = sql`type <> 'interaction.created'`;
  /** The type filter of a typed read; with the firehose left out, the words the partial indexes carry. */
  const ofTypes = (types: EntryTypes) => {
    if (types === 'all') return sql``;
    const live = skipsFirehose(types) ? sql`AND ${LIVE}` : sql``;
    if ('only' in types) return types.only.length === 0 ? sql`AND 1 = 0` : sql`${live} AND type IN (${sql.join([...types.only])})`;
    const rest = types.except.filter((t) => t !== FIREHOSE);
    return rest.length === 0 ? live : sql`${live} AND type NOT IN (${sql.join(rest)})`;
  };

  return {
    /** Appends entries in the caller's transaction; returns their positions in order. */
    async append(tx: Tx, table: LogTable, rows: NewEntry[]): Promise<Position[]> {
      // Raw multi-row INSERTs with repeating texts: the query builder's compile of thousands of
      // values was a fifth of ingest's CPU (both the accepting and the processing side append).
      const stored = await bulkInsert<NewEntry, { tx: string | number; seq: string | number }>(
        tx,
        engine,
        { table, columns: ENTRY_COLUMNS, returning: 'tx, seq' },
        rows,
      );
      return stored.map((r) => ({ tx: Number(r.tx), seq: Number(r.seq) }));
    },
    /**
     * Creates cursors at the start of the log for a consumer's partitions. Only missing ones are
     * inserted: an insert that meets a cursor another process holds locked would wait for it.
     */
    async ensureCursors(consumer: string, partitions: number, now: string) {
      const have = new Set((await db.selectFrom('log_cursors').select('partition').where('consumer', '=', consumer).execute()).map((r) => Number(r.partition)));
      const rows = Array.from({ length: partitions }, (_, p) => p)
        .filter((p) => !have.has(p))
        .map((p) => ({ consumer, partition: p, tx: 0, seq: 0, updated_at: now }));
      if (rows.length === 0) return;
      await db
        .insertInto('log_cursors')
        .values(rows)
        .onConflict((oc) => oc.columns(['consumer', 'partition']).doNothing())
        .execute();
    },
    /**
     * Locks one cursor for the caller's transaction; on PostgreSQL a cursor another process holds
     * is skipped (null), so processes share a consumer's partitions without double work.
     */
    async lockCursor(tx: Tx, consumer: string, partition: number): Promise<Position | null> {
      const res = await sql<{
        tx: string | number;
        seq: string | number;
      }>`SELECT tx, seq FROM log_cursors WHERE consumer = ${consumer} AND partition = ${partition}
        ${pg ? sql`FOR UPDATE SKIP LOCKED` : sql``}`.execute(tx);
      const r = res.rows[0];
      return r ? { tx: Number(r.tx), seq: Number(r.seq) } : null;
    },
    moveCursor: (tx: Tx, consumer: string, partition: number, to: Position, now: string) =>
      tx
        .updateTable('log_cursors')
        .set({ tx: to.tx, seq: to.seq, updated_at: now })
        .where('consumer', '=', consumer)
        .where('partition', '=', partition)
        .execute(),
    /** The next entries of a partition after a position, in log order. */
    async read(ex: Tx | Db, table: LogTable, partition: number, from: Position, limit: number): Promise<LogEntry[]> {
      const res = await sql<
        Record<string, unknown>
      >`SELECT * FROM ${sql.table(table)} WHERE partition = ${partition} AND ${afterIn(from)} ${settled} ${order} LIMIT ${limit}`.execute(ex);
      return res.rows.map(toEntry);
    },
    /**
     * The position of a partition's last settled entry after `from` (null: none), from the
     * (partition, tx, seq) index alone: how far a typed reader may pass what it does not read.
     */
    async headOf(ex: Tx | Db, table: LogTable, partition: number, from: Position): Promise<Position | null> {
      const res = await sql<{
        tx: string | number;
        seq: string | number;
      }>`SELECT tx, seq FROM ${sql.table(table)} WHERE partition = ${partition} AND ${afterIn(from)} ${settled} ${newestFirst} LIMIT 1`.execute(ex);
      const r = res.rows[0];
      return r ? { tx: Number(r.tx), seq: Number(r.seq) } : null;
    },
    /**
     * A partition's next entries of some types after `from` and up to `to` (a settled position
     * from headOf, so no settled-rows rule is needed), in log order. Without the firehose, through
     * the partial index that leaves it out.
     */
    async readTyped(ex: Tx | Db, table: LogTable, partition: number, from: Position, to: Position, types: EntryTypes, limit: number): Promise<LogEntry[]> {
      const index = !pg && table === 'domain_events' && skipsFirehose(types) ? sql`INDEXED BY domain_events_partition_live` : sql``;
      const res = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ${index} WHERE partition = ${partition} ${ofTypes(types)}
        AND ${afterIn(from)} AND ${atOrBefore(to)} ${order} LIMIT ${limit}`.execute(ex);
      return res.rows.map(toEntry);
    },
    /** A workspace's entries after a position, across partitions (live catch-up). */
    async readWorkspace(table: LogTable, workspaceId: string, from: Position, limit: number, opts: { settledOnly?: boolean } = {}): Promise<LogEntry[]> {
      // settledOnly: false also returns entries of committed transactions younger than one still
      // running elsewhere (fine for a look at what was written; consumers must not use it).
      const rule = opts.settledOnly === false ? sql`` : settled;
      const res = await sql<
        Record<string, unknown>
      >`SELECT * FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} AND ${after(from)} ${rule} ${order} LIMIT ${limit}`.execute(db);
      return res.rows.map(toEntry);
    },
    /** Every entry after a position, across partitions (a process's live tail). */
    async readAll(table: LogTable, from: Position, limit: number): Promise<LogEntry[]> {
      const res = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE ${after(from)} ${settled} ${order} LIMIT ${limit}`.execute(db);
      return res.rows.map(toEntry);
    },
    /**
     * Entries a live stream shows after a position, across partitions, in log order (a process's
     * live tail; with a workspace, a client's catch-up): all but ingest's per-event
     * `interaction.created`, skipped through a partial index, so their volume costs nothing here.
     */
    async readLive(table: LogTable, from: Position, limit: number, workspaceId?: string): Promise<LogEntry[]> {
      const mine = workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``;
      const res = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE ${LIVE} AND ${after(from)} ${mine}
        ${settled} ${order} LIMIT ${limit}`.execute(db);
      return res.rows.map(toEntry);
    },
    /** The position of the last settled entry (where a new tail starts). */
    async head(table: LogTable): Promise<Position> {
      const res = await sql<{
        tx: string | number;
        seq: string | number;
      }>`SELECT tx, seq FROM ${sql.table(table)} WHERE 1 = 1 ${settled} ${pg ? sql`ORDER BY tx DESC, seq DESC` : sql`ORDER BY seq DESC`} LIMIT 1`.execute(db);
      const r = res.rows[0];
      return r ? { tx: Number(r.tx), seq: Number(r.seq) } : { tx: 0, seq: 0 };
    },
    cursors: (consumer: string) => db.selectFrom('log_cursors').selectAll().where('consumer', '=', consumer).orderBy('partition').execute(),
    /**
     * Entries of a partition after a position (at most `cap` counted; of some types only) and the
     * oldest one's time. A workspace's entries lie in one partition: on SQLite the domain-events
     * ones are counted in the (workspace_id, seq) index alone.
     */
    async behind(
      table: LogTable,
      partition: number,
      from: Position,
      cap: number,
      workspaceId?: string,
      types: EntryTypes = 'all',
    ): Promise<{ count: number; oldest: string | null }> {
      const where =
        workspaceId && !pg && table === 'domain_events'
          ? sql`workspace_id = ${workspaceId} AND ${after(from)}`
          : sql`partition = ${partition} ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``} AND ${afterIn(from)}`;
      const n = await sql<{
        n: string | number;
      }>`SELECT count(*) AS n FROM (SELECT 1 FROM ${sql.table(table)} WHERE ${where} ${ofTypes(types)} LIMIT ${cap}) behind`.execute(db);
      const first = await sql<{
        created_at: string;
      }>`SELECT created_at FROM ${sql.table(table)} WHERE ${where} ${ofTypes(types)} ${order} LIMIT 1`.execute(db);
      return { count: Number(n.rows[0]?.n ?? 0), oldest: first.rows[0]?.created_at ?? null };
    },
    /**
     * Retention: deletes a partition's entries up to the newest one that is older than `before`
     * and at or before `upTo` (every consumer has passed it; null: no consumer holds it back), and
     * records how far it trimmed, so a reader resuming from a position there knows it has a gap.
     */
    async trim(table: LogTable, partition: number, upTo: Position | null, before: string): Promise<number> {
      const upto = upTo === null ? sql`1 = 1` : atOrBefore(upTo);
      const edge = await sql<{ tx: string | number; seq: string | number }>`SELECT tx, seq FROM ${sql.table(table)}
        WHERE partition = ${partition} AND ${upto} AND created_at < ${before} ${settled} ${newestFirst} LIMIT 1`.execute(db);
      const e = edge.rows[0];
      if (!e) return 0;
      const to = { tx: Number(e.tx), seq: Number(e.seq) };
      return db.transaction().execute(async (tx) => {
        const res = await sql`DELETE FROM ${sql.table(table)} WHERE partition = ${partition} AND ${atOrBefore(to)}`.execute(tx);
        await tx
          .insertInto('log_trims')
          .values({ log: table, partition, tx: to.tx, seq: to.seq })
          .onConflict((oc) => oc.columns(['log', 'partition']).doUpdateSet({ tx: to.tx, seq: to.seq }))
          .execute();
        return Number(res.numAffectedRows ?? 0);
      });
    },
    /** How far retention has trimmed a partition (null: never). */
    async trimmedTo(table: LogTable, partition: number): Promise<Position | null> {
      const r = await db.selectFrom('log_trims').select(['tx', 'seq']).where('log', '=', table).where('partition', '=', partition).executeTakeFirst();
      return r ? { tx: Number(r.tx), seq: Number(r.seq) } : null;
    },
    /**
     * Erasure (GDPR): deletes a workspace's entries whose payload names any of the given ids or
     * values, in the caller's transaction; returns how many.
     */
    async eraseMentions(tx: Tx, table: LogTable, workspaceId: string, needles: string[], keepTypes: readonly string[] = []): Promise<number> {
      let removed = 0;
      const found = pg ? (n: string) => sql`strpos(data, ${n}) > 0` : (n: string) => sql`instr(data, ${n}) > 0`;
      for (let i = 0; i < needles.length; i += 50) {
        const part = needles.slice(i, i + 50).filter((n) => n.length >= 3);
        if (part.length === 0) continue;
        const kept = keepTypes.length > 0 ? sql`AND type NOT IN (${sql.join([...keepTypes])})` : sql``;
        const res = await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} ${kept} AND (${sql.join(part.map(found), sql` OR `)})`.execute(tx);
        removed += Number(res.numAffectedRows ?? 0);
      }
      return removed;
    },
  };
}
export type LogStore = ReturnType<typeof createLogStore>;
