// What the interactions spine needs of conversations, built from the store before the spine (the
// desk's services come after it, since they write interactions through it): a customer's open
// conversations for the customer 360, and the conversations' part of a customer merge.
import type { ConversationsStore } from './conversations.store.js';

export function createConversationCustomerLinks(deps: { store: ConversationsStore }) {
  const { store } = deps;
  return {
    async openOf(workspaceId: string, customerId: string) {
      return (await store.openOf(workspaceId, customerId)).map((c) => ({
        id: c.id,
        number: Number(c.number),
        subject: c.subject,
        status: c.status,
        channel: c.channel,
        lastActivityAt: c.last_activity_at,
      }));
    },
    reassign: store.reassignCustomers,
  };
}
export type ConversationCustomerLinks = ReturnType<typeof createConversationCustomerLinks>;
