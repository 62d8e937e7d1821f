// The service desk: conversations, messages, custom fields and canned responses.
import { z } from 'zod';
import { ZSentiment, ZSentimentLabel } from './feelings.js';
import { CHANNELS, CATEGORIES, STATUSES, PRIORITIES, CUSTOM_FIELD_TYPES } from './values.js';
import { ZIsoTime, ZProblem } from './common.js';
import { ZCustomer } from './customers.js';
import { ZConversationSla } from './sla-state.js';

export const ZChannel = z.enum(CHANNELS);
export type Channel = z.infer<typeof ZChannel>;

export const ZCategory = z.enum(CATEGORIES);
export type Category = z.infer<typeof ZCategory>;

export const ZStatus = z.enum(STATUSES);
export type Status = z.infer<typeof ZStatus>;

export const ZPriority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof ZPriority>;

export const ZOrigin = z.enum(['reactive', 'proactive']);

const tag = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[^,\s][^,]*$/, 'no commas');
const isoDate = z.iso.datetime({ offset: true });

export const ZCustomFieldValue = z.union([z.string().max(2000), z.number(), z.null()]);
export const ZCustomFieldValues = z.record(z.string(), ZCustomFieldValue);

export const ZMessageAuthor = z.object({
  type: z.enum(['customer', 'agent', 'bot', 'system']),
  id: z.string().nullable(),
  name: z.string().nullable().optional(),
});

export const ZDelivery = z
  .object({
    status: z.enum(['queued', 'sent', 'delivered', 'failed']),
    error: z.string().nullable(),
    attempts: z.number().int(),
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Delivery' });
export const ZAttachment = z
  .object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number().int(), url: z.string() })
  .meta({ id: 'Attachment' });

export const ZMessage = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    kind: z.enum(['reply', 'note']),
    author: ZMessageAuthor,
    body: z.string(),
    createdAt: ZIsoTime,
    channel: ZChannel.nullable(),
    html: z.string().nullable().meta({ description: 'sanitised HTML (email), or null' }),
    externalId: z.string().nullable().meta({ description: "the provider's id (Message-ID, SMS sid…)" }),
    delivery: ZDelivery.nullable().meta({ description: 'outbound delivery to the customer; null when nothing is sent' }),
    attachments: z.array(ZAttachment),
    sentiment: ZSentiment.nullable().meta({ description: "a customer message's sentiment, read just after it arrives; null for others" }),
  })
  .meta({ id: 'Message' });
export type Message = z.infer<typeof ZMessage>;

export const ZConversation = z
  .object({
    id: z.string(),
    number: z.number().int(),
    customer: ZCustomer,
    channel: ZChannel,
    subject: z.string().nullable(),
    category: ZCategory,
    status: ZStatus,
    snoozedUntil: ZIsoTime.nullable(),
    priority: ZPriority,
    assigneeId: z.string().nullable(),
    teamId: z.string().nullable(),
    tags: z.array(z.string()),
    customFields: ZCustomFieldValues,
    origin: ZOrigin,
    touchpointId: z.string().nullable(),
    mergedIntoId: z.string().nullable(),
    inboxId: z.string().nullable(),
    externalId: z.string().nullable().meta({ description: "the conversation's id in an external system (API channel)" }),
    messageCount: z.number().int(),
    lastMessagePreview: z.string().nullable(),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
    lastActivityAt: ZIsoTime,
    firstResponseAt: ZIsoTime.nullable(),
    resolvedAt: ZIsoTime.nullable(),
    firstResponseSeconds: z.number().nullable(),
    resolutionSeconds: z.number().nullable(),
    sla: ZConversationSla.nullable().meta({ description: 'due times of the SLA policy that applies (docs/sla.md); null when none does' }),
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof ZConversation>;

export const ZCreateConversation = z.strictObject({
  customer: z.union([
    z.strictObject({ id: z.string().min(1).max(64) }),
    z.strictObject({
      email: z
        .email()
        .max(254)
        .transform((s) => s.toLowerCase()),
      name: z.string().trim().min(1).max(200).optional(),
    }),
  ]),
  channel: ZChannel.default('api'),
  subject: z.string().trim().max(500).optional(),
  category: ZCategory.default('inquiry'),
  priority: ZPriority.default('normal'),
  status: z.enum(['open', 'pending']).default('open'),
  assigneeId: z.string().max(64).optional(),
  teamId: z.string().max(64).optional(),
  tags: z.array(tag).max(50).optional(),
  customFields: ZCustomFieldValues.optional(),
  origin: ZOrigin.default('reactive'),
  touchpointId: z.string().max(64).optional(),
  message: z
    .strictObject({
      body: z.string().min(1).max(100_000),
      author: z.enum(['customer', 'agent']).default('customer'),
    })
    .optional(),
});
export type CreateConversation = z.input<typeof ZCreateConversation>;

const timeZone = z.string().min(1).max(64).meta({ description: "the agent's IANA time zone, e.g. Europe/Berlin (presets wake at 9:00 there)" });
export const ZSnoozePreset = z
  .discriminatedUnion('until', [
    z.strictObject({ until: z.enum(['later_today', 'tomorrow', 'next_monday']), timeZone }),
    z.strictObject({
      until: z.literal('date'),
      date: z.iso.date().meta({ description: 'YYYY-MM-DD: wakes at 9:00 that day' }),
      timeZone,
    }),
  ])
  .meta({ id: 'SnoozePreset', description: 'later_today: in 3 hours; tomorrow and next_monday: 9:00 in timeZone; date: 9:00 that day' });
export type SnoozePreset = z.infer<typeof ZSnoozePreset>;

export const ZUpdateConversation = z.strictObject({
  status: ZStatus.optional(),
  snoozedUntil: isoDate.nullable().optional(),
  snooze: ZSnoozePreset.optional().meta({ description: 'snooze with a preset instead of snoozedUntil (sets status snoozed)' }),
  priority: ZPriority.optional(),
  category: ZCategory.optional(),
  subject: z.string().trim().max(500).nullable().optional(),
  assigneeId: z.string().max(64).nullable().optional(),
  teamId: z.string().max(64).nullable().optional(),
  tags: z.array(tag).max(50).optional(),
  customFields: ZCustomFieldValues.optional(),
  touchpointId: z.string().max(64).nullable().optional(),
});
export type UpdateConversation = z.input<typeof ZUpdateConversation>;

export const ZConversationQuery = z.object({
  status: z
    .string()
    .regex(/^[a-z,]+$/)
    .optional()
    .meta({ description: 'one status or several separated by commas' }),
  assignee: z.string().max(64).optional().meta({ description: '"me", "none" or a user id' }),
  teamId: z.string().max(64).optional(),
  tag: z.string().max(50).optional(),
  channel: ZChannel.optional(),
  category: ZCategory.optional(),
  priority: ZPriority.optional(),
  customerId: z.string().max(64).optional(),
  updatedSince: isoDate.optional(),
  q: z.string().trim().max(200).optional(),
  feeling: ZSentimentLabel.optional().meta({ description: "only conversations whose customer's feeling is negative, neutral or positive" }),
  sort: z.enum(['activity', 'feeling', 'due']).optional().meta({
    description:
      'activity (default): latest activity first; feeling: unhappiest customer first (customers not yet read count as 0); due: the nearest SLA due time first (paused or without SLA last); not with q',
  }),
});
export type ConversationQuery = z.infer<typeof ZConversationQuery>;

export const ZCreateMessage = z.strictObject({
  body: z.string().min(1).max(100_000),
  kind: z.enum(['reply', 'note']).default('reply'),
  author: z.enum(['agent', 'customer']).default('agent'),
  afterMessageId: z.string().min(1).max(64).optional().meta({
    description:
      "the last message its author saw: when a newer reply (an agent's, a bot's or the customer's) exists, the API answers 409 listing them, unless force is true",
  }),
  force: z.boolean().optional().meta({ description: 'send even though newer replies exist since afterMessageId' }),
});
export type CreateMessage = z.input<typeof ZCreateMessage>;

/** 409 of a reply written against an older state of the thread: the replies its author has not seen. */
export const ZCollisionProblem = ZProblem.extend({
  newerMessages: z.array(ZMessage).optional().meta({ description: 'a collision: the replies after afterMessageId, oldest first (at most 20)' }),
  newerCount: z.number().int().optional().meta({ description: 'a collision: how many replies came after afterMessageId' }),
}).meta({ id: 'CollisionProblem' });
export type CollisionProblem = z.infer<typeof ZCollisionProblem>;

export const ZMergeConversations = z.strictObject({
  conversationId: z.string().min(1).max(64).meta({ description: 'the conversation merged into this one' }),
});

export const ZBulkConversations = z.strictObject({
  ids: z.array(z.string().max(64)).min(1).max(500),
  update: ZUpdateConversation.pick({ status: true, assigneeId: true, teamId: true, priority: true }).extend({
    addTags: z.array(tag).max(20).optional(),
  }),
});
export const ZBulkResult = z.object({
  results: z.array(z.object({ id: z.string(), ok: z.boolean(), error: z.string().optional() })),
});
export type BulkResult = z.infer<typeof ZBulkResult>;

export const ZCustomFieldDef = z
  .object({
    id: z.string(),
    key: z.string(),
    label: z.string(),
    type: z.enum(CUSTOM_FIELD_TYPES),
    options: z.array(z.string()),
    createdAt: ZIsoTime,
  })
  .meta({ id: 'CustomField' });
export type CustomFieldDef = z.infer<typeof ZCustomFieldDef>;
export const ZCreateCustomField = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, 'lowercase letters, digits and _'),
  label: z.string().trim().min(1).max(100),
  type: z.enum(CUSTOM_FIELD_TYPES),
  options: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
});

export const ZCannedResponse = z
  .object({
    id: z.string(),
    shortcut: z.string(),
    title: z.string(),
    body: z.string(),
    createdAt: ZIsoTime,
  })
  .meta({ id: 'CannedResponse' });
export type CannedResponse = z.infer<typeof ZCannedResponse>;
export const ZCreateCannedResponse = z.strictObject({
  shortcut: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -'),
  title: z.string().trim().min(1).max(200),
  body: z.string().min(1).max(20_000),
});
export const ZUpdateCannedResponse = ZCreateCannedResponse.partial();
export const ZRenderCanned = z.strictObject({ conversationId: z.string().max(64) });
export const ZRenderedCanned = z.object({ body: z.string() });

export { CHANNELS, CATEGORIES, STATUSES, PRIORITIES, CUSTOM_FIELD_TYPES };
