// The email channel: mail in through Rapport's SMTP server (email.smtp.ts), agents' replies out
// through the relay (email.sender.ts). Built with the app; `rapport start` (or a test) makes the
// SMTP server listen.
import type { Clock } from '../../../platform/clock.js';
import type { MailTransport } from '../../../platform/mailer.js';
import type { Channels } from '../channels.js';
import { createEmailSender } from './email.sender.js';
import { createSmtpInbound, type SmtpOptions } from './email.smtp.js';

export type { SmtpOptions } from './email.smtp.js';

export const DEFAULT_SMTP_OPTIONS = { maxBytes: 25 * 1024 * 1024, senderLimit: 10 } as const;

export function createEmailChannel(deps: {
  channels: Channels;
  clock: Clock;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  transport: MailTransport | null;
  mailDomain: string;
  workspaceName: (workspaceId: string) => Promise<string | null>;
  smtp?: Partial<SmtpOptions> | undefined;
}) {
  const { channels } = deps;
  channels.outbound.registerSender('email', createEmailSender({ transport: deps.transport, mailDomain: deps.mailDomain, workspaceName: deps.workspaceName }));
  const smtp = createSmtpInbound({
    inboxes: channels.inboxes,
    inbound: channels.inbound,
    outbound: channels.outbound,
    clock: deps.clock,
    logger: deps.logger,
    options: {
      maxBytes: deps.smtp?.maxBytes ?? DEFAULT_SMTP_OPTIONS.maxBytes,
      senderLimit: deps.smtp?.senderLimit ?? DEFAULT_SMTP_OPTIONS.senderLimit,
      hostname: deps.smtp?.hostname ?? deps.mailDomain,
      tls: deps.smtp?.tls ?? null,
    },
  });
  return { smtp };
}
export type EmailChannel = ReturnType<typeof createEmailChannel>;
