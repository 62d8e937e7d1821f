// Feelings: text analytics as a consumer of the domain-events log, never on the request path.
// Each customer message (message.created, author customer, kind reply) is read by the analyser
// (analyser/analyser.ts) just behind the write; in the same transaction as the consumer's cursor
// its sentiment lands on the message, on the message's timeline interaction and in the
// customer's feeling score — exactly once, across crashes and restarts.
import type { Logs, LogEntry } from '../../platform/logs.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import { analyse } from './analyser/analyser.js';

export const FEELINGS_CONSUMER = 'feelings.analyse';

type MessageCreated = {
  message?: { id?: string; kind?: string; authorType?: string; body?: string; createdAt?: string };
  customerId?: string;
};

export function createFeelings(deps: {
  logs: Logs;
  conversations: Pick<ConversationsService, 'setMessageSentiment'>;
  interactions: Pick<InteractionsService, 'setSentiment'>;
  customers: Pick<CustomersService, 'recordFeeling'>;
}) {
  const { conversations, interactions, customers } = deps;
  deps.logs.define({
    name: FEELINGS_CONSUMER,
    log: 'domain_events',
    batch: 500,
    async handle(tx, entries: LogEntry[]) {
      for (const e of entries) {
        if (e.type !== 'message.created') continue;
        const data = JSON.parse(e.data) as MessageCreated;
        const m = data.message;
        if (!m?.id || m.kind !== 'reply' || m.authorType !== 'customer' || typeof m.body !== 'string' || !data.customerId) continue;
        const reading = analyse(m.body);
        // An erased message (the customer was deleted since) leaves nothing to score.
        if (!(await conversations.setMessageSentiment(tx, e.workspace_id, m.id, reading))) continue;
        await interactions.setSentiment(tx, e.workspace_id, m.id, reading.score, reading.signals[0] ?? reading.label);
        await customers.recordFeeling(tx, e.workspace_id, data.customerId, reading.score, m.createdAt ?? e.created_at);
      }
    },
  });
  return { analyse };
}
export type Feelings = ReturnType<typeof createFeelings>;
