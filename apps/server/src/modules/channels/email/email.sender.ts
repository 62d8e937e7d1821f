// Email out: the sender the outbound consumer hands an agent's reply on an email conversation to.
// It goes through the process's one relay (platform/mailer.ts, DKIM-signed when configured), from
// the inbox's address, threaded for the customer's mail client (In-Reply-To, References) and for
// ours (a Message-ID we mint and keep as the message's externalId, the [#number] subject tag).
import { randomBytes } from 'node:crypto';
import type { MailTransport } from '../../../platform/mailer.js';
import { PermanentDeliveryError, type Sender } from '../outbound.js';
import { sanitizeEmailHtml } from './email.sanitize.js';

export const NO_RELAY = 'no SMTP relay configured (RAPPORT_SMTP_RELAY_URL)';
/** References kept on a long thread: the first (the thread's root) and the most recent ones. */
const MAX_REFERENCES = 20;

// eslint-disable-next-line no-control-regex -- header values must not carry control characters
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/** `Re: <subject> [#n]`, without piling up prefixes or tags on a long thread. */
export function replySubject(subject: string | null, number: number): string {
  let base = oneLine(subject ?? '');
  for (let i = 0; i < 10 && /^(re|fwd?|aw|sv|antw)\s*:\s*/i.test(base); i++) base = base.replace(/^(re|fwd?|aw|sv|antw)\s*:\s*/i, '');
  base = base.replace(/\s*\[#\d{1,9}\]\s*/g, ' ').trim();
  return `Re: ${base || 'Your message'} [#${number}]`.slice(0, 900);
}

function referencesChain(refs: string[]): string[] {
  if (refs.length <= MAX_REFERENCES) return refs;
  return [refs[0] as string, ...refs.slice(-(MAX_REFERENCES - 1))];
}

type SmtpFailure = { responseCode?: unknown; code?: unknown; response?: unknown; message?: unknown };

export function createEmailSender(deps: {
  transport: MailTransport | null;
  /** The right-hand side of the Message-IDs we mint. */
  mailDomain: string;
  workspaceName: (workspaceId: string) => Promise<string | null>;
}): Sender {
  return async (ctx) => {
    if (!deps.transport) throw new PermanentDeliveryError(NO_RELAY);
    const to = ctx.customer.email;
    if (!to) throw new PermanentDeliveryError('The customer has no email address');
    if (!ctx.inbox.address) throw new PermanentDeliveryError(`The inbox ${ctx.inbox.name} has no address to send from`);
    const fromName =
      typeof ctx.inbox.settings.fromName === 'string' && ctx.inbox.settings.fromName
        ? ctx.inbox.settings.fromName
        : ((await deps.workspaceName(ctx.inbox.workspaceId)) ?? ctx.inbox.name);
    const messageId = `<${ctx.message.id}.${randomBytes(8).toString('hex')}@${deps.mailDomain}>`;
    const inReplyTo = ctx.inReplyTo ?? ctx.references.at(-1);
    const html = ctx.message.html ? sanitizeEmailHtml(ctx.message.html) : null;
    try {
      await deps.transport.sendMail({
        from: { name: oneLine(fromName).slice(0, 200), address: ctx.inbox.address },
        to: ctx.customer.name ? { name: oneLine(ctx.customer.name).slice(0, 200), address: to } : to,
        subject: replySubject(ctx.conversation.subject, ctx.conversation.number),
        text: ctx.message.body,
        ...(html ? { html } : {}),
        messageId,
        ...(inReplyTo ? { inReplyTo } : {}),
        ...(ctx.references.length > 0 ? { references: referencesChain(ctx.references) } : {}),
        attachments: ctx.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, path: a.path })),
      });
    } catch (err) {
      const e: SmtpFailure = typeof err === 'object' && err !== null ? err : {};
      const code = typeof e.responseCode === 'number' ? e.responseCode : 0;
      const said = typeof e.response === 'string' ? oneLine(e.response).slice(0, 300) : '';
      // The relay refused this message or recipient for good; anything else (down, 4xx, a timeout) is retried.
      if (code >= 500 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) throw new PermanentDeliveryError(`The relay refused the message: ${said || code}`);
      const why = said || (typeof e.message === 'string' ? e.message : String(err));
      throw new Error(`The relay did not take the message: ${why}`.slice(0, 500));
    }
    return { externalId: messageId, status: 'sent' };
  };
}
