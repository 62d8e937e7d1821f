// Security review (channels, widget, feelings), on both engines with real mail. Finding: any
// workspace could claim the server's own address as an email inbox — the From of invitations,
// password resets and the chat replies mailed to the visitors of every workspace — and so read
// the answers people of other workspaces send to those mails (quoting the other workspace's
// conversation), or claim postmaster@/abuse@ of the server's mail domain.
import { mkdtempSync } from 'node:fs';
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
    for (const address of ['hello@rapport.test', 'HELLO@rapport.test', 'postmaster@mail.rapport.test', 'abuse@rapport.test', 'mailer-daemon@mail.rapport.test']) {
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
    expect(await smtpCode(send({ from: 'visitor@example.com', to: 'hello@rapport.test', subject: 'Re: Acme replied to your chat', text: 'my card is 4111…' }))).toBe(550);
    // A visitor of A who left A's inbox address as theirs: Rapport's mail of A's reply does not open a conversation.
    const inboxes = await t.request('GET', '/api/v1/inboxes', { token: a.token });
    const to = (inboxes.body.data as Array<{ channel: string; isDefault: boolean; address: string }>).find((i) => i.channel === 'email' && i.isDefault)?.address;
    expect(to).toBeTruthy();
    const before = (await conversations(a)).length;
    expect(await smtpCode(send({ from: MAIL_FROM, to, subject: 'Acme replied to your chat', text: 'Acme replied: …' }))).toBe(250);
    expect((await conversations(a)).length).toBe(before);
    // A person's mail still lands.
    expect(await smtpCode(send({ from: `${unique('pat')}@example.com`, to, subject: 'Hello', text: 'A real question' }))).toBe(250);
    expect((await conversations(a)).length).toBe(before + 1);
  });
});
