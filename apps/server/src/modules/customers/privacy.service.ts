// GDPR: export everything held about a customer, or erase it. Both are audit-logged (ids and
// counts only). After erasure the customer's identities are gone, so later events with the
// same ids start a new customer.
import type { CustomerExport } from '@rapport/contracts';
import type { Transactions } from '../../platform/db/transactions.js';
import { notFound, forbidden } from '../../platform/errors.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { CustomersService } from './customers.service.js';
import type { Customer360Service } from './customer360.service.js';
import type { IdentityService } from '../identity/identity.service.js';
import type { PrivacyStore } from './privacy.store.js';

export function createPrivacyService(deps: {
  transactions: Transactions;
  store: PrivacyStore;
  clock: Clock;
  audit: Audit;
  customers: CustomersService;
  customer360: Customer360Service;
  identity: IdentityService;
}) {
  const { store, clock, audit, customers, customer360, identity } = deps;
  const { autocommit } = deps.transactions;
  const transactions = deps.transactions;

  return {
    async export(auth: AuthContext, id: string): Promise<CustomerExport> {
      requirePermission(auth, 'customers.write');
      const row = await customers.getRow(autocommit, auth.workspaceId, id);
      if (!row) throw notFound('Customer');
      const merged = (await store.mergedInto(autocommit, auth.workspaceId, row.id)).map((r) => r.id);
      const ids = [row.id, ...merged];
      const [profile, interactionRows, conversations] = await Promise.all([
        customer360.profile(auth.workspaceId, row.id),
        store.interactions(auth.workspaceId, ids),
        store.conversations(autocommit, auth.workspaceId, ids),
      ]);
      const messages = await store.messages(
        auth.workspaceId,
        conversations.map((c) => c.id),
      );
      const items = await customer360.toItems(auth.workspaceId, interactionRows);
      await audit.record(autocommit, auth, {
        action: 'customer.exported',
        objectType: 'customer',
        objectId: row.id,
        data: { interactions: interactionRows.length, conversations: conversations.length },
      });
      return {
        exportedAt: clock.nowIso(),
        customer: profile,
        mergedCustomerIds: merged,
        interactions: interactionRows.map((r) => items.get(r.id)).filter((x) => x !== undefined),
        conversations: conversations.map((c) => ({
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
    },

    async erase(auth: AuthContext, id: string) {
      requirePermission(auth, 'customers.write');
      if (auth.role !== 'owner' && auth.role !== 'admin') throw forbidden('Only owners and admins may erase a customer');
      const result = await transactions.run(async (tx) => {
        const row = await customers.getRow(tx, auth.workspaceId, id);
        if (!row) throw notFound('Customer');
        const ids = [row.id, ...(await store.mergedInto(tx, auth.workspaceId, row.id)).map((r) => r.id)];
        const conversationIds = (await store.conversations(tx, auth.workspaceId, ids)).map((c) => c.id);
        const values = await store.identityValues(tx, auth.workspaceId, ids);
        const counts = await store.erase(tx, auth.workspaceId, ids, conversationIds, {
          userIds: values.filter((v) => v.kind === 'user_id').map((v) => v.value),
          anonymousIds: values.filter((v) => v.kind === 'anonymous_id').map((v) => v.value),
        });
        await audit.record(tx, auth, { action: 'customer.erased', objectType: 'customer', objectId: row.id, data: { customerIds: ids, counts } });
        return { id: row.id, deleted: true as const, counts };
      });
      identity.invalidate(auth.workspaceId);
      return result;
    },
  };
}
export type PrivacyService = ReturnType<typeof createPrivacyService>;
