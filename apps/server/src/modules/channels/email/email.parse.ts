// An inbound mail as the desk sees it: who sent it, what it threads to, its text, sanitised HTML and
// attachments, and whether a machine sent it (an auto-reply, a list, a bounce), which must never
// start an exchange (RFC 3834).
import { createHash } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import { sanitizeEmailHtml } from './email.sanitize.js';

export type MailKind = 'human' | 'auto' | 'bounce';

export type InboundMail = {
  from: { address: string; name: string | undefined } | null;
  subject: string | null;
  /** The Message-ID, or a digest of the raw mail when it has none (a re-delivery is still one message). */
  messageId: string;
  /** In-Reply-To first, then References newest first: the order the desk tries them in. */
  references: string[];
  /** A `[#123]` tag in the subject. */
  number: number | undefined;
  body: string;
  html: string | null;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
  kind: MailKind;
  /** Why it counts as automatic (the header or sender that says so). */
  autoReason: string | null;
  /** For a bounce: the Message-IDs of the mails it reports on, and what the remote server said. */
  bounce: { messageIds: string[]; reason: string } | null;
};

const MESSAGE_ID = /^<[^<>\s]{1,900}>$/;
const MAX_REFERENCES = 50;
const MAX_BODY_CHARS = 100_000;
/** Local parts of senders that are machines: bounces come from the first two, the rest never read replies. */
const BOUNCE_SENDER = /^(mailer-daemon|postmaster)$/i;
const ROBOT_SENDER = /^(no-?reply|do-?not-?reply|donotreply|noreply-.*|bounces?(\+.*|-.*)?|auto-?reply|autoresponder|notifications?-noreply)$/i;

export const PARSER_OPTIONS = {
  keepCidLinks: true, // cid: images stay links (never inlined as data: blobs the sanitiser drops)
  keepDeliveryStatus: true, // a bounce's message/delivery-status part is read as an attachment
  skipTextToHtml: true,
  skipTextLinks: true,
  checksumAlgo: false,
  maxHtmlLengthToParse: 2_000_000,
  maxChildNodes: 250,
  maxHeadSize: 256 * 1024,
} as const;

function headerText(mail: ParsedMail, key: string): string | null {
  const v = mail.headers.get(key);
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const first: unknown = v[0];
    return typeof first === 'string' ? first : first && typeof first === 'object' && 'value' in first ? String(first.value) : '';
  }
  if (v instanceof Date) return v.toISOString();
  if ('value' in v && typeof v.value === 'string') return v.value;
  return '';
}

const localPart = (address: string) => address.split('@')[0] ?? '';

/** Why this mail is a machine's, or null for a person's. */
export function autoReason(mail: ParsedMail, envelopeFrom: string, fromAddress: string | null): { kind: MailKind; reason: string } | null {
  const contentType = (headerText(mail, 'content-type') ?? '').toLowerCase();
  const sender = fromAddress ?? envelopeFrom;
  if (contentType === 'multipart/report') return { kind: 'bounce', reason: 'Content-Type: multipart/report' };
  if (sender && BOUNCE_SENDER.test(localPart(sender))) return { kind: 'bounce', reason: `sender ${sender}` };
  const auto = headerText(mail, 'auto-submitted');
  if (auto !== null && auto.trim().toLowerCase() !== 'no') return { kind: 'auto', reason: `Auto-Submitted: ${auto.trim().slice(0, 40)}` };
  const precedence = (headerText(mail, 'precedence') ?? '').trim().toLowerCase();
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return { kind: 'auto', reason: `Precedence: ${precedence}` };
  // From the raw lines: mailparser folds List-* headers into one `list` object.
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'list-id'])
    if (mail.headerLines.some((l) => l.key === h)) return { kind: 'auto', reason: `${h} header` };
  // RFC 5321: a null reverse path is what notifications and bounces use, so that nobody answers them.
  if (envelopeFrom === '') return { kind: 'auto', reason: 'null sender (MAIL FROM:<>)' };
  if (sender && ROBOT_SENDER.test(localPart(sender))) return { kind: 'auto', reason: `sender ${sender}` };
  return null;
}

function referencesOf(mail: ParsedMail): string[] {
  const refs = typeof mail.references === 'string' ? mail.references.split(/\s+/) : (mail.references ?? []);
  const ordered = [...(mail.inReplyTo ? mail.inReplyTo.split(/\s+/) : []), ...[...refs].reverse()];
  return [...new Set(ordered.map((r) => r.trim()).filter((r) => MESSAGE_ID.test(r)))].slice(0, MAX_REFERENCES);
}

/** What a bounce reports on: the Message-IDs of our mails it carries, and the remote server's diagnostic. */
function bounceOf(mail: ParsedMail, references: string[]): { messageIds: string[]; reason: string } {
  const ids = new Set(references);
  let status = '';
  let diagnostic = '';
  for (const a of mail.attachments) {
    const type = a.contentType.toLowerCase();
    const head = a.content.subarray(0, 64 * 1024).toString('utf8');
    if (type === 'message/rfc822' || type === 'text/rfc822-headers' || type === 'message/rfc822-headers') {
      const m = /^message-id:\s*(<[^<>\s]{1,900}>)/im.exec(head);
      if (m?.[1]) ids.add(m[1]);
    }
    if (type === 'message/delivery-status' || type === 'message/global-delivery-status') {
      status ||= /^status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(head)?.[1] ?? '';
      diagnostic ||= /^diagnostic-code:\s*[^;\r\n]*;\s*([^\r\n]+)/im.exec(head)?.[1]?.trim() ?? '';
    }
  }
  const detail = [status, diagnostic].filter(Boolean).join(' ') || 'the recipient’s mail server returned the message';
  return { messageIds: [...ids].slice(0, MAX_REFERENCES), reason: `Bounced: ${detail}`.slice(0, 500) };
}

/** Parses a raw mail; throws on what mailparser cannot read. */
export async function parseInboundMail(raw: Buffer, envelopeFrom: string): Promise<InboundMail> {
  const mail = await simpleParser(raw, PARSER_OPTIONS);
  const sender = mail.from?.value.find((v) => v.address && /^[^@\s]+@[^@\s]+$/.test(v.address));
  const from = sender?.address ? { address: sender.address.toLowerCase().slice(0, 254), name: sender.name.trim().slice(0, 200) || undefined } : null;
  const references = referencesOf(mail);
  const subject = mail.subject?.replace(/\s+/g, ' ').trim().slice(0, 500) || null;
  const tag = subject ? /\[#(\d{1,9})\]/.exec(subject) : null;
  const machine = autoReason(mail, envelopeFrom, from?.address ?? null);
  const html = typeof mail.html === 'string' && mail.html ? sanitizeEmailHtml(mail.html) : null;
  const text = (mail.text ?? '').replace(/\r\n/g, '\n').trim();
  const messageId =
    mail.messageId && MESSAGE_ID.test(mail.messageId)
      ? mail.messageId
      : `<${createHash('sha256').update(raw).digest('hex').slice(0, 40)}@digest.rapport.invalid>`;
  return {
    from,
    subject,
    messageId,
    references,
    number: tag?.[1] ? Number(tag[1]) : undefined,
    body: text.slice(0, MAX_BODY_CHARS),
    html,
    attachments:
      machine === null
        ? mail.attachments.map((a) => ({ filename: a.filename ?? (a.cid ? `${a.cid}` : 'attachment'), contentType: a.contentType, content: a.content }))
        : [],
    kind: machine?.kind ?? 'human',
    autoReason: machine?.reason ?? null,
    bounce: machine?.kind === 'bounce' ? bounceOf(mail, references) : null,
  };
}
