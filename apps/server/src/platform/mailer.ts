// Outgoing mail: one SMTP transport for everything Rapport sends — its own messages (invitations,
// password resets, webhook notices) and agents' replies on email conversations (the email channel's
// sender). With RAPPORT_SMTP_RELAY_URL the mail goes through that relay (nodemailer), DKIM-signed
// when a key is configured; without one Rapport's own mail is written as an .eml file under the data
// folder, so a self-hosted operator can still deliver it by hand and no credential it carries ever
// lands in a log line.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type DKIMOptions, type SendMailOptions, type SMTPSentMessageInfo, type Transporter } from 'nodemailer';
import { newId } from './ids.js';

export type Mail = { to: string; subject: string; text: string; html?: string };
export type Mailer = { send(mail: Mail): Promise<{ delivery: 'relay' | 'file' | 'dropped'; ref: string }> };

type Logger = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

export type DkimConfig = { domain: string; selector: string; privateKey: string };

/** The relay, shared by every sender of the process; null when no relay is configured. */
export type MailTransport = {
  sendMail(mail: SendMailOptions): Promise<SMTPSentMessageInfo>;
  close(): void;
};

/** A PEM key as given, or read from the file it names. */
export function readPrivateKey(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith('-----BEGIN')) return trimmed.replace(/\\n/g, '\n');
  if (!existsSync(trimmed)) throw new Error('RAPPORT_DKIM_PRIVATE_KEY is neither a PEM key nor a readable file');
  return readFileSync(trimmed, 'utf8');
}

export function dkimOptions(dkim: DkimConfig | null | undefined): DKIMOptions | undefined {
  return dkim ? { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey } : undefined;
}

export function createMailTransport(opts: { relayUrl?: string | undefined; dkim?: DkimConfig | null | undefined }): MailTransport | null {
  if (!opts.relayUrl) return null;
  const dkim = dkimOptions(opts.dkim);
  const transport: Transporter<SMTPSentMessageInfo> = nodemailer.createTransport({
    url: opts.relayUrl,
    // A delivery job must not hang for nodemailer's two-minute defaults: a slow relay is retried.
    connectionTimeout: 20_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    ...(dkim ? { dkim } : {}),
  });
  return { sendMail: (mail) => transport.sendMail(mail), close: () => transport.close() };
}

export function createMailer(opts: {
  relayUrl?: string | undefined;
  /** The process's relay (createMailTransport); built from relayUrl when not given. */
  transport?: MailTransport | null;
  dkim?: DkimConfig | null | undefined;
  from: string;
  dir?: string | null | undefined;
  logger: Logger;
}): Mailer {
  const transport = opts.transport === undefined ? createMailTransport({ relayUrl: opts.relayUrl, dkim: opts.dkim }) : opts.transport;
  if (transport) {
    return {
      async send(mail) {
        const info = await transport.sendMail({ from: opts.from, ...mail });
        return { delivery: 'relay', ref: String(info.messageId) };
      },
    };
  }
  const dkim = dkimOptions(opts.dkim);
  const file = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix', ...(dkim ? { dkim } : {}) });
  return {
    async send(mail) {
      if (!opts.dir) {
        opts.logger.warn({ to: mail.to, subject: mail.subject }, 'mail not delivered: set RAPPORT_SMTP_RELAY_URL');
        return { delivery: 'dropped', ref: '' };
      }
      const info = await file.sendMail({ from: opts.from, ...mail });
      if (!Buffer.isBuffer(info.message)) throw new Error('the mail was not rendered into a buffer');
      mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
      const target = path.join(opts.dir, `${newId('mail')}.eml`);
      writeFileSync(target, info.message, { mode: 0o600 });
      opts.logger.info({ to: mail.to, subject: mail.subject, file: target }, 'mail written to the outbox folder (set RAPPORT_SMTP_RELAY_URL to deliver)');
      return { delivery: 'file', ref: target };
    },
  };
}
