// The proactive engine (issue 13): rules with a trigger, conditions and actions, their firings,
// and the one contact policy every proactive message and survey goes through.
import { z } from 'zod';
import { ZIsoTime, ZPageQuery } from './common.js';
import { ZCategory, ZChannel, ZPriority, ZStatus } from './conversations.js';
import { durationSeconds } from './surveys.js';

export const MAX_RULES = 200;
export const MAX_CONDITION_NODES = 50;
export const MAX_CONDITION_DEPTH = 5;
export const MAX_ACTIONS = 10;
export const MAX_TEMPLATE = 10_000;
/** The longest absence window or idle time: 365 days. */
export const MAX_WINDOW_SECONDS = 365 * 86_400;

export const ZWindow = z
  .string()
  .max(40)
  .refine((v) => durationSeconds(v) !== null, 'must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (P5D, PT36H, PT3S)')
  .refine((v) => (durationSeconds(v) ?? 0) > 0, 'must be longer than zero')
  .refine((v) => (durationSeconds(v) ?? 0) <= MAX_WINDOW_SECONDS, 'at most 365 days')
  .meta({ description: 'ISO 8601 duration (W, D, H, M, S)', example: 'P5D' });

/** Where a condition's value is read. `customer.traits.*` and `event.properties.*` take any key. */
export const CONDITION_FIELDS = {
  'customer.name': 'string',
  'customer.email': 'string',
  'customer.phone': 'string',
  'customer.stage': 'string',
  'customer.feeling': 'number',
  'customer.feelingLabel': 'string',
  'customer.openConversations': 'number',
  'customer.createdAt': 'time',
  'conversation.status': 'string',
  'conversation.priority': 'string',
  'conversation.channel': 'string',
  'conversation.category': 'string',
  'conversation.teamId': 'string',
  'conversation.assigneeId': 'string',
  'conversation.subject': 'string',
  'conversation.tags': 'list',
  'conversation.origin': 'string',
  'event.name': 'string',
  'event.touchpointId': 'string',
  'event.stage': 'string',
  'event.channel': 'string',
  'event.occurredAt': 'time',
} as const;
export type FieldType = (typeof CONDITION_FIELDS)[keyof typeof CONDITION_FIELDS] | 'any';
export const OPEN_FIELD_PREFIXES = ['customer.traits.', 'event.properties.'] as const;

export const CONDITION_OPS = ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'exists', 'not_exists', 'gt', 'gte', 'lt', 'lte'] as const;
export const ZConditionOp = z.enum(CONDITION_OPS);

const ZScalar = z.union([z.string().max(500), z.number(), z.boolean()]);
export const ZConditionLeaf = z.strictObject({
  field: z
    .string()
    .max(120)
    .regex(/^(customer|conversation|event)\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,4}$/, 'a field such as customer.traits.plan or event.properties.carrier'),
  op: ZConditionOp,
  value: z.union([ZScalar, z.array(z.union([z.string().max(200), z.number()])).max(100)]).optional(),
});
export type ConditionLeaf = z.infer<typeof ZConditionLeaf>;
export type Condition = ConditionLeaf | { all: Condition[] } | { any: Condition[] } | { not: Condition };

// A recursive tree: an AND (`all`), an OR (`any`), a NOT, or a leaf. Its size and depth are
// bounded (validated on save with the field types), so evaluating one is linear and small.
export const ZCondition: z.ZodType<Condition> = z
  .lazy(() =>
    z.union([
      ZConditionLeaf,
      z.strictObject({ all: z.array(ZCondition).min(1).max(20) }),
      z.strictObject({ any: z.array(ZCondition).min(1).max(20) }),
      z.strictObject({ not: ZCondition }),
    ]),
  )
  .meta({ id: 'RuleCondition', description: 'An AND/OR/NOT tree of {field, op, value} tests' });

const ZMatch = z.strictObject({
  event: z.string().min(1).max(200).optional(),
  touchpointId: z.string().max(64).optional(),
  stage: z.string().max(64).optional(),
  /** Conditions on the interaction itself (event.* fields). */
  where: ZCondition.optional(),
});
export type InteractionMatch = z.infer<typeof ZMatch>;

export const CONVERSATION_TRIGGERS = ['created', 'customer_replied', 'status_changed', 'priority_changed', 'idle'] as const;

export const ZRuleTrigger = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('event'), match: ZMatch }),
  z.strictObject({
    type: z.literal('absence'),
    after: ZMatch,
    expect: ZMatch,
    within: ZWindow,
    /** An event property both must share (e.g. orderId): a delivery clears only its own order's wait. */
    correlate: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
  }),
  z.strictObject({ type: z.literal('customer'), condition: ZCondition }),
  z.strictObject({
    type: z.literal('schedule'),
    cron: z.string().min(9).max(100),
    timezone: z.string().min(1).max(64).default('UTC'),
  }),
  z.strictObject({
    type: z.literal('conversation'),
    on: z.enum(CONVERSATION_TRIGGERS),
    /** For `idle`: how long without a message. */
    after: ZWindow.optional(),
  }),
  z.strictObject({ type: z.literal('sla'), on: z.enum(['warning', 'breached']), metric: z.enum(['first_response', 'next_response', 'resolution']).optional() }),
]);
export type RuleTrigger = z.infer<typeof ZRuleTrigger>;

const template = (max: number) => z.string().min(1).max(max);
const ZTags = z.array(z.string().trim().min(1).max(50)).min(1).max(20);
export const ZRuleAction = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('open_conversation'),
    channel: ZChannel.default('email'),
    subject: template(500),
    body: template(MAX_TEMPLATE),
    teamId: z.string().max(64).optional(),
    priority: ZPriority.optional(),
  }),
  z.strictObject({ type: z.literal('send_message'), body: template(MAX_TEMPLATE) }),
  z.strictObject({ type: z.literal('add_note'), body: template(MAX_TEMPLATE) }),
  z.strictObject({ type: z.literal('assign'), assigneeId: z.string().max(64).nullable() }),
  z.strictObject({ type: z.literal('set_team'), teamId: z.string().max(64).nullable() }),
  z.strictObject({ type: z.literal('set_priority'), priority: ZPriority }),
  z.strictObject({ type: z.literal('set_status'), status: ZStatus.exclude(['snoozed']) }),
  z.strictObject({ type: z.literal('set_category'), category: ZCategory }),
  z.strictObject({ type: z.literal('add_tags'), tags: ZTags }),
  z.strictObject({
    type: z.literal('set_trait'),
    key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .refine((k) => !['__proto__', 'constructor', 'prototype'].includes(k), 'a reserved name'),
    value: z.union([z.string().max(500), z.number(), z.boolean(), z.null()]),
  }),
  z.strictObject({ type: z.literal('call_webhook'), url: z.url({ protocol: /^https?$/ }).max(2000) }),
  z.strictObject({ type: z.literal('send_survey'), surveyId: z.string().max(64) }),
]);
export type RuleAction = z.infer<typeof ZRuleAction>;
/** Actions that reach the customer: the contact policy applies to them. */
export const CONTACT_ACTIONS: ReadonlySet<RuleAction['type']> = new Set(['open_conversation', 'send_message', 'send_survey']);

export const ZRuleInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  /** `service` (an apology, a delay notice) is not held back while the customer has a case open; `marketing` is. */
  purpose: z.enum(['service', 'marketing']).default('marketing'),
  trigger: ZRuleTrigger,
  conditions: ZCondition.optional(),
  actions: z.array(ZRuleAction).min(1).max(MAX_ACTIONS),
  /** An event that counts as the outcome the rule aims at (shown beside its firings). */
  goal: z.string().min(1).max(200).optional(),
});
export type RuleInput = z.input<typeof ZRuleInput>;
export const ZRulePatch = ZRuleInput.partial();

export const ZRule = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    purpose: z.enum(['service', 'marketing']),
    trigger: ZRuleTrigger,
    conditions: ZCondition.nullable(),
    actions: z.array(ZRuleAction),
    goal: z.string().nullable(),
    stats: z.object({ fired: z.number().int(), suppressed: z.number().int(), failed: z.number().int(), waiting: z.number().int() }),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Rule' });
export type Rule = z.infer<typeof ZRule>;

export const FIRING_STATUSES = ['pending', 'fired', 'suppressed', 'failed'] as const;
export const ZRuleFiring = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    customerId: z.string(),
    conversationId: z.string().nullable(),
    status: z.enum(FIRING_STATUSES),
    reason: z.string().nullable(),
    /** What made it fire: the trigger's entry, the facts its conditions read. */
    facts: z.record(z.string(), z.unknown()),
    /** What each action did. */
    outcomes: z.array(z.object({ type: z.string(), ok: z.boolean(), detail: z.string().nullable() })),
    /** After it fired: whether the customer replied, contacted support or reached the rule's goal. */
    result: z.object({ replied: z.boolean(), contacted: z.boolean(), converted: z.boolean() }).nullable(),
    createdAt: ZIsoTime,
    firedAt: ZIsoTime.nullable(),
    runAt: ZIsoTime,
  })
  .meta({ id: 'RuleFiring' });
export type RuleFiring = z.infer<typeof ZRuleFiring>;
export const ZFiringsQuery = ZPageQuery.extend({ status: z.enum(FIRING_STATUSES).optional() });

export const ZPreviewResult = z.object({
  /** Customers who would match now (for event triggers: whose latest matching event would fire). */
  matches: z.array(z.object({ customerId: z.string(), name: z.string().nullable(), email: z.string().nullable(), why: z.array(z.string()) })),
  scanned: z.number().int(),
  /** Each templated action rendered for the first match (or a sample customer). */
  rendered: z.array(z.object({ type: z.string(), subject: z.string().optional(), body: z.string() })),
  /** What would hold a message back for the first match now, if anything. */
  policy: z.string().nullable(),
});

export const ZContactPolicy = z
  .strictObject({
    /** At most this many proactive messages and surveys per customer per period (0 = no cap). */
    maxMessages: z.number().int().min(0).max(1000).default(3),
    period: ZWindow.default('P7D'),
    /** Quiet hours in the customer's time zone (trait `timezone`, else the workspace's): messages wait until they end. */
    quietHours: z
      .strictObject({ start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/), end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) })
      .nullable()
      .default(null),
    timezone: z.string().min(1).max(64).default('UTC'),
    /** Support-aware suppression of marketing messages and surveys. */
    suppressWhileOpenConversation: z.boolean().default(true),
    suppressWhileBreachedSla: z.boolean().default(true),
    /** A feeling score below this, set within `negativeWithin`, holds marketing back (null: never). */
    negativeFeelingBelow: z.number().min(-1).max(1).nullable().default(-0.3),
    negativeWithin: ZWindow.default('P7D'),
  })
  .meta({ id: 'ContactPolicy' });
export type ContactPolicy = z.infer<typeof ZContactPolicy>;
