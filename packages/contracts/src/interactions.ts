// The interactions spine: write keys, Segment-compatible ingest answers, the touchpoint
// catalogue, journey stages and departments, organizations, the timeline and customer 360.
import { z } from 'zod';
import { WRITE_KEY_KINDS, DEFAULT_STAGES, DEFAULT_DEPARTMENTS } from './values.js';
import { ZIsoTime } from './common.js';
import { ZCustomer } from './customers.js';

const isoDate = z.iso.datetime({ offset: true });
const key = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, _, . and - only');

// Write keys: public, write-only credentials for the ingest endpoints.
export const ZWriteKeyKind = z
  .enum(WRITE_KEY_KINDS)
  .meta({ description: 'client: public, for browsers and apps (adds data, never overwrites or merges); server: secret, for back ends' });
export type WriteKeyKind = z.infer<typeof ZWriteKeyKind>;
/** A web origin such as https://shop.example.com (scheme, host and port; no path). */
const ZOrigin = z
  .string()
  .trim()
  .max(200)
  .refine((o) => {
    try {
      const u = new URL(o);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o.replace(/\/$/, '');
    } catch {
      return false;
    }
  }, 'must be an origin such as https://shop.example.com')
  .transform((o) => o.replace(/\/$/, ''));
export const ZWriteKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    kind: ZWriteKeyKind,
    allowedOrigins: z.array(z.string()).meta({ description: 'client keys: web origins that may send (empty: any)' }),
    createdAt: ZIsoTime,
    revokedAt: ZIsoTime.nullable(),
  })
  .meta({ id: 'WriteKey' });
export type WriteKey = z.infer<typeof ZWriteKey>;
export const ZCreatedWriteKey = ZWriteKey.extend({ key: z.string().meta({ description: 'Shown once; Rapport keeps only its hash' }) });
export type CreatedWriteKey = z.infer<typeof ZCreatedWriteKey>;
export const ZCreateWriteKey = z.strictObject({
  name: z.string().trim().min(1).max(120),
  kind: ZWriteKeyKind.default('server'),
  allowedOrigins: z.array(ZOrigin).max(50).default([]),
});
export type CreateWriteKey = z.input<typeof ZCreateWriteKey>;
export const ZUpdateWriteKey = z.strictObject({ name: z.string().trim().min(1).max(120).optional(), allowedOrigins: z.array(ZOrigin).max(50).optional() });
/** The workspace secret that signs user ids for client keys and the chat widget (HMAC-SHA256, hex). */
export const ZIdentitySecret = z.object({ secret: z.string() }).meta({ id: 'IdentitySecret' });

// Ingest answers (Segment answers {success:true}; Rapport adds what it refused and why).
export const ZRejection = z.object({ index: z.number().int(), messageId: z.string().nullable(), reason: z.string() });
export type Rejection = z.infer<typeof ZRejection>;
export const ZIngestResult = z
  .object({
    success: z.literal(true),
    rejected: z.array(ZRejection).meta({ description: 'the first 100 rejected events of the request' }),
    rejectedCount: z.number().int().meta({ description: 'every rejected event of the request' }),
  })
  .meta({ id: 'IngestResult' });
export const ZRejectedSummary = z.object({
  data: z.array(
    z.object({ day: z.string(), kept: z.number().int(), dropped: z.number().int().meta({ description: 'rejected but not kept (over 1,000 a minute)' }) }),
  ),
});
export type IngestResult = z.infer<typeof ZIngestResult>;

export const ZRejectedEvent = z
  .object({
    id: z.string(),
    receivedAt: ZIsoTime,
    messageId: z.string().nullable(),
    type: z.string().nullable(),
    reason: z.string(),
    userId: z.string().nullable(),
    anonymousId: z.string().nullable(),
    payload: z.string().meta({ description: 'The event as received, cut at 2 KB' }),
  })
  .meta({ id: 'RejectedEvent' });
export type RejectedEvent = z.infer<typeof ZRejectedEvent>;

// Journey stages and departments: per-workspace ordered lists.
export const ZListItem = z.object({ key, name: z.string().trim().min(1).max(120) });
export type ListItem = z.infer<typeof ZListItem>;
export const ZListItems = z.object({
  data: z
    .array(ZListItem)
    .min(1)
    .max(50)
    .refine((items) => new Set(items.map((i) => i.key)).size === items.length, 'keys must be unique'),
});

// Touchpoints and the rules that classify incoming interactions.
export const ZTouchpointRule = z
  .strictObject({
    event: z.string().min(1).max(200).optional().meta({ description: 'Event name (track) or page/screen name, exact, case-insensitive' }),
    kind: z.string().min(1).max(40).optional().meta({ description: 'Interaction kind: event, page, screen, conversation, message, …' }),
    path: z
      .string()
      .min(1)
      .max(256)
      .refine((p) => (p.match(/\*+/g) ?? []).length <= 16, 'a path glob has at most 16 wildcards')
      .optional()
      .meta({ description: 'Page path glob: * within a segment, ** across segments (at most 256 characters and 16 wildcards)' }),
    channel: z.string().min(1).max(40).optional(),
    property: z.strictObject({ name: z.string().min(1).max(200), equals: z.union([z.string(), z.number(), z.boolean()]) }).optional(),
  })
  .refine((r) => r.event ?? r.kind ?? r.path ?? r.channel ?? r.property, 'a rule needs at least one condition');
export type TouchpointRule = z.infer<typeof ZTouchpointRule>;

export const ZTouchpoint = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    channel: z.string().nullable(),
    stage: z.string().nullable(),
    department: z.string().nullable(),
    critical: z.boolean(),
    position: z.number().int(),
    rules: z.array(ZTouchpointRule),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Touchpoint' });
export type Touchpoint = z.infer<typeof ZTouchpoint>;

export const ZCreateTouchpoint = z.strictObject({
  key,
  name: z.string().trim().min(1).max(120),
  channel: z.string().trim().min(1).max(40).nullable().optional(),
  stage: z.string().nullable().optional(),
  department: z.string().nullable().optional(),
  critical: z.boolean().optional(),
  position: z.number().int().min(0).max(10_000).optional(),
  rules: z.array(ZTouchpointRule).max(20).optional(),
});
export type CreateTouchpoint = z.infer<typeof ZCreateTouchpoint>;
export const ZUpdateTouchpoint = ZCreateTouchpoint.partial();
export type UpdateTouchpoint = z.infer<typeof ZUpdateTouchpoint>;

export const ZTouchpointRef = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  channel: z.string().nullable(),
  stage: z.string().nullable(),
  department: z.string().nullable(),
  critical: z.boolean(),
});

// Organizations (B2B accounts from `group` calls).
export const ZOrganization = z
  .object({
    id: z.string(),
    groupId: z.string(),
    name: z.string().nullable(),
    traits: z.record(z.string(), z.unknown()),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Organization' });
export type Organization = z.infer<typeof ZOrganization>;

// The timeline: every interaction of one customer, newest first.
export const ZTimelineItem = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    occurredAt: ZIsoTime,
    receivedAt: ZIsoTime,
    channel: z.string().nullable(),
    touchpoint: ZTouchpointRef.nullable(),
    stage: z.string().nullable(),
    department: z.string().nullable(),
    origin: z.string(),
    conversationId: z.string().nullable(),
    sentiment: z.number().nullable(),
    emotion: z.string().nullable(),
    properties: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TimelineItem' });
export type TimelineItem = z.infer<typeof ZTimelineItem>;

const csv = z
  .string()
  .max(500)
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
export const ZTimelineQuery = z.object({
  kind: csv.optional().meta({ description: 'Comma-separated kinds: event, page, screen, identify, group, alias, conversation, message, stage_changed' }),
  stage: z.string().max(64).optional(),
  touchpoint: z.string().max(64).optional().meta({ description: 'Touchpoint key' }),
  channel: z.string().max(40).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});
export type TimelineQuery = z.infer<typeof ZTimelineQuery>;

// Customer 360: the customer plus what the spine knows.
export const ZIdentity = z.object({ kind: z.string(), value: z.string(), createdAt: ZIsoTime });
export const ZStageChange = z.object({ stage: z.string(), from: z.string().nullable(), at: ZIsoTime });
export const ZConversationSummary = z.object({
  id: z.string(),
  number: z.number().int(),
  subject: z.string().nullable(),
  status: z.string(),
  channel: z.string(),
  lastActivityAt: ZIsoTime,
});
export const ZCustomer360 = ZCustomer.extend({
  identities: z.array(ZIdentity),
  organizations: z.array(ZOrganization),
  stage: z.string().nullable(),
  stageHistory: z.array(ZStageChange),
  firstSeenAt: ZIsoTime.nullable(),
  lastSeenAt: ZIsoTime.nullable(),
  counts: z.object({
    interactions: z.number().int(),
    byStage: z.record(z.string(), z.number().int()),
    byChannel: z.record(z.string(), z.number().int()),
  }),
  openConversations: z.array(ZConversationSummary),
}).meta({ id: 'Customer360' });
export type Customer360 = z.infer<typeof ZCustomer360>;

export const ZCustomerExport = z
  .object({
    exportedAt: ZIsoTime,
    customer: ZCustomer360,
    mergedCustomerIds: z.array(z.string()),
    interactions: z.array(ZTimelineItem),
    conversations: z.array(z.record(z.string(), z.unknown())),
  })
  .meta({ id: 'CustomerExport' });
export type CustomerExport = z.infer<typeof ZCustomerExport>;

export const ZCustomerDeleted = z.object({
  id: z.string(),
  deleted: z.literal(true),
  counts: z.record(z.string(), z.number().int()),
});

export { WRITE_KEY_KINDS, DEFAULT_STAGES, DEFAULT_DEPARTMENTS };
