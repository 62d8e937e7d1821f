// The channels: inboxes, the way in (inbound) and the way out (outbound senders, a log consumer).
// Channel modules (email, chat, sms, meta, api) build on this and register their routes and senders.
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { FileStore } from '../../platform/files.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Logs } from '../../platform/logs.js';
import type { ChannelMessages } from '../conversations/channel-messages.service.js';
import { createInbound } from './inbound.js';
import type { InboxesService } from './inboxes.service.js';
import { createOutbound } from './outbound.js';

export { createInboxesService, defaultInboxProvisioner, type InboxRecord, type InboxesService } from './inboxes.service.js';
export { createInboxesStore } from './inboxes.store.js';
export { PermanentDeliveryError, type Sender, type DeliveryContext } from './outbound.js';

export function createChannels(deps: {
  db: Db;
  clock: Clock;
  jobs: Jobs;
  logs: Logs;
  files: FileStore;
  inboxes: InboxesService;
  messages: ChannelMessages;
  maxAttachmentBytes: number;
  attachmentQuotaBytes: number;
  logger: { warn(obj: object, msg: string): void };
}) {
  const { inboxes } = deps;
  const inbound = createInbound({
    messages: deps.messages,
    files: deps.files,
    maxAttachmentBytes: deps.maxAttachmentBytes,
    attachmentQuotaBytes: deps.attachmentQuotaBytes,
  });
  const outbound = createOutbound({ logs: deps.logs, jobs: deps.jobs, inboxes, messages: deps.messages, logger: deps.logger });
  return { inboxes, inbound, outbound, files: deps.files };
}
export type Channels = ReturnType<typeof createChannels>;
