// Inboxes: where customers reach the workspace (an email address, the chat widget, an SMS or
// WhatsApp number, a Messenger page, the API channel). Settings are readable by agents who manage
// them; secrets (tokens, app secrets, the widget's identity secret) are write-only: a response
// names the secrets that are set, never their values.
import { z } from 'zod';
import { ZIsoTime } from './common.js';

export const INBOX_CHANNELS = ['email', 'chat', 'sms', 'whatsapp', 'messenger', 'api'] as const;
export const ZInboxChannel = z.enum(INBOX_CHANNELS);
export type InboxChannel = z.infer<typeof ZInboxChannel>;

const secret = z.string().min(1).max(4096);
const origin = z
  .string()
  .max(300)
  .regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin such as https://shop.example (scheme, host and port, no path), or *');
const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour such as #3b5bdb');
const phoneNumber = z.string().regex(/^\+[1-9]\d{6,14}$/, 'a number in E.164 form, such as +14155550100');

/** Per channel: what may be set, validated on create and update (strict: unknown keys are refused). */
export const INBOX_SETTINGS = {
  email: z.strictObject({ fromName: z.string().trim().min(1).max(200).optional() }),
  chat: z.strictObject({
    allowedOrigins: z.array(origin).max(50).default([]),
    color: hexColor.default('#3b5bdb'),
    greeting: z.string().trim().max(500).default('Hi! How can we help?'),
    requireIdentity: z.boolean().default(false),
  }),
  sms: z.strictObject({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-zA-Z]{8,64}$/, 'a Twilio account SID (AC…)')
      .optional(),
  }),
  whatsapp: z.strictObject({
    phoneNumberId: z
      .string()
      .regex(/^\d{1,32}$/)
      .optional(),
    businessAccountId: z
      .string()
      .regex(/^\d{1,32}$/)
      .optional(),
    templates: z
      .array(z.strictObject({ name: z.string().regex(/^[a-z0-9_]{1,512}$/), language: z.string().min(2).max(15) }))
      .max(100)
      .optional(),
  }),
  messenger: z.strictObject({
    pageId: z
      .string()
      .regex(/^\d{1,32}$/)
      .optional(),
  }),
  api: z.strictObject({}),
} as const satisfies Record<InboxChannel, z.ZodType>;

export const INBOX_SECRETS = {
  email: z.strictObject({}),
  chat: z.strictObject({ identitySecret: secret.optional() }),
  sms: z.strictObject({ authToken: secret.optional() }),
  whatsapp: z.strictObject({ accessToken: secret.optional(), appSecret: secret.optional(), verifyToken: secret.optional() }),
  messenger: z.strictObject({ accessToken: secret.optional(), appSecret: secret.optional(), verifyToken: secret.optional() }),
  api: z.strictObject({}),
} as const satisfies Record<InboxChannel, z.ZodType>;

/** The routing key's shape per channel: what `address` must look like. */
export const INBOX_ADDRESS: Record<InboxChannel, z.ZodType<string> | null> = {
  email: z
    .email()
    .max(254)
    .transform((s) => s.toLowerCase()),
  chat: null,
  sms: phoneNumber,
  whatsapp: z.string().regex(/^(\+[1-9]\d{6,14}|\d{1,32})$/, 'the WhatsApp number (E.164) or its phone number id'),
  messenger: z.string().regex(/^\d{1,32}$/, 'the Facebook page id'),
  api: null,
};

export const ZInbox = z
  .object({
    id: z.string(),
    channel: ZInboxChannel,
    name: z.string(),
    address: z.string().nullable().meta({ description: 'the routing key: email address, number, page id (null for chat and api)' }),
    teamId: z.string().nullable(),
    settings: z.record(z.string(), z.unknown()),
    secretsSet: z.array(z.string()).meta({ description: 'names of the secrets stored; their values are never returned' }),
    enabled: z.boolean(),
    isDefault: z.boolean(),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Inbox' });
export type Inbox = z.infer<typeof ZInbox>;

export const ZCreateInbox = z.strictObject({
  channel: ZInboxChannel,
  name: z.string().trim().min(1).max(200).optional(),
  address: z.string().trim().min(1).max(254).optional(),
  teamId: z.string().max(64).nullable().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
});
export type CreateInbox = z.input<typeof ZCreateInbox>;

export const ZUpdateInbox = ZCreateInbox.omit({ channel: true });
export type UpdateInbox = z.input<typeof ZUpdateInbox>;

export const ZInboxList = z.object({ data: z.array(ZInbox) });

/** The create response: secrets the server generated (the chat widget's identity secret), shown this once. */
export const ZInboxCreated = ZInbox.extend({
  generatedSecrets: z.record(z.string(), z.string()).optional().meta({ description: 'generated secrets, shown only in this response' }),
}).meta({ id: 'InboxCreated' });
