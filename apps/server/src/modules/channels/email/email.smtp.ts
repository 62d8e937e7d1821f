// Email in: an SMTP server (the MX for the inboxes' addresses, or the target of a forward). RCPT TO
// takes only addresses of enabled email inboxes; DATA is parsed, loop-checked and threaded, and
// answered 250 only once the message is committed (or knowingly dropped). Every failure is an SMTP
// reply, never a crash: the server keeps serving.
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Clock } from '../../../platform/clock.js';
import { AppError } from '../../../platform/errors.js';
import { createRateLimiter } from '../../../platform/rate-limit.js';
import type { Inbound } from '../inbound.js';
import type { InboxRecord, InboxesService } from '../inboxes.service.js';
import type { Outbound } from '../outbound.js';
import { parseInboundMail, type InboundMail } from './email.parse.js';

type Logger = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

export type SmtpOptions = {
  /** Largest mail accepted, in bytes (advertised as SIZE; above it: 552). */
  maxBytes: number;
  /** Mails one sender may send one inbox per 10 minutes (above it: 451 4.7.1). */
  senderLimit: number;
  /** The name in the greeting and EHLO answer. */
  hostname: string;
  /** PEM key and certificate: STARTTLS is offered only with both. */
  tls?: { key: string; cert: string } | null;
};

export type SmtpResult = { stored: number; dropped: number; bounces: number };

const WINDOW_MS = 10 * 60_000;
const MAX_RECIPIENTS = 50;
/**
 * Memory for mails being received at once: each is held (up to maxBytes) until it is stored, so
 * at most this budget over maxBytes of them are taken together (the rest get 451, and retry).
 * Without it, 200 clients streaming 25 MiB each made 5 GiB.
 */
const TRANSFER_BUDGET_BYTES = 512 * 1024 * 1024;

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export function createSmtpInbound(deps: { inboxes: InboxesService; inbound: Inbound; outbound: Outbound; clock: Clock; logger: Logger; options: SmtpOptions }) {
  const { inboxes, inbound, outbound, clock, logger, options } = deps;
  const senders = createRateLimiter({ max: options.senderLimit, windowMs: WINDOW_MS, now: () => clock.nowMs() });
  // Automatic mail may add to a thread at most once per sender and inbox in the window: an
  // out-of-office storm, or two auto-responders answering each other, makes one message.
  const autoReplies = createRateLimiter({ max: 1, windowMs: WINDOW_MS, now: () => clock.nowMs() });
  const maxTransfers = Math.max(2, Math.floor(TRANSFER_BUDGET_BYTES / options.maxBytes));
  /** Sessions whose mail is being received or stored. */
  const transfers = new Set<string>();

  const inboxOf = async (address: string): Promise<InboxRecord | null> => {
    const inbox = await inboxes.findByAddress('email', address.trim().toLowerCase());
    return inbox?.enabled ? inbox : null;
  };

  /** One parsed mail into one inbox: stored, dropped (automatic and unthreaded) or a bounce noted. */
  async function deliverTo(inbox: InboxRecord, mail: InboundMail, result: SmtpResult) {
    const from = mail.from;
    if (!from) return;
    // Mail from one of our own addresses is a loop (an inbox forwarding to another, a reply bounced
    // back, a chat reply mailed to a visitor who gave an inbox address as theirs).
    if (inboxes.isServerAddress(from.address) || (await inboxes.findByAddress('email', from.address))) {
      logger.info({ inboxId: inbox.id, reason: 'from an inbox address' }, 'inbound mail dropped');
      result.dropped++;
      return;
    }
    if (mail.kind === 'bounce') {
      // A bounce is never a message; when it names one of our replies, that reply failed.
      for (const id of mail.bounce?.messageIds ?? [])
        await outbound.updateDelivery(inbox.workspaceId, { channel: 'email', externalId: id }, 'failed', mail.bounce?.reason ?? 'Bounced');
      result.bounces++;
      return;
    }
    const common = {
      inbox,
      contact: { email: from.address, ...(from.name ? { name: from.name } : {}) },
      message: { body: mail.body || '(no text)', html: mail.html, subject: mail.subject, externalId: mail.messageId, attachments: mail.attachments },
    };
    const thread = { referencedExternalIds: mail.references, ...(mail.number !== undefined ? { number: mail.number } : {}) };
    if (mail.kind === 'auto') {
      const key = `${inbox.id}:${from.address}`;
      if (autoReplies.retryAfter(key) > 0) {
        result.dropped++;
        return;
      }
      autoReplies.fail(key); // claimed before the write: parallel deliveries cannot all pass
      try {
        // As a system message: it reopens nothing, counts as no customer reply, and no rule answers it.
        await inbound.receive({ ...common, thread: { ...thread, onlyExisting: true }, authorType: 'system' });
        result.stored++;
      } catch (err) {
        autoReplies.forgive(key);
        if (err instanceof AppError && err.code === 'NOT_FOUND') {
          logger.info({ inboxId: inbox.id, reason: mail.autoReason }, 'automatic mail dropped: it threads into no conversation');
          result.dropped++;
          return;
        }
        throw err;
      }
      return;
    }
    await inbound.receive({ ...common, thread });
    result.stored++;
  }

  /** A whole mail for its recipients' inboxes; resolves once each is committed. For the SMTP server and the bench. */
  async function accept(raw: Buffer, envelope: { from: string; to: string[] }): Promise<SmtpResult> {
    let mail: InboundMail;
    try {
      mail = await parseInboundMail(raw, envelope.from);
    } catch (err) {
      throw smtpError(554, `5.6.0 The message could not be parsed: ${err instanceof Error ? err.message.slice(0, 100) : 'malformed'}`);
    }
    if (!mail.from) throw smtpError(554, '5.6.0 The message has no valid From address');
    const result: SmtpResult = { stored: 0, dropped: 0, bounces: 0 };
    const seen = new Set<string>();
    for (const address of envelope.to) {
      const inbox = await inboxOf(address);
      if (!inbox || seen.has(inbox.id)) continue;
      seen.add(inbox.id);
      await deliverTo(inbox, mail, result);
    }
    return result;
  }

  const toSmtpError = (err: unknown, session: SMTPServerSession) => {
    if (err instanceof Error && 'responseCode' in err) return err;
    if (err instanceof AppError && err.code === 'TOO_LARGE') return smtpError(552, `5.3.4 ${err.message}`);
    if (err instanceof AppError && (err.code === 'INVALID' || err.code === 'UNPROCESSABLE')) return smtpError(554, `5.6.0 ${err.message}`);
    logger.error({ err, session: session.id }, 'inbound mail could not be stored');
    return smtpError(451, '4.3.0 Temporary failure storing the message, try again later');
  };

  function onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void) {
    // smtp-server reads the rest of a refused mail before it answers.
    if (transfers.size >= maxTransfers) return callback(smtpError(451, '4.3.1 Too many mails in transfer at once, try again later'));
    transfers.add(session.id);
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    const answer = (err: Error | null, message?: string) => {
      if (answered) return;
      answered = true;
      transfers.delete(session.id);
      callback(err, message);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= options.maxBytes) chunks.push(chunk);
    });
    stream.on('error', (err) => answer(toSmtpError(err, session)));
    stream.on('end', () => {
      if (stream.sizeExceeded || size > options.maxBytes) return answer(smtpError(552, `5.3.4 The message exceeds the ${options.maxBytes} byte limit`));
      const envelope = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
      };
      accept(Buffer.concat(chunks), envelope).then(
        (r) => answer(null, r.stored > 0 || r.bounces > 0 ? '2.6.0 Message accepted' : '2.6.0 Message accepted (not stored)'),
        (err: unknown) => answer(toSmtpError(err, session)),
      );
    });
  }

  let server: SMTPServer | null = null;

  return {
    accept,
    /** Starts the SMTP server; resolves with the port it listens on (port 0: a free one). */
    async listen(port: number, host: string): Promise<number> {
      if (server) throw new Error('the SMTP server is already listening');
      const tls = options.tls ?? null;
      const s = new SMTPServer({
        name: options.hostname,
        banner: 'Rapport ESMTP',
        size: options.maxBytes,
        rejectOversized: true,
        authOptional: true,
        disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
        ...(tls ? { key: tls.key, cert: tls.cert } : {}),
        // Our own enhanced status codes (5.1.1, 4.7.1, …) are in the messages below.
        hideENHANCEDSTATUSCODES: true,
        disableReverseLookup: true,
        maxClients: 200,
        maxRecipients: MAX_RECIPIENTS,
        socketTimeout: 60_000,
        // On shutdown, a client mid-mail gets this long to finish (well inside the CLI's 10 s limit), then 421.
        closeTimeout: 3_000,
        logger: false,
        onRcptTo(address, session, callback) {
          inboxOf(address.address).then(
            (inbox) => {
              if (!inbox) return callback(smtpError(550, `5.1.1 <${address.address.slice(0, 254)}>: mailbox unavailable`));
              const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
              const key = `${inbox.id}:${sender}`;
              const wait = senders.retryAfter(key);
              if (wait > 0) return callback(smtpError(451, `4.7.1 Too many messages from this sender, try again in ${wait} seconds`));
              senders.fail(key);
              callback();
            },
            (err: unknown) => callback(toSmtpError(err, session)),
          );
        },
        onData,
        // A client gone mid-mail frees its place (its mail is never answered).
        onClose(session) {
          transfers.delete(session.id);
        },
      });
      s.on('error', (err) => logger.warn({ err }, 'SMTP server error'));
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.listen(port, host, () => {
          s.server.off('error', reject);
          resolve();
        });
      });
      server = s;
      const address = s.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close(): Promise<void> {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
export type SmtpInbound = ReturnType<typeof createSmtpInbound>;
