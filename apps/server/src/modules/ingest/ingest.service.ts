// The ingest hot path: validate a Segment batch and append its valid events to the ingest log in
// a group commit. A 2xx answer means the batch is committed; invalid events are answered and
// logged, not stored. The processor (ingest.processor.ts) turns the log into customers and
// interactions just behind.
import type { IngestResult, Page, RejectedEvent, Rejection } from '@rapport/contracts';
import { isRetryable, type Transactions } from '../../platform/db/transactions.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { Engine, Tx } from '../../platform/db/database.js';
import type { RejectedEventRow } from '../../platform/db/schema.js';
import { invalid, tooLarge, rateLimited } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logs } from '../../platform/logs.js';
import type { TokenBucket } from '../../platform/rate-limit.js';
import type { OrganizationsService } from '../customers/organizations.service.js';
import type { IdentityService } from '../identity/identity.service.js';
import type { InteractionsLog } from '../interactions/log.service.js';
import { asClientEvent, MAX_BATCH_EVENTS, MAX_REJECTIONS_IN_RESPONSE, REJECTED_KEPT_PER_MINUTE, userHashOf, withoutCredentials } from './ingest.client.js';
import { isInvalid, parseEvent, type EventType, type Invalid, type ParsedEvent } from './ingest.validate.js';
import { defineIngestProcessor, encodeAccepted, ENTRY_TYPE } from './ingest.processor.js';
import type { IngestStore } from './ingest.store.js';
import type { JourneyService } from '../journeys/journey.service.js';
import type { TouchpointsService } from '../touchpoints/touchpoints.service.js';
import type { IngestPrincipal } from './write-keys.service.js';

export type IngestInput = {
  events: unknown[];
  /** Set for the single-event endpoints (/v1/track, …); batch items carry their own type. */
  fixedType: EventType | null;
  sentAt: unknown;
  batchContext: Record<string, unknown> | null;
  ip: string | null;
};


export const toRejectedEvent = (r: RejectedEventRow): RejectedEvent => ({
  id: r.id,
  receivedAt: r.received_at,
  messageId: r.message_id,
  type: r.type,
  reason: r.reason,
  userId: r.user_id,
  anonymousId: r.anonymous_id,
  payload: r.payload,
});

export function createIngestService(deps: {
  store: IngestStore;
  /** Group calls create and join organizations (the customers module's). */
  organizations: OrganizationsService;
  /** Where accepted events become interactions. */
  log: InteractionsLog;
  transactions: Transactions;
  engine: Engine;
  clock: Clock;
  identity: IdentityService;
  touchpoints: TouchpointsService;
  journey: JourneyService;
  /** Per-workspace event rate (429 with Retry-After past it). */
  rate: TokenBucket;
  /** Accepted events wait in the ingest log for the processor. */
  logs: Logs;
}) {
  const { store, clock } = deps;
  // Rejected events kept this minute, per workspace (a fixed window; each process counts its own).
  const keptThisMinute = new Map<string, { minute: number; kept: number }>();
  function sampleRejected(workspaceId: string, n: number): number {
    const minute = Math.floor(clock.nowMs() / 60_000);
    const cur = keptThisMinute.get(workspaceId);
    const w = cur && cur.minute === minute ? cur : { minute, kept: 0 };
    const allowed = Math.max(0, Math.min(n, REJECTED_KEPT_PER_MINUTE - w.kept));
    w.kept += allowed;
    // Bounded without amnesty: only windows of past minutes are forgotten.
    if (keptThisMinute.size > 10_000) for (const [k, v] of keptThisMinute) if (v.minute !== minute) keptThisMinute.delete(k);
    keptThisMinute.set(workspaceId, w);
    return allowed;
  }
  const transactions = deps.transactions;
  // SQLite checkpoints the WAL into the database file (and fsyncs it) on the committing call,
  // by default whenever the WAL passes 1,000 pages (4 MB): with ingest's random index pages that
  // was nearly every group commit, and checkpoints were a third of COMMIT time. 10,000 pages
  // (40 MB of WAL) checkpoints every ~10 groups and writes each hot page once per checkpoint.
  // Durability is unchanged (synchronous=NORMAL in WAL mode either way). The page cache goes
  // from 64 to 32 MB: ingest throughput measured the same (pages missed come from the OS cache)
  // and the server's peak RSS 35-55 MB lower, which kept 8 clients × 500 events under 400 MB.
  if (deps.engine === 'sqlite') void store.tuneSqlite().catch(() => undefined);

  function rejectedRow(workspaceId: string, inv: Invalid, raw: unknown, receivedAt: string): RejectedEventRow {
    let payload: string;
    try {
      payload = JSON.stringify(raw) ?? 'null';
    } catch {
      payload = String(raw);
    }
    return {
      workspace_id: workspaceId,
      id: newId('rejected'),
      received_at: receivedAt,
      message_id: inv.messageId,
      type: inv.type,
      reason: inv.reason,
      user_id: inv.userId,
      anonymous_id: inv.anonymousId,
      payload: payload.slice(0, 2048),
    };
  }

  type Pending = {
    workspaceId: string;
    /** The valid events as their ingest-log entry (encoded before the group's transaction), if any. */
    accepted: string | null;
    count: number;
    rejected: RejectedEventRow[];
    /** Rejected events counted but not kept (sampling). */
    dropped: number;
    receivedAt: string;
    done: (err: unknown) => void;
  };

  /**
   * Accepts the batches of one group in one transaction (all commit or none does): rejected
   * events are logged, valid ones are appended to the ingest log, one entry per request. The
   * answer goes out after this commit; `ingest.process` turns the entries into customers and
   * interactions just behind it.
   */
  async function storeGroup(group: Pending[]) {
    await transactions.run(async (tx) => {
      for (const workspaceId of new Set(group.map((p) => p.workspaceId))) {
        const mine = group.filter((p) => p.workspaceId === workspaceId);
        await deps.logs.append(
          tx,
          'ingest_log',
          mine.flatMap((p) => (p.accepted === null ? [] : [{ workspaceId, type: ENTRY_TYPE, json: p.accepted }])),
        );
        const rejectedRows = mine.flatMap((p) => p.rejected);
        await store.insertRejected(tx, rejectedRows);
        const dropped = mine.reduce((n, p) => n + p.dropped, 0);
        if (rejectedRows.length > 0 || dropped > 0)
          await store.countRejected(
            tx,
            workspaceId,
            (rejectedRows[0]?.received_at ?? mine[0]?.receivedAt ?? clock.nowIso()).slice(0, 10),
            rejectedRows.length,
            dropped,
          );
      }
    });
    deps.logs.poke();
  }

  async function storeWithRetry(group: Pending[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await storeGroup(group);
      } catch (err) {
        if (attempt >= 4 || !isRetryable(err)) throw err;
      }
    }
  }

  // Group commit: batches that arrive while a transaction is running are stored together in
  // the next one (each still answered only after its commit). One group per workspace at a
  // time, so a workspace's batches never wait on each other's row locks; SQLite has one writer
  // anyway, PostgreSQL runs groups of different workspaces in parallel. A failing group is
  // retried batch by batch.
  const queue: Pending[] = [];
  const busy = new Set<string>();
  const maxInFlight = deps.engine === 'sqlite' ? 1 : 4;
  const MAX_GROUP_EVENTS = 2500;
  let scheduled = false;

  // Deferred by one turn of the event loop, so requests already received join the next group.
  function pump() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      startGroups();
    });
  }

  function startGroups() {
    for (;;) {
      if (busy.size >= maxInFlight) return;
      const first = queue.find((p) => !busy.has(p.workspaceId));
      if (!first) return;
      const workspaceId = first.workspaceId;
      const group: Pending[] = [];
      let size = 0;
      for (let i = 0; i < queue.length;) {
        const p = queue[i] as Pending;
        if (p.workspaceId === workspaceId && (group.length === 0 || size + p.count <= MAX_GROUP_EVENTS)) {
          group.push(p);
          size += p.count;
          queue.splice(i, 1);
        } else i++;
      }
      busy.add(workspaceId);
      void runGroup(group).finally(() => {
        busy.delete(workspaceId);
        pump();
      });
    }
  }

  async function runGroup(group: Pending[]) {
    try {
      await storeWithRetry(group);
      for (const p of group) p.done(null);
    } catch (err) {
      if (group.length === 1) {
        group[0]?.done(err);
        return;
      }
      for (const p of group) {
        try {
          await storeWithRetry([p]);
          p.done(null);
        } catch (e) {
          p.done(e);
        }
      }
    }
  }

  function submit(p: Omit<Pending, 'done'>): Promise<void> {
    return new Promise((resolve, reject) => {
      queue.push({ ...p, done: (err) => (err ? reject(err) : resolve()) });
      pump();
    });
  }

  // Accepting goes first on SQLite's one connection: a processor transaction starts only while no
  // ingest request is in flight (from its headers to its answer) and none was answered in the
  // last QUIET_MS (a client's next batch is usually on its way by then). Under steady load it
  // waits at most ACCEPT_SHARE times as long as its previous step ran (capped at MAX_YIELD_MS),
  // so processing keeps at least a quarter of the connection: a burst is accepted at the speed of
  // the ingest log and processed just behind, and a steady stream never starves the processor.
  // Requests older than STALE_MS (an answer the hooks missed) no longer count. Wall time, not the
  // injectable clock: this is scheduling, not business time.
  const inFlight = new Map<string, number>();
  let lastAnsweredAt = 0;
  let processorResumedAt = performance.now();
  const QUIET_MS = 3;
  const MAX_YIELD_MS = 1000;
  const ACCEPT_SHARE = 3;
  const STALE_MS = 30_000;
  function isAccepting(now: number): boolean {
    if (queue.length > 0 || busy.size > 0 || now - lastAnsweredAt < QUIET_MS) return true;
    for (const [id, at] of inFlight) {
      if (now - at < STALE_MS) return true;
      inFlight.delete(id);
    }
    return false;
  }
  async function acceptFirst() {
    const since = performance.now();
    const bound = Math.min(MAX_YIELD_MS, ACCEPT_SHARE * (since - processorResumedAt));
    for (;;) {
      const now = performance.now();
      if (!isAccepting(now) || now - since >= bound) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    processorResumedAt = performance.now();
  }

  defineIngestProcessor({
    logs: deps.logs,
    store,
    log: deps.log,
    organizations: deps.organizations,
    identity: deps.identity,
    touchpoints: deps.touchpoints,
    journey: deps.journey,
    // Entries are whole requests (up to 2,500 events each).
    batch: 8,
    ...(deps.engine === 'sqlite' ? { yieldTo: acceptFirst } : {}),
  });

  return {
    /** An ingest request has arrived (its body may still be on its way): see acceptFirst. */
    requestStarted(requestId: string) {
      inFlight.set(requestId, performance.now());
    },
    /** An ingest request was answered (or abandoned). */
    requestEnded(requestId: string) {
      if (inFlight.delete(requestId)) lastAnsweredAt = performance.now();
    },
    /** GDPR erasure: rejected events of the customers' user and anonymous ids. */
    eraseForCustomers: (tx: Tx, workspaceId: string, ids: { userIds: string[]; anonymousIds: string[] }) => store.eraseForCustomers(tx, { workspaceId, ...ids }),
    async ingest(principal: IngestPrincipal, input: IngestInput): Promise<IngestResult> {
      const { workspaceId } = principal;
      if (input.events.length > MAX_BATCH_EVENTS)
        throw tooLarge(`A batch carries at most ${MAX_BATCH_EVENTS} events (this one has ${input.events.length})`, [
          { path: 'body.batch', message: `at most ${MAX_BATCH_EVENTS} events` },
        ]);
      const wait = deps.rate.take(workspaceId, Math.max(1, input.events.length));
      if (wait > 0) throw rateLimited(`This workspace sends events faster than its ingest rate; retry in ${wait} s`, wait);
      const receivedAtMs = clock.nowMs();
      const receivedAt = new Date(receivedAtMs).toISOString();
      // Every event's stored size is checked, whatever the body's declared or compressed length.
      const ctx = { receivedAtMs, sentAt: input.sentAt, ip: input.ip, batchContext: input.batchContext, checkSize: true };
      const valid: ParsedEvent[] = [];
      const rejections: Rejection[] = [];
      const rejected: RejectedEventRow[] = [];
      let rejectedCount = 0;
      input.events.forEach((given, i) => {
        const raw = withoutCredentials(given);
        const p = parseEvent(raw, i, input.fixedType, ctx);
        if (isInvalid(p)) {
          rejectedCount++;
          if (rejections.length < MAX_REJECTIONS_IN_RESPONSE) rejections.push({ index: i, messageId: p.messageId, reason: p.reason });
          rejected.push(rejectedRow(workspaceId, p, raw, receivedAt));
        } else valid.push(principal.kind === 'client' ? asClientEvent(p, principal, userHashOf(raw, input.batchContext)) : p);
      });
      const kept = rejected.length > 0 ? sampleRejected(workspaceId, rejected.length) : 0;
      const dropped = rejected.length - kept;
      rejected.length = kept;
      if (input.fixedType && rejectedCount > 0) {
        await transactions.run(async (tx) => {
          await store.insertRejected(tx, rejected);
          await store.countRejected(tx, workspaceId, receivedAt.slice(0, 10), rejected.length, dropped);
        });
        throw invalid(`The event was rejected: ${rejections[0]?.reason ?? 'invalid'}`, [{ path: 'body', message: rejections[0]?.reason ?? 'invalid' }]);
      }
      const accepted = valid.length > 0 ? encodeAccepted(receivedAt, valid) : null;
      if (valid.length > 0 || rejectedCount > 0) await submit({ workspaceId, accepted, count: valid.length, rejected, dropped, receivedAt });
      return { success: true, rejected: rejections, rejectedCount };
    },

    async rejectedSummary(auth: AuthContext, days: number) {
      requirePermission(auth, 'ingest.manage');
      const since = new Date(clock.nowMs() - days * 86_400_000).toISOString().slice(0, 10);
      const rows = await store.rejectedCounts(auth.workspaceId, since);
      return { data: rows.map((r) => ({ day: r.day, kept: Number(r.kept), dropped: Number(r.dropped) })) };
    },

    async listRejected(auth: AuthContext, q: { limit: number; cursor?: string | undefined }): Promise<Page<RejectedEvent>> {
      requirePermission(auth, 'ingest.manage');
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listRejected(auth.workspaceId, { before: after ? String(after[0]) : null, limit: q.limit });
      return toPage(rows, q.limit, (r) => [r.id], toRejectedEvent);
    },

  };
}
export type IngestService = ReturnType<typeof createIngestService>;
