// A real SMTP server on 127.0.0.1 for tests: Rapport relays through it with nodemailer and the
// test reads what arrived, parsed by mailparser, the way a person's mailbox would see it.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type Mailbox = {
  relayUrl: string;
  mails: ParsedMail[];
  /** Mails to one address, oldest first. */
  to(address: string): ParsedMail[];
  /** The invitation token of the newest invitation mailed to the address. */
  inviteToken(address: string): string;
  close(): Promise<void>;
};

export async function openMailbox(): Promise<Mailbox> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const to = (address: string) =>
    mails.filter((m) => {
      const list = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
      return list.some((a) => a.value.some((v) => v.address?.toLowerCase() === address.toLowerCase()));
    });
  return {
    relayUrl: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    inviteToken(address) {
      const last = to(address).at(-1);
      const match = /\/invite#([A-Za-z0-9_-]+)/.exec(last?.text ?? '');
      if (!match?.[1]) throw new Error(`no invitation mailed to ${address} (${mails.length} mails in all)`);
      return match[1];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
