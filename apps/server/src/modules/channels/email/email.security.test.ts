// Security review (channels, widget, feelings), on both engines with real mail. Finding: any
// workspace could claim the server's own address as an email inbox — the From of invitations,
// password resets and the chat replies mailed to the visitors of every workspace — and so read
// the answers people of other workspaces send to those mails (quoting the other workspace's
// conversation), or claim postmaster@/abuse@ of the server's mail domain. Finding: every mail in
// transfer is held in memory up to the size limit, and 200 clients could send at once (5 GiB with
// the default 25 MiB): one stranger could exhaust the server's memory; now the mails in transfer
// at once are bounded by a memory budget, and the rest are told to retry (451). Finding: a
// workspace's attachments had no bound, so anyone could fill the shared data folder by mailing a
// (public) inbox address from ever new senders; each workspace now has an attachment quota (552).
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../platform/clock.js';
import { createTestApp, engines, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../../test/harness.js';

const MAIL_FROM = 'Rapport <hello@rapport.test>';

describe.each(engines)('email security (%s)', (engine) => {
  let t: TestApp;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let port: number;
  const clock = createFakeClock('2026-12-03T09:00:00.000Z');

  beforeAll(async () => {
    t = await createTestApp(engine, {
      clock,
      attachmentsDir: mkdtempSync(path.join(tmpdir(), 'rapport-email-sec-')),
      mailDomain: 'mail.rapport.test',
      mailFrom: MAIL_FROM,
    });
    port = await t.rapport.services.email.smtp.listen(0, '127.0.0.1');
    a = await newWorkspace(t, 'Sec Acme');
    b = await newWorkspace(t, 'Sec Mallory');
  });
  afterAll(async () => t?.close());

  const send = (mail: SendMailOptions) => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail(mail);
  const smtpCode = async (p: Promise<unknown>): Promise<number | undefined> => {
    try {
      await p;
      return 250;
    } catch (err) {
      return (err as { responseCode?: number }).responseCode;
    }
  };
  const conversations = async (ws: TestWorkspace) => (await t.request('GET', '/api/v1/conversations?limit=100', { token: ws.token })).body.data as unknown[];

  it("refuses to let a workspace claim the server's own From or role mailboxes (409), on create and on change", async () => {
    for (const address of [
      'hello@rapport.test',
      'HELLO@rapport.test',
      'postmaster@mail.rapport.test',
      'abuse@rapport.test',
      'mailer-daemon@mail.rapport.test',
    ]) {
      const res = await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'email', address } });
      expect({ address, status: res.status }).toEqual({ address, status: 409 });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const mine = await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'email', address: `${unique('desk')}@mallory.test` } });
    expect(mine.status).toBe(201);
    const moved = await t.request('PATCH', `/api/v1/inboxes/${mine.body.id}`, { token: b.token, body: { address: 'hello@rapport.test' } });
    expect(moved.status).toBe(409);
    // Other addresses of the mail domain are still anyone's to claim.
    const fine = await t.request('POST', '/api/v1/inboxes', { token: b.token, body: { channel: 'email', address: `${unique('help')}@mail.rapport.test` } });
    expect(fine.status).toBe(201);
  });

  it("takes no mail for the server's own address, and drops mail from it as a loop", async () => {
    // A reply to a chat reply Rapport mailed for workspace A reaches no workspace.
    expect(
      await smtpCode(send({ from: 'visitor@example.com', to: 'hello@rapport.test', subject: 'Re: Acme replied to your chat', text: 'my card is 4111…' })),
    ).toBe(550);
    // A visitor of A who left A's inbox address as theirs: Rapport's mail of A's reply does not open a conversation.
    const inboxes = await t.request('GET', '/api/v1/inboxes', { token: a.token });
    const to = (inboxes.body.data as Array<{ channel: string; isDefault: boolean; address: string }>).find(
      (i) => i.channel === 'email' && i.isDefault,
    )?.address;
    expect(to).toBeTruthy();
    const before = (await conversations(a)).length;
    expect(await smtpCode(send({ from: MAIL_FROM, to, subject: 'Acme replied to your chat', text: 'Acme replied: …' }))).toBe(250);
    expect((await conversations(a)).length).toBe(before);
    // A person's mail still lands.
    expect(await smtpCode(send({ from: `${unique('pat')}@example.com`, to, subject: 'Hello', text: 'A real question' }))).toBe(250);
    expect((await conversations(a)).length).toBe(before + 1);
  });
});

/** A bare SMTP client: each call sends one line (or a block) and resolves with the next reply's code. */
async function rawSmtp(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  const waiting: Array<(code: number) => void> = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    // A reply ends with a line "NNN text" (a dash after the code continues it).
    for (let m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buffer); m; m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buffer)) {
      buffer = buffer.slice(m.index + m[0].length);
      waiting.shift()?.(Number(m[1]));
    }
  });
  const next = () => new Promise<number>((resolve) => waiting.push(resolve));
  const greeting = next();
  expect(await greeting).toBe(220);
  const say = (text: string) => {
    const reply = next();
    socket.write(text);
    return reply;
  };
  return {
    /** EHLO, MAIL FROM, RCPT TO, DATA: resolves once the server said 354. */
    async open(from: string, to: string) {
      expect(await say('EHLO test.example\r\n')).toBe(250);
      expect(await say(`MAIL FROM:<${from}>\r\n`)).toBe(250);
      expect(await say(`RCPT TO:<${to}>\r\n`)).toBe(250);
      expect(await say('DATA\r\n')).toBe(354);
    },
    /** Part of the mail, no reply expected. */
    write: (text: string) => socket.write(text),
    /** The end of the mail: resolves with the server's answer to it. */
    end: (text: string) => say(`${text}\r\n.\r\n`),
    destroy: () => socket.destroy(),
    quit: () => socket.end('QUIT\r\n'),
  };
}

describe.each(engines)('email security: mails in transfer (%s)', (engine) => {
  let t: TestApp;
  let a: TestWorkspace;
  let port: number;
  let to: string;
  beforeAll(async () => {
    // A 256 MiB limit: the 512 MiB budget takes two such mails at once.
    t = await createTestApp(engine, {
      attachmentsDir: mkdtempSync(path.join(tmpdir(), 'rapport-email-sec-')),
      mailDomain: 'mail.rapport.test',
      smtp: { maxBytes: 256 * 1024 * 1024, senderLimit: 1000 },
    });
    port = await t.rapport.services.email.smtp.listen(0, '127.0.0.1');
    a = await newWorkspace(t, 'Sec Transfer');
    const inboxes = await t.request('GET', '/api/v1/inboxes', { token: a.token });
    to =
      (inboxes.body.data as Array<{ channel: string; isDefault: boolean; address: string }>).find((i) => i.channel === 'email' && i.isDefault)?.address ?? '';
  });
  afterAll(async () => t?.close());

  const mail = (from: string) => `From: ${from}\r\nTo: ${to}\r\nSubject: Hello\r\n\r\nA question`;

  it('holds at most the budget of mails in transfer; the next one is told to retry (451), and places free up', async () => {
    const first = await rawSmtp(port);
    const second = await rawSmtp(port);
    await first.open('one@example.com', to);
    await second.open('two@example.com', to);
    first.write(`${mail('one@example.com')}\r\n${'x'.repeat(100_000)}`);
    second.write(mail('two@example.com'));

    const third = await rawSmtp(port);
    await third.open('three@example.com', to);
    expect(await third.end(mail('three@example.com'))).toBe(451);

    // A mail that ends frees its place.
    expect(await first.end('')).toBe(250);
    await third.open('three@example.com', to);
    expect(await third.end(mail('three@example.com'))).toBe(250);

    // So does a client that goes away mid-mail (the server notices the close on its own time).
    second.destroy();
    let code = 0;
    for (let i = 0; i < 50 && code !== 250; i++) {
      const late = await rawSmtp(port);
      const holder = await rawSmtp(port);
      await holder.open('holder@example.com', to);
      await late.open('late@example.com', to);
      code = await late.end(mail('late@example.com'));
      expect(await holder.end(mail('holder@example.com'))).toBe(250);
      late.quit();
      holder.quit();
    }
    expect(code).toBe(250);
    first.quit();
    third.quit();
  });
});

describe.each(engines)('email security: attachment storage per workspace (%s)', (engine) => {
  let t: TestApp;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp(engine, {
      attachmentsDir: mkdtempSync(path.join(tmpdir(), 'rapport-email-sec-')),
      mailDomain: 'mail.rapport.test',
      smtp: { maxBytes: 300_000, senderLimit: 1000 },
      attachmentMaxBytes: 100_000,
      attachmentQuotaBytes: 150_000,
    });
    port = await t.rapport.services.email.smtp.listen(0, '127.0.0.1');
    a = await newWorkspace(t, 'Sec Quota A');
    b = await newWorkspace(t, 'Sec Quota B');
  });
  afterAll(async () => t?.close());

  const addressOf = async (ws: TestWorkspace) =>
    ((await t.request('GET', '/api/v1/inboxes', { token: ws.token })).body.data as Array<{ channel: string; isDefault: boolean; address: string }>).find(
      (i) => i.channel === 'email' && i.isDefault,
    )?.address ?? '';
  const mailWith = async (to: string, bytes: number) => {
    try {
      await nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
        from: `${unique('filler')}@example.com`,
        to,
        subject: 'Files',
        text: 'see attached',
        ...(bytes > 0 ? { attachments: [{ filename: 'big.bin', content: Buffer.alloc(bytes, 7) }] } : {}),
      });
      return 250;
    } catch (err) {
      return (err as { responseCode?: number }).responseCode;
    }
  };
  const count = async (ws: TestWorkspace) => ((await t.request('GET', '/api/v1/conversations?limit=100', { token: ws.token })).body.data as unknown[]).length;

  it("refuses attachments past the workspace's quota (552), from any sender; text still lands; other workspaces are unaffected", async () => {
    const toA = await addressOf(a);
    expect(await mailWith(toA, 90_000)).toBe(250);
    // A new sender each time: the per-sender limit is no bound on what one stranger stores.
    expect(await mailWith(toA, 90_000)).toBe(552);
    expect(await count(a)).toBe(1);
    expect(await mailWith(toA, 0)).toBe(250);
    expect(await count(a)).toBe(2);
    expect(await mailWith(await addressOf(b), 90_000)).toBe(250);
    expect(await count(b)).toBe(1);
  });
});
