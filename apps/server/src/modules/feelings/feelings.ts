// Feelings: text analytics as a consumer of the domain-events log, never on the request path.
// Each customer message (message.created, author customer, kind reply) is read by the analyser
// (analyser/analyser.ts) just behind the write; in the same transaction as the consumer's cursor
// its sentiment lands on the message, on the message's timeline interaction and in the
// customer's feeling score, its key phrases under their topics, and a `message.scored` domain
// event (what rules trigger on) — exactly once, across crashes and restarts. Topics answer "what do customers write about, and how do they feel about it".
import { ZProblem, ZTopics, ZTopicsQuery, type Topics } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { toEnvelope, type DomainEvents } from '../../platform/domain-events.js';
import { invalid } from '../../platform/errors.js';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { Logs, LogEntry } from '../../platform/logs.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import { analyse } from './analyser/analyser.js';
import { createFeelingsStore } from './feelings.store.js';

export const FEELINGS_CONSUMER = 'feelings.analyse';
const DAY = 86_400_000;
/** The longest period topics are counted over. */
const MAX_PERIOD_DAYS = 366;

type MessageCreated = {
  message?: { id?: string; conversationId?: string; kind?: string; authorType?: string; body?: string; createdAt?: string };
  customerId?: string;
};

/** A phrase's topic: its head word (English noun phrases end with it), in the singular. */
export function topicOf(phrase: string): string {
  const head = phrase.split(' ').pop() ?? phrase;
  if (head.length > 4 && head.endsWith('ies')) return `${head.slice(0, -3)}y`;
  if (head.length > 3 && head.endsWith('s') && !/(ss|us|is)$/.test(head)) return head.slice(0, -1);
  return head;
}

export function createFeelings(deps: {
  db: Db;
  clock: Clock;
  logs: Logs;
  events: DomainEvents;
  conversations: Pick<ConversationsService, 'setMessageSentiment'>;
  interactions: Pick<InteractionsService, 'setSentiment'>;
  customers: Pick<CustomersService, 'recordFeeling'>;
}) {
  const { conversations, interactions, customers, clock } = deps;
  const store = createFeelingsStore(deps.db);
  deps.logs.define({
    name: FEELINGS_CONSUMER,
    log: 'domain_events',
    batch: 500,
    types: { only: ['message.created'] },
    async handle(tx, entries: LogEntry[]) {
      for (const e of entries) {
        if (e.type !== 'message.created') continue;
        const data = JSON.parse(e.data) as MessageCreated;
        const m = data.message;
        if (!m?.id || m.kind !== 'reply' || m.authorType !== 'customer' || typeof m.body !== 'string' || !data.customerId) continue;
        const reading = analyse(m.body);
        // An erased message (the customer was deleted since) leaves nothing to score.
        if (!(await conversations.setMessageSentiment(tx, e.workspace_id, m.id, reading))) continue;
        const at = m.createdAt ?? e.created_at;
        await interactions.setSentiment(tx, e.workspace_id, m.id, reading.score, reading.signals[0] ?? reading.label);
        const feeling = await customers.recordFeeling(tx, e.workspace_id, data.customerId, reading.score, at);
        if (m.conversationId)
          await deps.events.emit(tx, e.workspace_id, [
            {
              type: 'message.scored',
              data: {
                messageId: m.id,
                conversationId: m.conversationId,
                customerId: data.customerId,
                sentiment: { score: reading.score, label: reading.label, signals: reading.signals },
                feeling,
              },
              // Seen by whoever may see the message (a partner only on their teams' conversations).
              scope: toEnvelope(e).scope,
            },
          ]);
        await store.insertPhrases(
          tx,
          reading.phrases.map((phrase) => ({
            workspace_id: e.workspace_id,
            message_id: m.id as string,
            phrase,
            topic: topicOf(phrase),
            customer_id: data.customerId as string,
            score: reading.score,
            created_at: at,
          })),
        );
      }
    },
  });

  async function topics(auth: AuthContext, q: { from?: string | undefined; to?: string | undefined; limit: number }): Promise<Topics> {
    requirePermission(auth, 'customers.read');
    // `to` is exclusive; by default the period includes this very moment
    const to = q.to ? new Date(q.to) : new Date(clock.nowMs() + 1);
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY);
    if (from >= to) throw invalid('`from` must come before `to`', [{ path: 'querystring.from', message: 'after `to`' }]);
    if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY)
      throw invalid(`A period of at most ${MAX_PERIOD_DAYS} days`, [{ path: 'querystring.from', message: 'too long a period' }]);
    const range = [from.toISOString(), to.toISOString()] as const;
    const rows = await store.topics(auth.workspaceId, ...range, q.limit + 1);
    const all = await store.messageCount(auth.workspaceId, ...range);
    const shown = rows.slice(0, q.limit);
    const phrases = await store.phrasesOf(
      auth.workspaceId,
      shown.map((r) => r.topic),
      ...range,
    );
    return {
      from: range[0],
      to: range[1],
      messages: all,
      data: shown.map((r) => ({
        topic: r.topic,
        messages: Number(r.messages),
        customers: Number(r.customers),
        share: all ? Math.round((Number(r.messages) / all) * 10_000) / 10_000 : 0,
        averageSentiment: Math.round(Number(r.average) * 10_000) / 10_000,
        negative: Number(r.negative),
        phrases: phrases
          .filter((p) => p.topic === r.topic)
          .slice(0, 5)
          .map((p) => ({ phrase: p.phrase, count: Number(p.count) })),
      })),
    };
  }

  return {
    analyse,
    topics,
    /** This module's part of a customer's erasure. */
    eraseByCustomers: (tx: Tx, workspaceId: string, customerIds: string[]) => store.eraseByCustomers(tx, workspaceId, customerIds),
  };
}
export type Feelings = ReturnType<typeof createFeelings>;

export function registerFeelingsRoutes(app: FastifyZodInstance, deps: { feelings: Feelings }) {
  app.get(
    '/api/v1/topics',
    {
      config: { access: 'customers.read' },
      schema: {
        tags: ['feelings'],
        summary: 'What customers write about: the key phrases of their messages under topics, with how they feel',
        querystring: ZTopicsQuery,
        response: { 200: ZTopics, 400: ZProblem, 401: ZProblem, 403: ZProblem },
      },
    },
    async (req) => deps.feelings.topics(requireAuth(req), req.query),
  );
}
