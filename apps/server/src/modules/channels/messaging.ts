// The messaging channels on top of the channels core: SMS (Twilio), WhatsApp and Messenger (Meta)
// and the API channel — their senders registered with outbound delivery, their routes with the app.
import type { InboxChannel } from '@rapport/contracts';
import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/db/transactions.js';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { IdentitiesService } from '../identity/identities.service.js';
import { createApiChannel } from './api/api-channel.service.js';
import { registerApiChannelRoutes } from './api/api-channel.routes.js';
import type { Channels } from './channels.js';
import { createMeta, PSID_KIND } from './meta/meta.service.js';
import { registerMetaRoutes } from './meta/meta.routes.js';
import type { Sender } from './outbound.js';
import { createTwilio } from './sms/twilio.service.js';
import { registerTwilioRoutes } from './sms/twilio.routes.js';

export const DEFAULT_TWILIO_API_URL = 'https://api.twilio.com';
export const DEFAULT_META_GRAPH_URL = 'https://graph.facebook.com/v21.0';

export async function installMessagingChannels(
  app: FastifyZodInstance,
  deps: {
    channels: Channels;
    conversations: ConversationsService;
    identities: IdentitiesService;
    autocommit: Executor;
    clock: Clock;
    /** Where Twilio and Meta reach this server (status callbacks); null: the default, http://localhost:3000. */
    publicUrl: string | null;
    twilioApiUrl?: string | undefined;
    metaGraphUrl?: string | undefined;
    /** Senders to use instead of the built-in ones (tests). */
    senders?: Partial<Record<InboxChannel, Sender>> | undefined;
  },
) {
  const { inboxes, inbound, outbound } = deps.channels;
  const twilio = createTwilio({
    inboxes,
    inbound,
    outbound,
    apiUrl: deps.twilioApiUrl ?? DEFAULT_TWILIO_API_URL,
    publicUrl: deps.publicUrl ?? 'http://localhost:3000',
  });
  const meta = createMeta({
    inboxes,
    inbound,
    outbound,
    clock: deps.clock,
    graphUrl: deps.metaGraphUrl ?? DEFAULT_META_GRAPH_URL,
    psidOf: async (workspaceId, customerId, pageId) => {
      const prefix = `${pageId}:`;
      const found = (await deps.identities.listOf(deps.autocommit, workspaceId, customerId)).find((i) => i.kind === PSID_KIND && i.value.startsWith(prefix));
      return found ? found.value.slice(prefix.length) : null;
    },
  });
  const api = createApiChannel({ inboxes, inbound, conversations: deps.conversations });
  const builtIn: Array<[InboxChannel, Sender]> = [
    ['sms', twilio.sender],
    ['whatsapp', meta.whatsAppSender],
    ['messenger', meta.messengerSender],
    ['api', api.sender],
  ];
  for (const [channel, sender] of builtIn) outbound.registerSender(channel, deps.senders?.[channel] ?? sender);
  await registerTwilioRoutes(app, { twilio, publicUrl: deps.publicUrl });
  await registerMetaRoutes(app, { meta });
  registerApiChannelRoutes(app, { api });
  return { twilio, meta, api };
}
