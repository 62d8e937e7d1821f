// Outgoing mail for Rapport's own messages (invitations today). With RAPPORT_SMTP_RELAY_URL the
// mail goes through that relay (nodemailer); without one it is written as an .eml file under the
// data folder, so a self-hosted operator can still deliver it by hand and no credential it
// carries ever lands in a log line.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { newId } from './ids.js';

export type Mail = { to: string; subject: string; text: string; html?: string };
export type Mailer = { send(mail: Mail): Promise<{ delivery: 'relay' | 'file' | 'dropped'; ref: string }> };

type Logger = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

export function createMailer(opts: { relayUrl?: string | undefined; from: string; dir?: string | null | undefined; logger: Logger }): Mailer {
  if (opts.relayUrl) {
    const transport = nodemailer.createTransport(opts.relayUrl);
    return {
      async send(mail) {
        const info = await transport.sendMail({ from: opts.from, ...mail });
        return { delivery: 'relay', ref: String(info.messageId) };
      },
    };
  }
  const file = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
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
