// The desk's side of the channels (issue 11): a message that arrived from outside, threaded into
// the right conversation of the right customer in one transaction; what an outbound sender needs
// to deliver an agent's reply; and the reply's delivery state as it changes.
import type { AuthContext } from '../../platform/access.js';
import type { Tx } from '../../platform/db/database.js';
import type { ConversationRow, MessageAttachmentRow, MessageRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { ConversationsCore } from './conversations.core.js';
import type { ConversationsDeps } from './conversations.deps.js';
import { newConversationRow, openedInteraction } from './conversation-rows.js';
import { toMessage } from './messages.mappers.js';

/** external_id: an API-channel system's customer id; messenger_psid: `<pageId>:<page-scoped id>`. */
export type InboundIdentity = { kind: 'email' | 'phone' | 'user_id' | 'anonymous_id' | 'external_id' | 'messenger_psid'; value: string };

/** Where an inbound message lands: the inbox's columns the desk needs. */
export type InboundTarget = { workspaceId: string; inboxId: string; channel: string; teamId: string | null };

export type InboundMessage = {
  target: InboundTarget;
  contact: { customerId?: string; identity?: InboundIdentity; email?: string; phone?: string; name?: string };
  message: {
    body: string;
    html?: string | null;
    subject?: string | null;
    externalId?: string | null;
    /** Stored already (files written before the transaction): the rows to insert. */
    attachments?: Array<{ filename: string; contentType: string; size: number; storageKey: string }>;
  };
  thread?: {
    conversationId?: string;
    externalId?: string;
    referencedExternalIds?: string[];
    number?: number;
    continueLatest?: boolean;
    /** Only into a conversation that threads: nothing is written (NOT_FOUND) when none does (an auto-reply never opens one). */
    onlyExisting?: boolean;
  };
  authorType?: 'customer' | 'bot' | 'system';
};

export type InboundResult = {
  conversationId: string;
  conversationNumber: number;
  messageId: string;
  customerId: string;
  createdConversation: boolean;
  duplicate: boolean;
};

export type DeliveryState = { status: 'queued' | 'sent' | 'delivered' | 'failed'; error?: string | null; attempts?: number; externalId?: string | null };

const DELIVERY_RANK = { queued: 0, sent: 1, delivered: 2, failed: 3 } as const;

export function createChannelMessages(deps: ConversationsDeps & { core: ConversationsCore }) {
  const { store, clock, customers, workspaces, interactions, events, transactions, core, jobs } = deps;
  const { autocommit } = transactions;

  /** A conversation that can take a new message: merged ones lead to their survivor; closed ones cannot. */
  async function live(tx: Tx, workspaceId: string, row: ConversationRow | undefined): Promise<ConversationRow | null> {
    for (let hops = 0; row?.merged_into_id && hops < 10; hops++) row = await store.get(tx, workspaceId, row.merged_into_id);
    if (!row || row.merged_into_id || row.status === 'closed') return null;
    return row;
  }

  async function findThread(tx: Tx, input: InboundMessage, customerId: string): Promise<ConversationRow | null> {
    const { workspaceId, inboxId } = input.target;
    const t = input.thread ?? {};
    if (t.conversationId) {
      const row = await store.get(tx, workspaceId, t.conversationId);
      if (row && row.customer_id === customerId) return live(tx, workspaceId, row);
    }
    if (t.externalId) {
      // The external id names one conversation for good (it is unique in the inbox): once closed,
      // it takes no more messages rather than opening a second conversation under the same id.
      const row = await store.byExternalId(tx, workspaceId, inboxId, t.externalId);
      const target = await live(tx, workspaceId, row);
      if (row && !target) throw conflict(`The conversation ${t.externalId} is closed: send the next message under a new conversation id`);
      return target;
    }
    if (t.referencedExternalIds && t.referencedExternalIds.length > 0) {
      const found = await store.messagesByExternalIds(tx, workspaceId, t.referencedExternalIds);
      // The newest reference that is ours: In-Reply-To comes first in the caller's list.
      for (const ref of t.referencedExternalIds) {
        const m = found.find((f) => f.external_id === ref);
        if (!m) continue;
        const row = await live(tx, workspaceId, await store.get(tx, workspaceId, m.conversation_id));
        if (row) return row;
      }
    }
    if (t.number !== undefined) {
      // A subject tag is guessable: it threads only into the same customer's conversation.
      const row = await store.byNumber(tx, workspaceId, t.number);
      const target = await live(tx, workspaceId, row);
      if (target && target.customer_id === customerId) return target;
    }
    if (t.continueLatest) return live(tx, workspaceId, await store.latestInInbox(tx, workspaceId, inboxId, customerId));
    return null;
  }

  async function openConversation(tx: Tx, input: InboundMessage, customerId: string): Promise<ConversationRow> {
    const { workspaceId } = input.target;
    const now = clock.nowIso();
    const conv = newConversationRow(
      {
        workspace_id: workspaceId,
        number: await workspaces.nextConversationNumber(tx, workspaceId),
        customer_id: customerId,
        channel: input.target.channel,
        subject: input.message.subject?.slice(0, 500) || null,
        category: 'inquiry',
        status: 'open',
        priority: 'normal',
        team_id: input.target.teamId,
        origin: 'reactive',
        inbox_id: input.target.inboxId,
        external_id: input.thread?.externalId ?? null,
      },
      now,
    );
    const opened = openedInteraction(conv, 'customer');
    await store.insertCreated(tx, conv, [], null);
    await core.recordChange(tx, null, conv);
    await interactions.append(tx, [opened]);
    await core.enqueueAutoAssign(tx, conv, 'created');
    return conv;
  }

  async function resolveCustomer(tx: Tx, input: InboundMessage): Promise<string> {
    const { workspaceId } = input.target;
    const c = input.contact;
    if (c.customerId) {
      const row = await customers.resolve(tx, workspaceId, c.customerId);
      if (!row) throw notFound('Customer');
      return row.id;
    }
    const identity: InboundIdentity | undefined =
      c.identity ?? (c.email ? { kind: 'email', value: c.email.toLowerCase() } : c.phone ? { kind: 'phone', value: c.phone } : undefined);
    if (!identity) throw new Error('an inbound message needs a customer id or an identity');
    const row = await customers.findOrCreateByIdentity(tx, workspaceId, identity, { name: c.name, email: c.email?.toLowerCase(), phone: c.phone });
    return row.id;
  }

  return {
    /** Writes an inbound message (and its customer and conversation when new), once per provider id. */
    async receive(input: InboundMessage): Promise<InboundResult> {
      const { workspaceId, channel } = input.target;
      const externalId = input.message.externalId ?? null;
      // Unlike create, the number is taken inside the transaction, and only when a conversation
      // opens: most inbound messages thread into one, and each would otherwise spend a number.
      const result = await transactions.run(
        async (tx): Promise<InboundResult & { row: ConversationRow; before: ConversationRow | null; msg: MessageRow | null }> => {
          if (externalId) {
            const seen = await store.messageByChannelExternalId(tx, workspaceId, channel, externalId);
            if (seen) {
              const row = (await store.get(tx, workspaceId, seen.conversation_id)) as ConversationRow;
              return {
                conversationId: row.id,
                conversationNumber: Number(row.number),
                messageId: seen.id,
                customerId: row.customer_id,
                createdConversation: false,
                duplicate: true,
                row,
                before: row,
                msg: null,
              };
            }
          }
          const customerId = await resolveCustomer(tx, input);
          const found = await findThread(tx, input, customerId);
          if (!found && input.thread?.onlyExisting) throw notFound('Conversation');
          const conv = found ?? (await openConversation(tx, input, customerId));
          const { msg, row } = await core.insertMessage(tx, conv, {
            body: input.message.body,
            kind: 'reply',
            authorType: input.authorType ?? 'customer',
            authorId: (input.authorType ?? 'customer') === 'customer' ? conv.customer_id : null,
            html: input.message.html ?? null,
            externalId,
          });
          const now = clock.nowIso();
          const files: MessageAttachmentRow[] = (input.message.attachments ?? []).map((a) => ({
            workspace_id: workspaceId,
            id: newId('attachment'),
            message_id: msg.id,
            conversation_id: row.id,
            filename: a.filename,
            content_type: a.contentType,
            size: a.size,
            storage_key: a.storageKey,
            created_at: now,
          }));
          await store.insertAttachments(tx, files);
          return {
            conversationId: row.id,
            conversationNumber: Number(row.number),
            messageId: msg.id,
            customerId: row.customer_id,
            createdConversation: !found,
            duplicate: false,
            row,
            before: found,
            msg,
          };
        },
      );
      const { row, before, msg, ...out } = result;
      if (!out.duplicate && msg) {
        jobs.poke();
        if (out.createdConversation) core.announce('conversation.created', row, await core.toConversation(row));
        core.announce('message.created', row, toMessage(msg));
        if (before && before.status !== row.status) core.announce('conversation.updated', row, { id: row.id, status: row.status });
      }
      return out;
    },

    /** What a sender needs to deliver an agent's reply; null when it is no longer there. */
    async deliveryContext(workspaceId: string, messageId: string) {
      const message = await store.getMessage(workspaceId, messageId);
      if (!message) return null;
      const conversation = await store.get(autocommit, workspaceId, message.conversation_id);
      if (!conversation) return null;
      const customer = await customers.getRow(autocommit, workspaceId, conversation.customer_id);
      if (!customer) return null;
      const names = await workspaces.memberNames(workspaceId);
      const references = await store.externalIdsOf(workspaceId, conversation.id, message.id);
      const inReplyTo = await store.lastCustomerExternalId(workspaceId, conversation.id, message.id);
      const attachments = await store.attachmentsOf(workspaceId, [message.id]);
      return {
        conversation: {
          id: conversation.id,
          number: Number(conversation.number),
          subject: conversation.subject,
          externalId: conversation.external_id ?? null,
          inboxId: conversation.inbox_id ?? null,
          channel: conversation.channel,
        },
        customer: { id: customer.id, name: customer.name, email: customer.email, phone: customer.phone },
        message: {
          id: message.id,
          body: message.body,
          html: message.html ?? null,
          createdAt: message.created_at,
          authorName: names.get(message.author_id ?? '') ?? null,
          status: message.delivery_status ?? null,
          attempts: Number(message.delivery_attempts ?? 0),
        },
        references,
        inReplyTo,
        attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.content_type, path: deps.files.pathOf(a.storage_key) })),
      };
    },

    /**
     * Records a delivery state: forward only (a late "sent" never undoes "delivered"), except that
     * a retry may report attempts while queued. Emits message.delivery_updated for the live UI and webhooks.
     */
    async setDelivery(workspaceId: string, ref: { messageId: string } | { channel: string; externalId: string }, state: DeliveryState): Promise<boolean> {
      return transactions.run(async (tx) => {
        const msg =
          'messageId' in ref
            ? await store.messageById(tx, workspaceId, ref.messageId)
            : await store.messageByChannelExternalId(tx, workspaceId, ref.channel, ref.externalId);
        if (!msg || !msg.delivery_status) return false;
        const from = msg.delivery_status as DeliveryState['status'];
        if (from === 'failed' && state.status !== 'failed' && !('messageId' in ref)) return false;
        if (DELIVERY_RANK[state.status] < DELIVERY_RANK[from] && from !== 'failed') return false;
        const now = clock.nowIso();
        const patch: Partial<MessageRow> = {
          delivery_status: state.status,
          delivery_error: state.error ?? null,
          delivery_at: now,
          ...(state.attempts !== undefined ? { delivery_attempts: state.attempts } : {}),
          ...(state.externalId && !msg.external_id ? { external_id: state.externalId } : {}),
        };
        await store.setDelivery(tx, workspaceId, msg.id, patch);
        const conv = await store.get(tx, workspaceId, msg.conversation_id);
        await events.emit(tx, workspaceId, [
          {
            type: 'message.delivery_updated',
            data: {
              messageId: msg.id,
              conversationId: msg.conversation_id,
              status: state.status,
              error: state.error ?? null,
              attempts: Number(state.attempts ?? msg.delivery_attempts ?? 0),
            },
            scope: { conversation: { id: msg.conversation_id, teamId: conv?.team_id ?? null } },
          },
        ]);
        return true;
      });
    },

    /**
     * The chat widget's view of a customer's thread in one inbox: its latest conversation and the
     * replies on it (never notes), oldest first, from `after` on. No access check: the caller has
     * proved it is this customer (a widget visitor token).
     */
    async customerThread(workspaceId: string, inboxId: string, customerId: string, opts: { after: string | null; limit: number }) {
      const row = await store.latestInInbox(autocommit, workspaceId, inboxId, customerId);
      if (!row) return null;
      const rows = (await store.listMessages(workspaceId, row.id, { after: opts.after, limit: opts.limit, includeNotes: false })).slice(0, opts.limit);
      const names = rows.some((m) => m.author_type === 'agent') ? await workspaces.memberNames(workspaceId) : new Map<string, string>();
      return {
        conversationId: row.id,
        messages: rows.map((m) => ({
          id: m.id,
          body: m.body,
          createdAt: m.created_at,
          authorType: m.author_type as 'customer' | 'agent' | 'bot' | 'system',
          authorName: m.author_type === 'agent' ? (names.get(m.author_id ?? '') ?? null) : null,
          delivery: (m.delivery_status ?? null) as DeliveryState['status'] | null,
        })),
      };
    },

    lastCustomerMessageAt: (workspaceId: string, conversationId: string) => store.lastCustomerMessageAt(workspaceId, conversationId),

    /** What the workspace's attachments take on disk, in bytes (the inbound quota). */
    attachmentBytes: (workspaceId: string) => store.attachmentBytes(workspaceId),

    /** An attachment for an agent who can see its conversation (404 otherwise: ids do not leak). */
    async attachment(auth: AuthContext, id: string) {
      const row = await store.getAttachment(auth.workspaceId, id);
      if (!row) throw notFound('Attachment');
      await core.requireVisible(auth, row.conversation_id).catch(() => {
        throw notFound('Attachment');
      });
      return row;
    },
  };
}
export type ChannelMessages = ReturnType<typeof createChannelMessages>;
