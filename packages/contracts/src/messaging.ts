// The messaging channels' public bodies: Twilio's form posts (SMS in, delivery status), Meta's
// webhook (WhatsApp Cloud API and Messenger) and the API channel, where an outside system writes
// conversations and messages under its own ids. See docs/channels.md.
import { z } from 'zod';
import { ZConversation, ZMessage } from './conversations.js';

const short = z.string().max(256);

/** Twilio's inbound-SMS form post (the fields Rapport reads; Twilio sends more, and they are kept for its signature). */
export const ZTwilioInbound = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-zA-Z]{8,64}$/, 'a Twilio message sid (SM… or MM…)'),
  AccountSid: z.string().max(64).optional(),
  From: z.string().min(1).max(64),
  To: z.string().min(1).max(64),
  Body: z.string().max(20_000).default(''),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
  ProfileName: short.optional(),
});
export type TwilioInbound = z.infer<typeof ZTwilioInbound>;

/** Twilio's status callback for a message Rapport sent. */
export const ZTwilioStatus = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-zA-Z]{8,64}$/, 'a Twilio message sid'),
  MessageStatus: z.enum([
    'accepted',
    'scheduled',
    'queued',
    'sending',
    'sent',
    'delivered',
    'undelivered',
    'failed',
    'read',
    'receiving',
    'received',
    'canceled',
  ]),
  ErrorCode: z.string().max(16).optional(),
  ErrorMessage: z.string().max(1000).optional(),
});
export type TwilioStatus = z.infer<typeof ZTwilioStatus>;

export const ZInboxIdParam = z.object({ inboxId: z.string().min(1).max(64) });

/** The Graph API's webhook subscription handshake. */
export const ZMetaHandshake = z.object({
  'hub.mode': z.literal('subscribe'),
  'hub.verify_token': z.string().min(1).max(4096),
  'hub.challenge': z.string().min(1).max(256),
});

// Meta's webhook payloads: only the parts Rapport reads are described; everything else passes.
const ZWaText = z.looseObject({ body: z.string().max(65_536) });
/** A media message's file: fetched through the Graph API by its id. */
const ZWaMedia = z.looseObject({
  id: z
    .string()
    .regex(/^\d{1,32}$/)
    .optional(),
  mime_type: z.string().max(255).optional(),
  caption: z.string().max(4096).optional(),
  filename: z.string().max(512).optional(),
});
const ZWaMessage = z.looseObject({
  from: z.string().regex(/^\d{1,20}$/),
  id: z.string().min(1).max(256),
  timestamp: z.string().max(20).optional(),
  type: z.string().max(32),
  text: ZWaText.optional(),
  image: ZWaMedia.optional(),
  video: ZWaMedia.optional(),
  audio: ZWaMedia.optional(),
  sticker: ZWaMedia.optional(),
  document: ZWaMedia.optional(),
  button: z.looseObject({ text: z.string().max(4096).optional() }).optional(),
  interactive: z.looseObject({}).optional(),
  location: z.looseObject({}).optional(),
});
const ZWaStatus = z.looseObject({
  id: z.string().min(1).max(256),
  status: z.string().max(32),
  errors: z
    .array(z.looseObject({ code: z.number().optional(), title: z.string().max(1000).optional(), message: z.string().max(1000).optional() }))
    .max(20)
    .optional(),
});
export const ZWhatsAppValue = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: z.looseObject({ phone_number_id: z.string().max(32), display_phone_number: z.string().max(32).optional() }),
  contacts: z
    .array(z.looseObject({ wa_id: z.string().max(20), profile: z.looseObject({ name: z.string().max(256).optional() }).optional() }))
    .max(100)
    .optional(),
  messages: z.array(ZWaMessage).max(1000).optional(),
  statuses: z.array(ZWaStatus).max(1000).optional(),
});
export const ZMessengerEvent = z.looseObject({
  sender: z.looseObject({ id: z.string().max(64) }),
  recipient: z.looseObject({ id: z.string().max(64) }),
  timestamp: z.number().optional(),
  message: z
    .looseObject({
      mid: z.string().min(1).max(256),
      text: z.string().max(65_536).optional(),
      is_echo: z.boolean().optional(),
      attachments: z
        .array(z.looseObject({ type: z.string().max(32).optional() }))
        .max(20)
        .optional(),
    })
    .optional(),
  delivery: z.looseObject({ mids: z.array(z.string().max(256)).max(1000).optional() }).optional(),
  read: z.looseObject({}).optional(),
});
export const ZMetaWebhook = z.looseObject({
  object: z.string().max(64),
  entry: z
    .array(
      z.looseObject({
        id: z.string().max(64).optional(),
        changes: z
          .array(z.looseObject({ field: z.string().max(64), value: z.unknown() }))
          .max(1000)
          .optional(),
        messaging: z.array(ZMessengerEvent).max(1000).optional(),
      }),
    )
    .max(1000),
});
export type MetaWebhook = z.infer<typeof ZMetaWebhook>;

/** What the Meta webhook answers: how many events it took, how many it ignored (not addressed to this inbox's app). */
export const ZMetaWebhookResult = z.object({ received: z.number().int(), statuses: z.number().int(), ignored: z.number().int() });

// The API channel.
const externalId = z.string().trim().min(1).max(255);

export const ZApiChannelCustomer = z
  .strictObject({
    id: z.string().max(64).optional().meta({ description: 'a Rapport customer id (cus_…)' }),
    externalId: externalId.optional().meta({ description: "your system's id for the customer (identity external_id)" }),
    userId: externalId.optional().meta({ description: 'the userId your product sends to ingest (identity user_id): joins the timeline' }),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'E.164, such as +14155550100')
      .optional(),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .refine((c) => c.id || c.externalId || c.userId || c.email || c.phone, 'name the customer: id, externalId, userId, email or phone')
  .meta({ id: 'ApiChannelCustomer' });

export const ZApiChannelMessage = z
  .strictObject({
    conversationExternalId: externalId.meta({ description: 'your id for the conversation (ticket, chat session): messages with the same one thread together' }),
    externalId: externalId.meta({ description: 'your id for this message: a repeat with the same one returns the first (200), never a second copy' }),
    customer: ZApiChannelCustomer,
    body: z.string().min(1).max(100_000),
    subject: z.string().trim().max(500).optional().meta({ description: 'used when the message opens the conversation' }),
    author: z.enum(['customer', 'bot', 'system']).default('customer'),
  })
  .meta({ id: 'ApiChannelMessage' });
export type ApiChannelMessage = z.input<typeof ZApiChannelMessage>;

export const ZApiChannelResult = z
  .object({
    created: z.boolean().meta({ description: 'false when this externalId had been received before (the answer is then 200)' }),
    conversation: ZConversation,
    message: ZMessage,
  })
  .meta({ id: 'ApiChannelResult' });
export type ApiChannelResult = z.infer<typeof ZApiChannelResult>;
