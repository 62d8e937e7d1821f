// Outbound delivery: an agent's reply on a conversation that came through an inbox is queued as
// it is written (conversations.core), this consumer of the domain-events log turns each queued
// reply into a `channel.deliver` job in the same transaction as its cursor (exactly once), and the
// job hands it to the channel's sender, retrying with backoff; the state (queued, sent, delivered,
// failed with its reason) is written back on the message.
import type { InboxChannel } from '@rapport/contracts';
import { z } from 'zod';
import type { Jobs } from '../../platform/jobs.js';
import type { LogEntry, Logs } from '../../platform/logs.js';
import type { ChannelMessages } from '../conversations/channel-messages.service.js';
import type { InboxesService, InboxRecord } from './inboxes.service.js';

export const DELIVER_JOB = 'channel.deliver';
export const MAX_DELIVERY_ATTEMPTS = 8;

/** A failure that retrying cannot fix (a closed 24-hour window, a rejected number): fails at once. */
export class PermanentDeliveryError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentDeliveryError';
  }
}

export type DeliveryContext = NonNullable<Awaited<ReturnType<ChannelMessages['deliveryContext']>>> & { inbox: InboxRecord };
export type Sender = (ctx: DeliveryContext) => Promise<{ externalId?: string | undefined; status?: 'sent' | 'delivered' } | void>;

type Logger = { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };

export function createOutbound(deps: { logs: Logs; jobs: Jobs; inboxes: InboxesService; messages: ChannelMessages; logger: Logger }) {
  const { jobs, inboxes, messages, logger } = deps;
  const senders = new Map<InboxChannel, Sender>();

  const deliverJob = jobs.define(DELIVER_JOB, z.object({ messageId: z.string(), conversationId: z.string() }), async (job) => {
    const { workspaceId, attempts } = job;
    const ctx = await messages.deliveryContext(workspaceId, job.payload.messageId);
    if (!ctx || ctx.message.status !== 'queued') return; // gone (erased) or already settled
    const inbox = ctx.conversation.inboxId ? await inboxes.recordOf(workspaceId, ctx.conversation.inboxId) : null;
    const fail = (reason: string) =>
      messages.setDelivery(workspaceId, { messageId: ctx.message.id }, { status: 'failed', error: reason.slice(0, 500), attempts });
    if (!inbox) return void (await fail('The inbox of this conversation was removed'));
    if (!inbox.enabled) return void (await fail(`The inbox ${inbox.name} is disabled`));
    const sender = senders.get(inbox.channel);
    if (!sender) return void (await fail(`Nothing sends ${inbox.channel} messages on this server`));
    try {
      const sent = await sender({ ...ctx, inbox });
      await messages.setDelivery(
        workspaceId,
        { messageId: ctx.message.id },
        { status: sent?.status ?? 'sent', error: null, attempts, externalId: sent?.externalId ?? null },
      );
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof PermanentDeliveryError || attempts >= MAX_DELIVERY_ATTEMPTS) {
        logger.warn({ workspaceId, messageId: ctx.message.id, attempts, reason }, 'delivery failed');
        await fail(reason);
        return;
      }
      // Still queued: the attempt count and the last reason show while it retries.
      await messages.setDelivery(workspaceId, { messageId: ctx.message.id }, { status: 'queued', error: reason.slice(0, 500), attempts });
      throw err;
    }
  });

  deps.logs.define({
    name: 'channels.outbound',
    log: 'domain_events',
    batch: 500,
    types: { only: ['message.created'] },
    async handle(tx, entries: LogEntry[]) {
      for (const e of entries) {
        if (e.type !== 'message.created') continue;
        const data = JSON.parse(e.data) as { message?: { id?: string; conversationId?: string; delivery?: string } };
        const m = data.message;
        if (!m?.id || !m.conversationId || m.delivery !== 'queued') continue;
        await deliverJob.enqueue(tx, {
          workspaceId: e.workspace_id,
          payload: { messageId: m.id, conversationId: m.conversationId },
          idempotencyKey: `${DELIVER_JOB}:${m.id}`,
          maxAttempts: MAX_DELIVERY_ATTEMPTS,
        });
      }
      return () => jobs.poke();
    },
  });

  return {
    /** A channel's sender (one per channel; registered while the app is built). */
    registerSender(channel: InboxChannel, sender: Sender) {
      if (senders.has(channel)) throw new Error(`a sender for ${channel} is registered twice`);
      senders.set(channel, sender);
    },
    senderOf: (channel: InboxChannel) => senders.get(channel) ?? null,
    /** A provider's status callback: sent → delivered, or failed with its reason. */
    updateDelivery: (
      workspaceId: string,
      ref: { messageId: string } | { channel: InboxChannel; externalId: string },
      status: 'sent' | 'delivered' | 'failed',
      error?: string | null,
    ) => messages.setDelivery(workspaceId, ref, { status, error: error ?? null }),
    lastCustomerMessageAt: messages.lastCustomerMessageAt,
  };
}
export type Outbound = ReturnType<typeof createOutbound>;
