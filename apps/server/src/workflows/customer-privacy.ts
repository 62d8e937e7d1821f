// GDPR export and erasure of one customer (and the customers merged into it): a workflow across
// modules. Each module reads and erases its own tables through its service; erasure runs in one
// transaction. Both are audit-logged (ids and counts only). After erasure the customer's
// identities are gone, so later events with the same ids start a new customer.
import type { Feelings } from '../modules/feelings/feelings.js';
import type { SlaService } from '../modules/sla/sla.service.js';
import type { CustomerExport } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../platform/access.js';
import type { Audit } from '../platform/audit.js';
import type { Clock } from '../platform/clock.js';
import type { Transactions } from '../platform/db/transactions.js';
import type { Logs } from '../platform/logs.js';
import { forbidden, notFound } from '../platform/errors.js';
import type { ConversationsService } from '../modules/conversations/conversations.service.js';
import type { Customer360Service } from '../modules/customers/customer360.service.js';
import type { CustomersService } from '../modules/customers/customers.service.js';
import type { IdentitiesService } from '../modules/identity/identities.service.js';
import type { IdentityService } from '../modules/identity/identity.service.js';
import type { IngestService } from '../modules/ingest/ingest.service.js';
import type { InteractionsService } from '../modules/interactions/interactions.service.js';
import type { JourneyService } from '../modules/journeys/journey.service.js';
import type { WebhooksService } from '../modules/webhooks/webhooks.service.js';
import type { WidgetService } from '../modules/widget/widget.service.js';

export function createCustomerPrivacyWorkflow(deps: {
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  customers: CustomersService;
  customer360: Customer360Service;
  conversations: ConversationsService;
  interactions: InteractionsService;
  identity: IdentityService;
  identities: IdentitiesService;
  ingest: IngestService;
  journey: JourneyService;
  /** The logs copy names, addresses and message bodies: erasure reaches them too. */
  logs: Pick<Logs, 'eraseMentions' | 'trim'>;
  /** Webhook deliveries keep the bodies they send: erasure reaches them too. */
  webhooks: Pick<WebhooksService, 'eraseMentions'>;
  widget: Pick<WidgetService, 'eraseForCustomers'>;
  feelings: Pick<Feelings, 'eraseByCustomers'>;
  sla: Pick<SlaService, 'eraseByCustomers'>;
}) {
  const {
    transactions,
    clock,
    audit,
    customers,
    customer360,
    conversations,
    interactions,
    identity,
    identities,
    ingest,
    journey,
    logs,
    webhooks,
    widget,
    feelings,
    sla,
  } = deps;
  const { autocommit } = transactions;

  async function exportCustomer(auth: AuthContext, id: string): Promise<CustomerExport> {
    requirePermission(auth, 'customers.write');
    const row = await customers.getRow(autocommit, auth.workspaceId, id);
    if (!row) throw notFound('Customer');
    const merged = await customers.mergedInto(autocommit, auth.workspaceId, row.id);
    const ids = [row.id, ...merged];
    const [profile, interactionRows, conversationRows] = await Promise.all([
      customer360.profile(auth.workspaceId, row.id),
      interactions.listByCustomers(auth.workspaceId, ids),
      conversations.listByCustomers(autocommit, auth.workspaceId, ids),
    ]);
    const messages = await conversations.messagesOf(
      auth.workspaceId,
      conversationRows.map((c) => c.id),
    );
    const items = await customer360.toItems(auth.workspaceId, interactionRows);
    await audit.record(autocommit, auth, {
      action: 'customer.exported',
      objectType: 'customer',
      objectId: row.id,
      data: { interactions: interactionRows.length, conversations: conversationRows.length },
    });
    return {
      exportedAt: clock.nowIso(),
      customer: profile,
      mergedCustomerIds: merged,
      interactions: interactionRows.map((r) => items.get(r.id)).filter((x) => x !== undefined),
      conversations: conversationRows.map((c) => ({
        id: c.id,
        number: Number(c.number),
        channel: c.channel,
        subject: c.subject,
        category: c.category,
        status: c.status,
        createdAt: c.created_at,
        messages: messages
          .filter((m) => m.conversation_id === c.id)
          .map((m) => ({ id: m.id, kind: m.kind, authorType: m.author_type, body: m.body, createdAt: m.created_at })),
      })),
    };
  }

  async function erase(auth: AuthContext, id: string) {
    requirePermission(auth, 'customers.write');
    if (auth.role !== 'owner' && auth.role !== 'admin') throw forbidden('Only owners and admins may erase a customer');
    const result = await transactions.run(async (tx) => {
      const row = await customers.getRow(tx, auth.workspaceId, id);
      if (!row) throw notFound('Customer');
      const ids = [row.id, ...(await customers.mergedInto(tx, auth.workspaceId, row.id))];
      const conversationIds = (await conversations.listByCustomers(tx, auth.workspaceId, ids)).map((c) => c.id);
      const values = await identities.valuesOf(tx, auth.workspaceId, ids);
      const counts: Record<string, number> = {};
      if (conversationIds.length > 0) Object.assign(counts, await conversations.eraseConversations(tx, auth.workspaceId, conversationIds));
      counts.interactions = await interactions.eraseByCustomers(tx, auth.workspaceId, ids);
      counts.identities = await identities.eraseByCustomers(tx, auth.workspaceId, ids);
      await journey.eraseByCustomers(tx, auth.workspaceId, ids);
      const userIds = values.filter((v) => v.kind === 'user_id').map((v) => v.value);
      const anonymousIds = values.filter((v) => v.kind === 'anonymous_id').map((v) => v.value);
      const rejectedEvents = await ingest.eraseForCustomers(tx, auth.workspaceId, { userIds, anonymousIds });
      if (userIds.length > 0 || anonymousIds.length > 0) counts.rejectedEvents = rejectedEvents;
      const visitors = await widget.eraseForCustomers(tx, auth.workspaceId, { customerIds: ids, anonymousIds, userIds });
      if (visitors > 0) counts.widgetVisitors = visitors;
      const phrases = await feelings.eraseByCustomers(tx, auth.workspaceId, ids);
      if (phrases > 0) counts.messagePhrases = phrases;
      await sla.eraseByCustomers(tx, auth.workspaceId, ids);
      counts.customers = await customers.eraseMany(tx, auth.workspaceId, ids);
      // Every domain event about the person or their conversations names one of these ids; the
      // customer.deleted notice (ids only) stays for whatever must learn of the erasure.
      await logs.eraseMentions(tx, auth.workspaceId, [...ids, ...conversationIds], ['customer.deleted']);
      const webhookDeliveries = await webhooks.eraseMentions(tx, auth.workspaceId, [...ids, ...conversationIds], ['customer.deleted']);
      if (webhookDeliveries > 0) counts.webhookDeliveries = webhookDeliveries;
      await customers.announceDeleted(tx, auth.workspaceId, row.id, ids.slice(1));
      await audit.record(tx, auth, { action: 'customer.erased', objectType: 'customer', objectId: row.id, data: { customerIds: ids, counts } });
      return { id: row.id, deleted: true as const, counts };
    });
    identity.invalidate(auth.workspaceId);
    // Raw accepted events already processed go now rather than at the next hourly sweep (events
    // still waiting to be processed are handled like events arriving after the erasure).
    await logs.trim();
    return result;
  }

  return { export: exportCustomer, erase };
}
export type CustomerPrivacyWorkflow = ReturnType<typeof createCustomerPrivacyWorkflow>;
