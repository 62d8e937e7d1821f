// The API channel: an outside system (a shop, a game, a partner's desk) writes conversations and
// messages under its own ids — idempotent by the message's externalId — and hears agents' replies
// through the message.created webhook (the sender marks them sent: the webhook is the delivery).
import { ZApiChannelMessage, type ApiChannelMessage, type ApiChannelResult } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../../platform/access.js';
import { conflict, invalid, notFound } from '../../../platform/errors.js';
import type { InboundIdentity } from '../../conversations/channel-messages.service.js';
import type { ConversationsService } from '../../conversations/conversations.service.js';
import type { Inbound } from '../inbound.js';
import type { InboxesService } from '../inboxes.service.js';
import type { Sender } from '../outbound.js';
import { receiveOnce } from '../receive-once.js';

export function createApiChannel(deps: { inboxes: InboxesService; inbound: Inbound; conversations: Pick<ConversationsService, 'get' | 'getMessage'> }) {
  const { inboxes, inbound, conversations } = deps;

  const sender: Sender = async () => ({ status: 'sent' });

  return {
    sender,

    /** Writes one message (and its customer and conversation when new); a repeat of its externalId returns the first. */
    async postMessage(auth: AuthContext, inboxId: string, input: ApiChannelMessage): Promise<ApiChannelResult> {
      requirePermission(auth, 'conversations.write');
      requirePermission(auth, 'customers.write');
      const inbox = await inboxes.recordOf(auth.workspaceId, inboxId);
      if (!inbox || inbox.channel !== 'api') throw notFound('API inbox');
      if (!inbox.enabled) throw conflict(`The inbox ${inbox.name} is disabled`);
      const parsed = ZApiChannelMessage.safeParse(input);
      if (!parsed.success)
        throw invalid(
          'Invalid message',
          parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        );
      const m = parsed.data;
      const c = m.customer;
      const identity: InboundIdentity | undefined = c.userId
        ? { kind: 'user_id', value: c.userId }
        : c.externalId
          ? { kind: 'external_id', value: c.externalId }
          : undefined;
      const result = await receiveOnce(inbound, {
        inbox,
        contact: {
          ...(c.id ? { customerId: c.id } : {}),
          ...(identity ? { identity } : {}),
          ...(c.email ? { email: c.email } : {}),
          ...(c.phone ? { phone: c.phone } : {}),
          ...(c.name ? { name: c.name } : {}),
        },
        message: { body: m.body, subject: m.subject ?? null, externalId: m.externalId },
        thread: { externalId: m.conversationExternalId },
        authorType: m.author,
      });
      const conversation = await conversations.get(auth, result.conversationId);
      // The same externalId sent to another API inbox of the workspace is another system's message.
      if (result.duplicate && conversation.inboxId !== inbox.id) throw conflict(`The externalId ${m.externalId} names a message of another inbox`);
      return { created: !result.duplicate, conversation, message: await conversations.getMessage(auth, result.messageId) };
    },
  };
}
export type ApiChannel = ReturnType<typeof createApiChannel>;
