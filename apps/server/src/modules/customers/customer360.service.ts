// Customer 360 and the timeline: one customer's identities, organizations, journey stage,
// activity counts and open conversations, and every interaction newest first. It owns no
// tables: each part comes from its owner's service.
import type { Customer360, Page, TimelineItem, TimelineQuery } from '@rapport/contracts';
import type { Transactions } from '../../platform/db/transactions.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { InteractionRow, TouchpointRow } from '../../platform/db/schema.js';
import type { ConversationCustomerLinks } from '../conversations/customer-links.service.js';
import type { IdentitiesService } from '../identity/identities.service.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import type { TouchpointsService } from '../touchpoints/touchpoints.service.js';
import type { OrganizationsService } from './organizations.service.js';
import { notFound } from '../../platform/errors.js';
import { parseJsonObject } from '../../platform/json.js';
import { toCustomer, type CustomersService } from './customers.service.js';
import type { JourneyService } from '../journeys/journey.service.js';

const toRef = (t: TouchpointRow) => ({
  id: t.id,
  key: t.key,
  name: t.name,
  channel: t.channel,
  stage: t.stage,
  department: t.department,
  critical: Boolean(Number(t.critical)),
});

export function createCustomer360Service(deps: {
  transactions: Transactions;
  customers: CustomersService;
  organizations: OrganizationsService;
  identities: IdentitiesService;
  interactions: InteractionsService;
  conversations: ConversationCustomerLinks;
  touchpoints: TouchpointsService;
  journey: JourneyService;
}) {
  const { customers, organizations, identities, interactions, conversations, touchpoints, journey } = deps;
  const { autocommit } = deps.transactions;

  async function customerRow(workspaceId: string, id: string) {
    const row = await customers.getRow(autocommit, workspaceId, id);
    if (!row) throw notFound('Customer');
    return row;
  }

  async function toItems(workspaceId: string, rows: InteractionRow[]): Promise<Map<string, TimelineItem>> {
    const tps = new Map(
      (await touchpoints.byIds(workspaceId, [...new Set(rows.map((r) => r.touchpoint_id).filter((x): x is string => x !== null))])).map((t) => [t.id, t]),
    );
    return new Map(
      rows.map((r) => {
        const tp = r.touchpoint_id ? tps.get(r.touchpoint_id) : undefined;
        return [
          r.id,
          {
            id: r.id,
            kind: r.kind,
            name: r.name,
            occurredAt: r.occurred_at,
            receivedAt: r.received_at,
            channel: r.channel,
            touchpoint: tp ? toRef(tp) : null,
            stage: r.stage,
            department: r.department,
            origin: r.origin,
            conversationId: r.conversation_id,
            sentiment: r.sentiment === null ? null : Number(r.sentiment),
            emotion: r.emotion,
            properties: parseJsonObject(r.properties),
          },
        ];
      }),
    );
  }

  async function profile(workspaceId: string, id: string): Promise<Customer360> {
    const row = await customerRow(workspaceId, id);
    const [ids, orgs, byStage, byChannel, seen, open, current, history] = await Promise.all([
      identities.listOf(autocommit, workspaceId, row.id),
      organizations.of(workspaceId, row.id),
      interactions.countsBy(workspaceId, row.id, 'stage'),
      interactions.countsBy(workspaceId, row.id, 'channel'),
      interactions.seen(workspaceId, row.id),
      conversations.openOf(workspaceId, row.id),
      journey.current(workspaceId, row.id),
      journey.history(workspaceId, row.id),
    ]);
    const counts = (rows: Array<Record<string, unknown>>, col: string) =>
      Object.fromEntries(rows.filter((r) => r[col] !== null).map((r) => [String(r[col]), Number(r.n)]));
    return {
      ...toCustomer(row),
      identities: ids.map((i) => ({ kind: i.kind, value: i.value, createdAt: i.created_at })),
      organizations: orgs,
      stage: current?.stage ?? null,
      stageHistory: history,
      firstSeenAt: seen?.first ?? null,
      lastSeenAt: seen?.last ?? null,
      counts: { interactions: Number(seen?.n ?? 0), byStage: counts(byStage, 'stage'), byChannel: counts(byChannel, 'channel') },
      openConversations: open,
    };
  }

  return {
    profile,
    toItems,
    async get(auth: AuthContext, id: string): Promise<Customer360> {
      requirePermission(auth, 'customers.read');
      return profile(auth.workspaceId, id);
    },

    async timeline(auth: AuthContext, id: string, q: TimelineQuery & { limit: number; cursor?: string | undefined }): Promise<Page<TimelineItem>> {
      requirePermission(auth, 'customers.read');
      const row = await customerRow(auth.workspaceId, id);
      const after = decodeCursor(q.cursor, 2);
      let touchpointId: string | undefined;
      if (q.touchpoint) {
        const tp = await touchpoints.byKey(auth.workspaceId, q.touchpoint);
        if (!tp) return { data: [], nextCursor: null };
        touchpointId = tp.id;
      }
      const rows = await interactions.timeline(
        auth.workspaceId,
        row.id,
        {
          kinds: q.kind,
          stage: q.stage,
          touchpointId,
          channel: q.channel,
          from: q.from ? new Date(q.from).toISOString() : undefined,
          to: q.to ? new Date(q.to).toISOString() : undefined,
        },
        { after: after ? [String(after[0]), String(after[1])] : null, limit: q.limit },
      );
      const items = await toItems(auth.workspaceId, rows);
      return toPage(
        rows,
        q.limit,
        (r) => [r.occurred_at, r.id],
        (r) => items.get(r.id) as TimelineItem,
      );
    },
  };
}
export type Customer360Service = ReturnType<typeof createCustomer360Service>;
