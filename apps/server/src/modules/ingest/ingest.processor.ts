// The ingest processor, the consumer `ingest.process` of the ingest log: accepted requests become
// identities, customers, interactions, journeys and organizations just behind the answer. Also
// the entries' compact form, written by the accepting side (ingest.service.ts).
import type { Tx } from '../../platform/db/database.js';
import type { InteractionRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { LogEntry, Logs } from '../../platform/logs.js';
import type { OrganizationsService } from '../customers/organizations.service.js';
import type { IdentityKey } from '../identity/identity.types.js';
import type { IdentityService, Resolution } from '../identity/identity.service.js';
import type { InteractionsLog } from '../interactions/log.service.js';
import type { JourneyService } from '../journeys/journey.service.js';
import type { Classifier } from '../touchpoints/touchpoint-match.js';
import type { TouchpointsService } from '../touchpoints/touchpoints.service.js';
import type { IngestStore } from './ingest.store.js';
import type { EventType, ParsedEvent } from './ingest.validate.js';

/** What an accepted event keeps: everything the processor needs, properties as the JSON it stores. */
export type AcceptedEvent = Omit<ParsedEvent, 'properties'>;

/**
 * An entry of type `events` (one accepted request): `{"receivedAt":…,"events":[[…],…]}`, each event a
 * `Tuple` (no key repeated per event, no object rest on the hot path). Entries of type `batch`
 * (an object per event) were written before it and are still read.
 */
export const ENTRY_TYPE = 'events';

type Tuple = [
  index: number,
  type: EventType,
  messageId: string | null,
  sourceId: string,
  userId: string | null,
  anonymousId: string | null,
  kind: string,
  name: string,
  channel: string | null,
  path: string | null,
  occurredAt: string,
  propertiesJson: string,
  groupId: string | null,
  groupTraits: Record<string, unknown> | null,
  keys: IdentityKey[],
  either: IdentityKey[] | null,
  profile: ParsedEvent['profile'],
  trusted: boolean | null,
];

export function encodeAccepted(receivedAt: string, events: ParsedEvent[]): string {
  const tuples = events.map(
    (e): Tuple => [
      e.index,
      e.type,
      e.messageId,
      e.sourceId,
      e.userId,
      e.anonymousId,
      e.kind,
      e.name,
      e.channel,
      e.path,
      e.occurredAt,
      e.propertiesJson,
      e.groupId,
      e.groupTraits,
      e.keys,
      e.either ?? null,
      e.profile,
      e.trusted ?? null,
    ],
  );
  return JSON.stringify({ receivedAt, events: tuples });
}

// An accepted event as the spine reads it: properties are parsed only if a rule looks at them.
export function decodeAccepted(entry: Pick<LogEntry, 'type' | 'data'>): { receivedAt: string; events: ParsedEvent[] } {
  if (entry.type !== ENTRY_TYPE) {
    const old = JSON.parse(entry.data) as { receivedAt: string; events: AcceptedEvent[] };
    return { receivedAt: old.receivedAt, events: old.events.map((e) => ({ ...e, properties: parseJsonObject(e.propertiesJson) })) };
  }
  const stored = JSON.parse(entry.data) as { receivedAt: string; events: Tuple[] };
  return {
    receivedAt: stored.receivedAt,
    events: stored.events.map((t): ParsedEvent => {
      let properties: Record<string, unknown> | null = null;
      return {
        index: t[0],
        type: t[1],
        messageId: t[2],
        sourceId: t[3],
        userId: t[4],
        anonymousId: t[5],
        kind: t[6],
        name: t[7],
        channel: t[8],
        path: t[9],
        occurredAt: t[10],
        propertiesJson: t[11],
        get properties() {
          return (properties ??= parseJsonObject(t[11]));
        },
        groupId: t[12],
        groupTraits: t[13],
        keys: t[14],
        either: t[15] ?? undefined,
        profile: t[16],
        ...(t[17] === null ? {} : { trusted: t[17] }),
      };
    }),
  };
}

export function defineIngestProcessor(deps: {
  logs: Logs;
  store: IngestStore;
  log: InteractionsLog;
  organizations: OrganizationsService;
  identity: IdentityService;
  touchpoints: TouchpointsService;
  journey: JourneyService;
  /** Entries per transaction. */
  batch: number;
  /** Awaited before each background transaction (accepting goes first on SQLite). */
  yieldTo?: () => Promise<void>;
}) {
  const { store, identity, touchpoints, journey } = deps;

  /** One workspace's accepted events, in order: identities, customers, interactions, journeys, organizations. */
  async function processEvents(tx: Tx, workspaceId: string, valid: Array<{ e: ParsedEvent; receivedAt: string }>, classifier: Classifier): Promise<Resolution> {
    const resolution = await identity.resolve(
      tx,
      workspaceId,
      valid.map(({ e }) => ({ keys: e.keys, either: e.either, profile: e.profile, trusted: e.trusted !== false })),
      'ingest',
    );
    const seen = new Set<string>();
    const rows: InteractionRow[] = [];
    const groups: Array<{ groupId: string; traits: Record<string, unknown>; customerId: string; trusted: boolean }> = [];
    valid.forEach(({ e, receivedAt }, i) => {
      const customerId = resolution.customerIds[i] as string;
      if (e.groupId) groups.push({ groupId: e.groupId, traits: e.groupTraits ?? {}, customerId, trusted: e.trusted !== false });
      if (seen.has(e.sourceId)) return;
      seen.add(e.sourceId);
      const c = e.kind === 'event' || e.kind === 'page' || e.kind === 'screen' ? classifier.classify(e) : null;
      rows.push({
        workspace_id: workspaceId,
        id: newId('interaction'),
        customer_id: customerId,
        occurred_at: e.occurredAt,
        received_at: receivedAt,
        kind: e.kind,
        name: e.name,
        channel: c ? c.channel : e.channel,
        touchpoint_id: c?.touchpointId ?? null,
        stage: c?.stage ?? null,
        department: c?.department ?? null,
        origin: 'customer',
        conversation_id: null,
        sentiment: null,
        emotion: null,
        source_id: e.sourceId,
        properties: e.propertiesJson,
      });
    });
    const stored = await deps.log.insertMany(tx, rows);
    const fresh = rows.filter((r) => stored.has(r.source_id));
    await journey.track(
      tx,
      workspaceId,
      classifier.stages,
      fresh.map((r) => ({ customerId: r.customer_id, stage: r.stage, occurredAt: r.occurred_at, sourceId: r.source_id, kind: r.kind })),
    );
    await deps.organizations.upsertFromGroups(tx, workspaceId, groups);
    return resolution;
  }

  // Batches of ingest-log entries, grouped by workspace in log order (a workspace's entries share
  // a partition, so its events keep their order). Identity caches learn after commit; a failed
  // batch forgets what they learned and is retried by the log.
  deps.logs.define({
    name: 'ingest.process',
    log: 'ingest_log',
    batch: deps.batch,
    ...(deps.yieldTo ? { yieldTo: deps.yieldTo } : {}),
    async handle(tx, entries) {
      const byWorkspace = new Map<string, Array<{ e: ParsedEvent; receivedAt: string }>>();
      for (const entry of entries) {
        const accepted = decodeAccepted(entry);
        const list = byWorkspace.get(entry.workspace_id) ?? [];
        for (const e of accepted.events) list.push({ e, receivedAt: accepted.receivedAt });
        byWorkspace.set(entry.workspace_id, list);
      }
      const settled: Array<[string, Resolution]> = [];
      try {
        for (const [workspaceId, valid] of byWorkspace) {
          const classifier = await touchpoints.classifierFor(tx, workspaceId);
          settled.push([workspaceId, await processEvents(tx, workspaceId, valid, classifier)]);
        }
      } catch (err) {
        for (const w of byWorkspace.keys()) identity.invalidate(w);
        throw err;
      }
      return () => {
        for (const [workspaceId, r] of settled) identity.settle(workspaceId, r);
      };
    },
    // An accepted request whose processing keeps failing is kept as rejected events (visible in
    // GET /rejected-events with the reason), never silently dropped.
    async poison(tx, entry, reason) {
      const accepted = decodeAccepted(entry);
      await store.insertRejected(
        tx,
        accepted.events.map((e) => ({
          workspace_id: entry.workspace_id,
          id: newId('rejected'),
          received_at: accepted.receivedAt,
          message_id: e.messageId,
          type: e.type,
          reason: `processing failed: ${reason}`.slice(0, 500),
          user_id: e.userId,
          anonymous_id: e.anonymousId,
          payload: JSON.stringify({ type: e.type, event: e.name, userId: e.userId, anonymousId: e.anonymousId, messageId: e.messageId }).slice(0, 2048),
        })),
      );
    },
  });
}
