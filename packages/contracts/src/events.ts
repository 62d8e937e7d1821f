// Domain events (issue 10): every state change of the desk and the spine, appended to the
// domain_events log in the transaction that made it. They are the future webhook payloads, so
// each type is versioned: a breaking change adds a new version, never edits this one.
import { z } from 'zod';
import { ZIsoTime } from './common.js';
import { ZCategory, ZChannel, ZPriority, ZStatus } from './conversations.js';
import { ZSlaMetric } from './sla-state.js';
import { ZFeeling, ZSentiment } from './feelings.js';

export const DOMAIN_EVENT_VERSION = 1 as const;

/** A conversation as events carry it: its own columns, no joined data. */
export const ZConversationState = z.object({
  id: z.string(),
  number: z.number().int(),
  status: ZStatus,
  priority: ZPriority,
  channel: ZChannel,
  category: ZCategory.nullable(),
  subject: z.string().nullable(),
  customerId: z.string(),
  assigneeId: z.string().nullable(),
  teamId: z.string().nullable(),
  tags: z.array(z.string()),
  createdAt: ZIsoTime,
  updatedAt: ZIsoTime,
  /** The inbox it came in through and its id there (the API channel's own id); additive, v1. */
  inboxId: z.string().nullable().optional(),
  externalId: z.string().nullable().optional(),
});
export type ConversationState = z.infer<typeof ZConversationState>;

export const ZCustomerState = z.object({
  id: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  traits: z.record(z.string(), z.unknown()),
});

/** An SLA target about to be missed (sla.warning) or missed (sla.breached): once each per target. */
export const ZSlaEvent = z.object({
  conversationId: z.string(),
  customerId: z.string(),
  policyId: z.string(),
  metric: ZSlaMetric,
  dueAt: ZIsoTime,
  at: ZIsoTime.meta({ description: 'when the sweep saw it (the warning time or the due time, or just after)' }),
});

export const DOMAIN_EVENTS = {
  'conversation.created': z.object({ conversation: ZConversationState }),
  'conversation.updated': z.object({ conversation: ZConversationState, changed: z.array(z.string()).min(1) }),
  'conversation.assigned': z.object({
    conversation: ZConversationState,
    from: z.string().nullable(),
    to: z.string().nullable(),
    by: z.enum(['manual', 'claim', 'round_robin']),
  }),
  'conversation.status_changed': z.object({ conversation: ZConversationState, from: ZStatus, to: ZStatus }),
  'conversation.merged': z.object({ conversationId: z.string(), mergedIntoId: z.string() }),
  'message.created': z.object({
    message: z.object({
      id: z.string(),
      conversationId: z.string(),
      kind: z.enum(['reply', 'note']),
      authorType: z.enum(['agent', 'customer', 'bot', 'system']),
      authorId: z.string().nullable(),
      body: z.string(),
      createdAt: ZIsoTime,
      channel: ZChannel.nullable().optional(),
      externalId: z.string().nullable().optional(),
      delivery: z.enum(['queued', 'sent', 'delivered', 'failed']).nullable().optional(),
    }),
    customerId: z.string(),
    /** Where the conversation lives outside (routing for the API channel's receivers). */
    inboxId: z.string().nullable().optional(),
    conversationExternalId: z.string().nullable().optional(),
  }),
  /** A customer message read by the analyser (just behind message.created), with the customer's feeling after it. */
  'message.scored': z.object({
    messageId: z.string(),
    conversationId: z.string(),
    customerId: z.string(),
    sentiment: ZSentiment,
    feeling: ZFeeling.nullable().meta({ description: "the customer's feeling score with this message counted; null once the customer is erased" }),
  }),
  'message.delivery_updated': z.object({
    messageId: z.string(),
    conversationId: z.string(),
    status: z.enum(['queued', 'sent', 'delivered', 'failed']),
    error: z.string().nullable(),
    attempts: z.number().int(),
  }),
  'customer.created': z.object({ customer: ZCustomerState, source: z.enum(['desk', 'ingest']) }),
  'customer.updated': z.object({ customer: ZCustomerState, changed: z.array(z.string()).min(1) }),
  'customer.merged': z.object({ survivorId: z.string(), mergedId: z.string(), reason: z.string() }),
  'customer.deleted': z.object({ customerId: z.string(), mergedIds: z.array(z.string()) }),
  'interaction.created': z.object({
    interaction: z.object({
      id: z.string(),
      customerId: z.string(),
      kind: z.string(),
      name: z.string(),
      occurredAt: ZIsoTime,
      channel: z.string().nullable(),
      touchpointId: z.string().nullable(),
      stage: z.string().nullable(),
      conversationId: z.string().nullable(),
    }),
  }),
  'member.invited': z.object({ userId: z.string(), role: z.string() }),
  'member.joined': z.object({ userId: z.string(), role: z.string() }),
  'member.updated': z.object({ userId: z.string(), changed: z.array(z.string()).min(1) }),
  'team.created': z.object({ teamId: z.string(), name: z.string() }),
  'team.updated': z.object({ teamId: z.string(), changed: z.array(z.string()) }),
  'team.deleted': z.object({ teamId: z.string() }),
  'team.member_added': z.object({ teamId: z.string(), userId: z.string() }),
  'team.member_removed': z.object({ teamId: z.string(), userId: z.string() }),
  'sla.warning': ZSlaEvent,
  'sla.breached': ZSlaEvent,
} as const;

export type DomainEventType = keyof typeof DOMAIN_EVENTS;
export type DomainEventData<T extends DomainEventType> = z.infer<(typeof DOMAIN_EVENTS)[T]>;

/** The envelope every consumer (and, later, every webhook) receives. */
export const ZDomainEventEnvelope = z.object({
  id: z.string().meta({ description: 'the position in the log: stable and unique' }),
  type: z.enum(Object.keys(DOMAIN_EVENTS) as [DomainEventType, ...DomainEventType[]]),
  version: z.literal(DOMAIN_EVENT_VERSION),
  workspaceId: z.string(),
  occurredAt: ZIsoTime,
  data: z.unknown(),
});
export type DomainEventEnvelope = z.infer<typeof ZDomainEventEnvelope>;
