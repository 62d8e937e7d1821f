// The identities table as other modules reach it: the customers module links and unlinks the
// email and phone an agent edits, the customer 360 lists them, GDPR erasure forgets them and a
// customer merge moves them. Resolution (which customer an event belongs to) is identity.service.
import type { Tx } from '../../platform/db/database.js';
import type { Executor } from '../../platform/db/transactions.js';
import type { IdentityStore } from './identity.store.js';

export function createIdentitiesService(deps: { store: IdentityStore }) {
  const { store } = deps;
  return {
    /** The customer owning an identity, if any. */
    ownerOf: async (ex: Executor, workspaceId: string, kind: string, value: string) => (await store.find(ex, workspaceId, kind, value))?.customer_id ?? null,
    /** Links an identity to a customer unless someone owns it already. */
    link: (ex: Executor, workspaceId: string, customerId: string, kind: string, value: string, now: string) =>
      store.link(ex, { workspace_id: workspaceId, kind, value, customer_id: customerId, created_at: now }),
    unlink: (ex: Executor, workspaceId: string, kind: string, value: string) => store.unlinkValue(ex, workspaceId, kind, value),
    listOf: (ex: Executor, workspaceId: string, customerId: string) => store.listOf(ex, workspaceId, customerId),
    /** The identities of customers, e.g. to find their events elsewhere before erasing them. */
    valuesOf: (ex: Tx, workspaceId: string, customerIds: string[]) => store.valuesOf(ex, workspaceId, customerIds),
    eraseByCustomers: (tx: Tx, workspaceId: string, customerIds: string[]) => store.eraseByCustomers(tx, workspaceId, customerIds),
    /** This table's part of a customer merge. */
    reassign: store.reassign,
  };
}
export type IdentitiesService = ReturnType<typeof createIdentitiesService>;
