// A conversation's SLA as the desk shows it (its own file: conversations.ts embeds it, and sla.ts
// depends on conversations.ts).
import { z } from 'zod';
import { ZIsoTime } from './common.js';

export const SLA_METRICS = ['first_response', 'next_response', 'resolution'] as const;
export const ZSlaMetric = z.enum(SLA_METRICS);
export type SlaMetric = z.infer<typeof ZSlaMetric>;

export const ZConversationSla = z
  .object({
    policyId: z.string(),
    firstResponseDueAt: ZIsoTime.nullable().meta({ description: 'null once answered, or without that target' }),
    nextResponseDueAt: ZIsoTime.nullable().meta({ description: 'set while a customer message awaits a reply' }),
    resolutionDueAt: ZIsoTime.nullable(),
    breached: z.array(ZSlaMetric).meta({ description: 'targets this conversation has missed' }),
    pausedSince: ZIsoTime.nullable().meta({ description: 'the clock stands still while the conversation is pending (waiting on the customer)' }),
  })
  .meta({ id: 'ConversationSla' });
export type ConversationSla = z.infer<typeof ZConversationSla>;
