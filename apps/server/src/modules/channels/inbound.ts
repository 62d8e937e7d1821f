// Inbound: a message from outside (mail, SMS, a widget visitor, a provider webhook, the API
// channel) on an inbox. Attachment bytes go to the data folder first; the desk then threads the
// message into the customer's conversation in one transaction (channel-messages.service.ts).
import type { FileStore } from '../../platform/files.js';
import { tooLarge } from '../../platform/errors.js';
import type { ChannelMessages, InboundIdentity, InboundMessage, InboundResult } from '../conversations/channel-messages.service.js';
import type { InboxRecord } from './inboxes.service.js';

export type InboundInput = {
  inbox: InboxRecord;
  contact: { customerId?: string; identity?: InboundIdentity; email?: string; phone?: string; name?: string };
  message: {
    body: string;
    html?: string | null;
    subject?: string | null;
    externalId?: string | null;
    attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
  };
  thread?: InboundMessage['thread'];
  authorType?: 'customer' | 'bot' | 'system';
};

const MAX_ATTACHMENTS = 50;

/** A filename as a download may carry it: no path, no control characters, bounded. */
export function safeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim();
  return (clean || 'attachment').slice(0, 200);
}

export function createInbound(deps: { messages: ChannelMessages; files: FileStore; maxAttachmentBytes: number; attachmentQuotaBytes: number }) {
  const { messages, files, maxAttachmentBytes, attachmentQuotaBytes } = deps;
  return {
    maxAttachmentBytes,
    async receive(input: InboundInput): Promise<InboundResult> {
      const attachments = input.message.attachments ?? [];
      if (attachments.length > MAX_ATTACHMENTS) throw tooLarge(`At most ${MAX_ATTACHMENTS} attachments per message`);
      const total = attachments.reduce((n, a) => n + a.content.length, 0);
      if (total > maxAttachmentBytes) throw tooLarge(`Attachments are limited to ${maxAttachmentBytes} bytes per message`);
      const { inbox } = input;
      // Anyone on the internet can mail any inbox: without a quota, one sender fills the shared disk.
      if (total > 0 && (await messages.attachmentBytes(inbox.workspaceId)) + total > attachmentQuotaBytes)
        throw tooLarge(`The workspace's attachment storage (${attachmentQuotaBytes} bytes) is full`);
      const stored: NonNullable<InboundMessage['message']['attachments']> = [];
      for (const a of attachments)
        stored.push({
          filename: safeFilename(a.filename),
          contentType: /^[\w.+-]+\/[\w.+-]+$/.test(a.contentType) ? a.contentType.toLowerCase() : 'application/octet-stream',
          size: a.content.length,
          storageKey: await files.put(inbox.workspaceId, a.content),
        });
      const write = messages.receive({
        target: { workspaceId: inbox.workspaceId, inboxId: inbox.id, channel: inbox.channel, teamId: inbox.teamId },
        contact: input.contact,
        message: {
          body: input.message.body.slice(0, 100_000),
          html: input.message.html ?? null,
          subject: input.message.subject ?? null,
          externalId: input.message.externalId ? input.message.externalId.slice(0, 998) : null,
          attachments: stored,
        },
        ...(input.thread ? { thread: input.thread } : {}),
        ...(input.authorType ? { authorType: input.authorType } : {}),
      });
      // A duplicate (or a message that was not written) leaves its files named by no row.
      const result = await write.catch(async (err: unknown) => {
        await files.remove(stored.map((s) => s.storageKey));
        throw err;
      });
      if (result.duplicate) await files.remove(stored.map((s) => s.storageKey));
      return result;
    },
  };
}
export type Inbound = ReturnType<typeof createInbound>;
