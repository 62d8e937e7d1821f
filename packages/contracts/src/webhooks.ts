// Outgoing webhooks (issue 11): subscriptions to domain event types, signed per Standard Webhooks,
// and their delivery log. The secret is only ever returned by create and rotate-secret.
import { z } from 'zod';
import { ZIsoTime, ZPageQuery } from './common.js';
import { DOMAIN_EVENTS, type DomainEventType } from './events.js';

export const WEBHOOK_EVENT_TYPES = Object.keys(DOMAIN_EVENTS) as [DomainEventType, ...DomainEventType[]];
/** Subscriptions per workspace, and event names per subscription. */
export const MAX_WEBHOOKS = 20;
export const MAX_WEBHOOK_URL = 2048;

export const ZWebhookEventName = z
  .union([z.literal('*'), z.enum(WEBHOOK_EVENT_TYPES)])
  .meta({ description: 'A domain event type, or "*" for every type but interaction.created (the ingest firehose), which is only sent when named' });

export const ZWebhookUrl = z
  .string()
  .trim()
  .min(1)
  .max(MAX_WEBHOOK_URL, `at most ${MAX_WEBHOOK_URL} characters`)
  .refine((u) => URL.canParse(u), 'must be an absolute URL')
  .refine((u) => !URL.canParse(u) || ['http:', 'https:'].includes(new URL(u).protocol), 'must be an http:// or https:// URL')
  .refine(
    (u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''),
    'must not carry a user name or password (receivers check the signature)',
  )
  .meta({
    description:
      'Where events are POSTed: http or https, at most 2 KB; private, loopback and link-local targets are refused unless the operator allow-lists them',
  });

const ZEvents = z
  .array(ZWebhookEventName)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .refine((e) => new Set(e).size === e.length, 'event names must be unique');

export const ZCreateWebhook = z.strictObject({
  url: ZWebhookUrl,
  events: ZEvents,
  description: z.string().trim().max(500).optional(),
  includeInternal: z
    .boolean()
    .optional()
    .meta({ description: 'Also send internal events (notes): off by default, since a note is never meant for the customer side' }),
  enabled: z.boolean().optional(),
});
export type CreateWebhook = z.infer<typeof ZCreateWebhook>;

export const ZUpdateWebhook = z
  .strictObject({
    url: ZWebhookUrl.optional(),
    events: ZEvents.optional(),
    description: z.string().trim().max(500).nullable().optional(),
    includeInternal: z.boolean().optional(),
    enabled: z.boolean().optional().meta({ description: 're-enabling clears the reason it was disabled' }),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type UpdateWebhook = z.infer<typeof ZUpdateWebhook>;

export const ZWebhook = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(ZWebhookEventName),
    description: z.string().nullable(),
    includeInternal: z.boolean(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().meta({ description: 'why Rapport disabled it (failing, 410 Gone); null when enabled or disabled by a person' }),
    disabledAt: ZIsoTime.nullable(),
    failingSince: ZIsoTime.nullable().meta({ description: 'first failed attempt since the last success' }),
    lastSuccessAt: ZIsoTime.nullable(),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof ZWebhook>;

export const ZWebhookWithSecret = ZWebhook.extend({
  secret: z.string().meta({ description: 'whsec_ + base64 of the signing key: shown only in this response' }),
}).meta({ id: 'WebhookWithSecret' });
export type WebhookWithSecret = z.infer<typeof ZWebhookWithSecret>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export const ZWebhookDelivery = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    messageId: z.string().meta({ description: 'the webhook-id header: the event id, the same on every attempt and redelivery' }),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    manual: z.boolean().meta({ description: 'a redelivery asked for by a person (one attempt, no retries)' }),
    redeliveryOf: z.string().nullable(),
    attempts: z.number().int(),
    nextAttemptAt: ZIsoTime.nullable(),
    lastAttemptAt: ZIsoTime.nullable(),
    lastStatus: z.number().int().nullable().meta({ description: 'HTTP status of the last answer; null when none came' }),
    lastResponse: z.string().nullable().meta({ description: 'first 1 KB of the last answer body' }),
    lastError: z.string().nullable(),
    lastDurationMs: z.number().int().nullable(),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
    deliveredAt: ZIsoTime.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof ZWebhookDelivery>;

export const ZWebhookDeliveryDetail = ZWebhookDelivery.extend({ payload: z.string().meta({ description: 'the exact body sent' }) }).meta({
  id: 'WebhookDeliveryDetail',
});

export const ZWebhookDeliveryQuery = ZPageQuery.extend({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() });
export const ZWebhookDeliveryParams = z.object({ id: z.string().min(1).max(64), deliveryId: z.string().min(1).max(64) });
