// The email channel end to end, on both engines, with real mail: nodemailer sends into Rapport's
// SMTP server (port 0), and a local smtp-server plays the relay agents' replies go out through.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../platform/clock.js';
import { createTestApp, engines, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../../test/harness.js';

/** A relay for the test: keeps what it is given, answers 451 on demand, can be stopped and started on its port. */
async function openRelay() {
  const mails: ParsedMail[] = [];
  let failing = false;
  let refusing = false;
  let server: SMTPServer | null = null;
  let port = 0;
  const start = async () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      disableReverseLookup: true,
      logger: false,
      onRcptTo(_address, _session, callback) {
        callback(refusing ? Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }) : null);
      },
      onData(stream, _session, callback) {
        simpleParser(stream).then(
          (mail) => {
            if (failing) return callback(Object.assign(new Error('Greylisted, try again later'), { responseCode: 451 }));
            mails.push(mail);
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };
  await start();
  return {
    url: () => `smtp://127.0.0.1:${port}`,
    mails,
    setFailing: (on: boolean) => (failing = on),
    setRefusing: (on: boolean) => (refusing = on),
    start,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
type Relay = Awaited<ReturnType<typeof openRelay>>;

const smtpError = async (p: Promise<unknown>): Promise<number | undefined> => {
  try {
    await p;
    return 250;
  } catch (err) {
    return (err as { responseCode?: number }).responseCode;
  }
};

describe.each(engines)('email channel (%s)', (engine) => {
  let t: TestApp;
  let relay: Relay;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let port: number;
  const clock = createFakeClock('2026-12-02T09:00:00.000Z');

  beforeAll(async () => {
    relay = await openRelay();
    t = await createTestApp(engine, {
      clock,
      attachmentsDir: mkdtempSync(path.join(tmpdir(), 'rapport-email-')),
      mailDomain: 'mail.rapport.test',
      smtpRelayUrl: relay.url(),
      smtp: { maxBytes: 300_000 },
      attachmentMaxBytes: 200_000,
    });
    port = await t.rapport.services.email.smtp.listen(0, '127.0.0.1');
    a = await newWorkspace(t, 'Acme Shop');
    b = await newWorkspace(t, 'Bolt');
  });
  afterAll(async () => {
    await t?.close();
    await relay?.stop();
  });

  const client = () => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const send = (mail: SendMailOptions) => client().sendMail(mail);
  const addressOf = async (ws: TestWorkspace): Promise<string> => {
    const res = await t.request('GET', '/api/v1/inboxes', { token: ws.token });
    return res.body.data.find((i: { channel: string; isDefault: boolean }) => i.channel === 'email' && i.isDefault).address;
  };
  const conversations = async (ws: TestWorkspace) => (await t.request('GET', '/api/v1/conversations?limit=100', { token: ws.token })).body.data as any[];
  const messages = async (ws: TestWorkspace, id: string) =>
    (await t.request('GET', `/api/v1/conversations/${id}/messages?limit=100`, { token: ws.token })).body.data as any[];
  const deliver = async () => {
    await t.rapport.logs.drain();
    await t.rapport.jobs.drain();
  };

  it('turns a mail into a conversation of its sender, dedupes a re-delivery, threads replies by In-Reply-To and by [#n]', async () => {
    const ws = await newWorkspace(t, 'Threads');
    const to = await addressOf(ws);
    const kim = `${unique('kim')}@example.com`;
    const first = await send({
      from: { name: 'Kim Lee', address: kim },
      to: to.toUpperCase(), // addresses match case-insensitively
      subject: 'Parcel never arrived',
      text: 'Order 1042 has not arrived.',
      messageId: '<first-1042@example.com>',
    });
    expect(first.accepted).toHaveLength(1);
    const [conv, ...others] = await conversations(ws);
    expect(others).toHaveLength(0);
    expect(conv).toMatchObject({ channel: 'email', subject: 'Parcel never arrived', customer: { email: kim, name: 'Kim Lee' } });
    let msgs = await messages(ws, conv.id);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ body: 'Order 1042 has not arrived.', externalId: '<first-1042@example.com>', channel: 'email' });
    expect(msgs[0].author.type).toBe('customer');

    // The same Message-ID again (an MTA retrying after a lost 250): stored once.
    await send({ from: kim, to, subject: 'Parcel never arrived', text: 'Order 1042 has not arrived.', messageId: '<first-1042@example.com>' });
    expect(await messages(ws, conv.id)).toHaveLength(1);

    // A reply carrying In-Reply-To, with a subject that names nothing.
    await send({ from: kim, to, subject: 'hello?', text: 'Any news?', messageId: '<second@example.com>', inReplyTo: '<first-1042@example.com>' });
    // A reply by subject tag alone (a mail client that drops the headers).
    await send({ from: kim, to, subject: `Re: Parcel [#${conv.number}]`, text: 'Still waiting.', messageId: '<third@example.com>' });
    msgs = await messages(ws, conv.id);
    expect(msgs.map((m) => m.body)).toEqual(['Order 1042 has not arrived.', 'Any news?', 'Still waiting.']);

    // A stranger who guesses the number gets a conversation of their own.
    await send({ from: `${unique('eve')}@evil.test`, to, subject: `Re: [#${conv.number}]`, text: 'let me in', messageId: '<eve@evil.test>' });
    const all = await conversations(ws);
    expect(all).toHaveLength(2);
    expect((await messages(ws, conv.id)).some((m) => m.body === 'let me in')).toBe(false);
  });

  it('delivers one mail to the inboxes of two workspaces, each on its own', async () => {
    const [toA, toB] = [await addressOf(a), await addressOf(b)];
    const from = `${unique('both')}@example.com`;
    const info = await send({
      from,
      to: [toA, toB, `${unique('nobody')}@mail.rapport.test`],
      subject: 'To both',
      text: 'Hello both',
      messageId: `<both-${from}>`,
    });
    expect(info.accepted).toEqual([toA, toB]);
    expect(info.rejected).toHaveLength(1);
    for (const ws of [a, b]) {
      const conv = (await conversations(ws)).find((c) => c.customer.email === from);
      expect(conv).toMatchObject({ subject: 'To both' });
      expect((await messages(ws, conv.id)).map((m) => m.body)).toEqual(['Hello both']);
    }
  });

  it('stores attachments for the workspace’s agents only', async () => {
    const to = await addressOf(a);
    const from = `${unique('ann')}@example.com`;
    await send({
      from,
      to,
      subject: 'Receipt attached',
      text: 'See the receipt.',
      attachments: [{ filename: 'receipt.txt', content: 'total: 42 EUR', contentType: 'text/plain' }],
    });
    const conv = (await conversations(a)).find((c) => c.customer.email === from);
    const [msg] = await messages(a, conv.id);
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]).toMatchObject({ filename: 'receipt.txt', contentType: 'text/plain', size: 13 });
    const dl = await t.request('GET', msg.attachments[0].url, { token: a.token });
    expect(dl.status).toBe(200);
    expect(dl.text).toBe('total: 42 EUR');
    expect((await t.request('GET', msg.attachments[0].url, { token: b.token })).status).toBe(404);
    expect((await t.request('GET', msg.attachments[0].url)).status).toBe(401);

    // Attachments over the limit: the mail is refused whole (552), nothing is stored.
    const big = await smtpError(
      send({ from, to, subject: 'big', text: 'x', attachments: [{ filename: 'big.bin', content: Buffer.alloc(210_000, 1) }], messageId: '<big@example.com>' }),
    );
    expect(big).toBe(552);
    expect((await messages(a, conv.id)).length).toBe(1);
  });

  it('sanitises HTML: no script, event handler or javascript: URL survives; the text is kept', async () => {
    const to = await addressOf(a);
    const from = `${unique('html')}@example.com`;
    await send({
      from,
      to,
      subject: 'Styled',
      text: 'Plain version of the mail',
      html: `<html><head><style>body{background:url(https://t.example/x)}</style><script>alert(1)</script></head><body>
        <p onclick="alert(2)" style="color:red;background-image:url(javascript:alert(3))">Hello <b>there</b></p>
        <a href="javascript:alert(4)">click</a> <a href="https://shop.example/help" onmouseover="x()">help</a>
        <img src="http://tracker.example/p.gif" onerror="alert(5)"><img src="https://cdn.example/logo.png">
        <iframe src="https://evil.example"></iframe><form action="https://evil.example"><input name="pw"></form>
        <object data="x.swf"></object><svg onload="alert(6)"></svg><a href="JaVaScRiPt:alert(7)">x</a>
        <a href="java&#x09;script:alert(8)">tab</a><img src="cid:logo@acme"><img src="data:image/png;base64,iVBORw0KGgo=">
      </body></html>`,
    });
    const conv = (await conversations(a)).find((c) => c.customer.email === from);
    const [msg] = await messages(a, conv.id);
    expect(msg.body).toBe('Plain version of the mail');
    const html = String(msg.html);
    expect(html).toContain('Hello <b>there</b>');
    expect(html).toContain('href="https://shop.example/help"');
    expect(html).toContain('src="https://cdn.example/logo.png"');
    expect(html).toContain('color:red');
    expect(html).toContain('src="cid:logo@acme"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    for (const bad of [
      /<script/i,
      /<style/i,
      /<iframe/i,
      /<form/i,
      /<object/i,
      /<svg/i,
      /\son\w+\s*=/i,
      /javascript:/i,
      /script:/i,
      /data:/i,
      /http:\/\/tracker/,
      /url\(/i,
    ])
      expect(html).not.toMatch(bad);

    // HTML only: the text is made from it.
    const other = `${unique('htmlonly')}@example.com`;
    await send({ from: other, to, subject: 'Only HTML', html: '<p>Only <i>rich</i> text</p>' });
    const c2 = (await conversations(a)).find((c) => c.customer.email === other);
    const [m2] = await messages(a, c2.id);
    expect(m2.body).toMatch(/Only rich text/);
  });

  it('never lets automatic mail start an exchange: a storm of 20 auto-replies makes at most one message', async () => {
    const to = await addressOf(a);
    const robot = `${unique('ooo')}@example.com`;
    const before = (await conversations(a)).length;
    // 20 out-of-office replies that thread nowhere: nothing is stored.
    const unthreaded = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        smtpError(
          send({ from: robot, to, subject: 'Out of office', text: 'I am away', headers: { 'Auto-Submitted': 'auto-replied' }, messageId: `<ooo${i}@x>` }),
        ),
      ),
    );
    expect(unthreaded.every((c) => c === 250 || c === 451)).toBe(true);
    expect((await conversations(a)).length).toBe(before);

    // Every other kind of machine mail opens nothing either.
    const kinds: SendMailOptions[] = [
      { headers: { Precedence: 'bulk' } },
      { headers: { Precedence: 'junk' } },
      { headers: { Precedence: 'list' } },
      { headers: { 'X-Autoreply': 'yes' } },
      { headers: { 'X-Autorespond': 'yes' } },
      { headers: { 'List-Id': '<news.example.com>' } },
      { from: `mailer-daemon@${unique('mx')}.example` },
      { from: `postmaster@${unique('mx')}.example` },
      { from: `noreply@${unique('shop')}.example` },
      { envelope: { from: '', to } },
    ];
    for (const k of kinds) {
      expect(await smtpError(send({ from: `${unique('m')}@example.com`, to, subject: 'Notice', text: 'automatic', ...k }))).toBe(250);
      expect({ kind: k, conversations: (await conversations(a)).length }).toEqual({ kind: k, conversations: before });
    }

    // Mail from one of this server's own inbox addresses (an inbox forwarding into another) is a loop.
    const own = await addressOf(b);
    expect(await smtpError(send({ from: own, to, subject: 'Fwd: hello', text: 'looping' }))).toBe(250);
    expect((await conversations(a)).length).toBe(before);

    // A person writes; then their auto-responder answers 20 times in the thread: one message joins it.
    const person = `${unique('pat')}@example.com`;
    await send({ from: person, to, subject: 'Question', text: 'Do you ship to Norway?', messageId: `<q-${person}>` });
    const conv = (await conversations(a)).find((c) => c.customer.email === person);
    await t.request('PATCH', `/api/v1/conversations/${conv.id}`, { token: a.token, body: { status: 'resolved' } });
    const storm = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        smtpError(
          send({
            from: person,
            to,
            subject: 'Automatic reply: Question',
            text: 'I am on holiday',
            headers: { 'Auto-Submitted': 'auto-replied' },
            inReplyTo: `<q-${person}>`,
            messageId: `<storm${i}-${person}>`,
          }),
        ),
      ),
    );
    expect(storm.every((c) => c === 250 || c === 451)).toBe(true);
    // The question, and one automatic reply: the rest of the storm was refused (451) or dropped.
    const msgs = await messages(a, conv.id);
    expect(msgs.map((m) => m.body)).toEqual(['Do you ship to Norway?', 'I am on holiday']);
    // Shown as automatic (a system message): the resolved conversation stays resolved.
    expect(msgs.map((m) => m.author.type)).toEqual(['customer', 'system']);
    expect((await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: a.token })).body.status).toBe('resolved');
    expect((await conversations(a)).length).toBe(before + 1);
  });

  it('answers SMTP errors, and keeps serving: unknown or disabled recipient 550, malformed 554, oversize 552, too many 451', async () => {
    const to = await addressOf(a);
    const from = `${unique('err')}@example.com`;
    expect(await smtpError(send({ from, to: `${unique('nobody')}@mail.rapport.test`, subject: 'x', text: 'x' }))).toBe(550);
    const disabled = await t.request('POST', '/api/v1/inboxes', {
      token: a.token,
      body: { channel: 'email', address: `${unique('off')}@acme.test`, enabled: false },
    });
    expect(await smtpError(send({ from, to: disabled.body.address, subject: 'x', text: 'x' }))).toBe(550);

    // No From header at all, and one whose From is not an address.
    expect(await smtpError(send({ envelope: { from, to: [to] }, raw: 'Subject: no sender\r\n\r\nWho am I?\r\n' }))).toBe(554);
    expect(await smtpError(send({ envelope: { from, to: [to] }, raw: 'From: not an address\r\nSubject: x\r\n\r\nbody\r\n' }))).toBe(554);
    // A MIME tree past the parser's bounds (more than 250 parts) is refused, not parsed without end.
    const parts = Array.from({ length: 300 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    const tree = `From: ${from}\r\nTo: ${to}\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts}--p--\r\n`;
    expect(await smtpError(send({ envelope: { from, to: [to] }, raw: tree }))).toBe(554);
    // Over RAPPORT_SMTP_MAX_BYTES (300 KB here).
    const oversize = `From: ${from}\r\nTo: ${to}\r\nSubject: huge\r\n\r\n${'a'.repeat(76)}\r\n`.repeat(1).concat(`${'b'.repeat(76)}\r\n`.repeat(5000));
    expect(await smtpError(send({ envelope: { from, to: [to] }, raw: oversize }))).toBe(552);

    // Still serving.
    expect(await smtpError(send({ from, to, subject: 'fine', text: 'a real one' }))).toBe(250);

    // Per sender and inbox: 10 mails in 10 minutes, then 451 4.7.1 until the window passes.
    const busy = `${unique('busy')}@example.com`;
    const codes: Array<number | undefined> = [];
    for (let i = 0; i < 11; i++) codes.push(await smtpError(send({ from: busy, to, subject: `n${i}`, text: 'again' })));
    expect(codes.slice(0, 10).every((c) => c === 250)).toBe(true);
    expect(codes[10]).toBe(451);
    clock.advance(10 * 60_000 + 1);
    expect(await smtpError(send({ from: busy, to, subject: 'later', text: 'after the window' }))).toBe(250);
  });

  it('sends an agent reply through the relay, threaded; the customer’s answer threads back', async () => {
    const ws = await newWorkspace(t, 'Out Shop');
    const to = await addressOf(ws);
    const sam = `${unique('sam')}@example.com`;
    await send({ from: { name: 'Sam Ray', address: sam }, to, subject: 'Refund please', text: 'I want a refund.', messageId: `<r1-${sam}>` });
    const conv = (await conversations(ws)).find((c) => c.customer.email === sam);
    const reply = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Refund is on its way.' } });
    expect(reply.status).toBe(201);
    expect(reply.body.delivery.status).toBe('queued');
    await deliver();
    const out = relay.mails.find((m) => m.text?.includes('Refund is on its way.'));
    expect(out).toBeDefined();
    expect(out?.from?.value[0]).toMatchObject({ address: to, name: 'Out Shop' });
    expect(out?.to && !Array.isArray(out.to) ? out.to.value[0]?.address : null).toBe(sam);
    expect(out?.subject).toBe(`Re: Refund please [#${conv.number}]`);
    expect(out?.messageId).toMatch(/^<msg_[0-9a-f]+\.[0-9a-f]{16}@mail\.rapport\.test>$/);
    expect(out?.inReplyTo).toBe(`<r1-${sam}>`);
    expect(out?.references).toBe(`<r1-${sam}>`);
    const sent = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
    expect(sent.body.delivery).toMatchObject({ status: 'sent', attempts: 1, error: null });
    expect(sent.body.externalId).toBe(out?.messageId);

    // The customer answers the reply (a new subject, only the headers thread it).
    await send({
      from: sam,
      to,
      subject: 'Thanks',
      text: 'Got it, thanks!',
      messageId: `<r2-${sam}>`,
      inReplyTo: out?.messageId,
      references: [`<r1-${sam}>`, out?.messageId ?? ''],
    });
    expect((await messages(ws, conv.id)).map((m) => m.body)).toEqual(['I want a refund.', 'Refund is on its way.', 'Got it, thanks!']);

    // A second reply: In-Reply-To the customer's latest, References the whole chain.
    const second = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'You are welcome.' } });
    await deliver();
    const out2 = relay.mails.find((m) => m.text?.includes('You are welcome.'));
    expect(out2?.inReplyTo).toBe(`<r2-${sam}>`);
    expect(out2?.references).toEqual([`<r1-${sam}>`, out?.messageId, `<r2-${sam}>`]);
    expect(out2?.subject).toBe(`Re: Refund please [#${conv.number}]`);
    expect((await t.request('GET', `/api/v1/messages/${second.body.id}`, { token: ws.token })).body.delivery.status).toBe('sent');

    // The inbox's fromName is the display name when set.
    const inbox = (await t.request('GET', '/api/v1/inboxes', { token: ws.token })).body.data.find((i: { address: string }) => i.address === to);
    await t.request('PATCH', `/api/v1/inboxes/${inbox.id}`, { token: ws.token, body: { settings: { fromName: 'Out Shop Support' } } });
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Signed by the team.' } });
    await deliver();
    expect(relay.mails.find((m) => m.text?.includes('Signed by the team.'))?.from?.value[0]?.name).toBe('Out Shop Support');
  });

  it('retries while the relay is down or answers 4xx, then delivers; a bounce marks the reply failed', async () => {
    const ws = await newWorkspace(t, 'Retry Shop');
    const to = await addressOf(ws);
    const lou = `${unique('lou')}@example.com`;
    await send({ from: lou, to, subject: 'Where is it', text: 'Where is my order?', messageId: `<w1-${lou}>` });
    const conv = (await conversations(ws)).find((c) => c.customer.email === lou);

    await relay.stop(); // refuses connections
    const reply = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Shipped today.' } });
    await deliver();
    let msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
    expect(msg.body.delivery).toMatchObject({ status: 'queued', attempts: 1 });
    expect(msg.body.delivery.error).toMatch(/relay did not take the message/);

    await relay.start();
    relay.setFailing(true); // answers 451
    clock.advance(60_000);
    await deliver();
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
    expect(msg.body.delivery).toMatchObject({ status: 'queued', attempts: 2 });
    expect(msg.body.delivery.error).toMatch(/451/);

    relay.setFailing(false);
    clock.advance(60_000);
    await deliver();
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
    expect(msg.body.delivery).toMatchObject({ status: 'sent', attempts: 3, error: null });
    expect(relay.mails.filter((m) => m.text?.includes('Shipped today.'))).toHaveLength(1);

    // The customer's server bounces it later: a delivery status notification naming our Message-ID.
    const ourId = msg.body.externalId as string;
    const dsn = [
      `From: Mail Delivery System <mailer-daemon@mx.example.com>`,
      `To: ${to}`,
      `Subject: Undelivered Mail Returned to Sender`,
      `Message-ID: <dsn-${lou}>`,
      `MIME-Version: 1.0`,
      `Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
      ``,
      `--b1`,
      `Content-Type: text/plain`,
      ``,
      `Your message could not be delivered.`,
      `--b1`,
      `Content-Type: message/delivery-status`,
      ``,
      `Reporting-MTA: dns; mx.example.com`,
      ``,
      `Final-Recipient: rfc822; ${lou}`,
      `Action: failed`,
      `Status: 5.1.1`,
      `Diagnostic-Code: smtp; 550 5.1.1 user unknown`,
      `--b1`,
      `Content-Type: text/rfc822-headers`,
      ``,
      `Message-ID: ${ourId}`,
      `Subject: Re: Where is it [#${conv.number}]`,
      `--b1--`,
      ``,
    ].join('\r\n');
    expect(await smtpError(send({ envelope: { from: '', to: [to] }, raw: dsn }))).toBe(250);
    msg = await t.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
    expect(msg.body.delivery.status).toBe('failed');
    expect(msg.body.delivery.error).toMatch(/Bounced: 5\.1\.1 550 5\.1\.1 user unknown/);
    expect(await conversations(ws)).toHaveLength(1);
    expect((await messages(ws, conv.id)).some((m) => /could not be delivered/.test(m.body))).toBe(false);

    // A relay that refuses the recipient for good (5xx): failed at once, with what it said.
    relay.setRefusing(true);
    const doomed = await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Will not arrive.' } });
    await deliver();
    relay.setRefusing(false);
    msg = await t.request('GET', `/api/v1/messages/${doomed.body.id}`, { token: ws.token });
    expect(msg.body.delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(msg.body.delivery.error).toMatch(/^The relay refused the message: 550 5\.1\.1 No such user here/);
  });
});

describe.each(engines)('email relay configuration (%s)', (engine) => {
  it('without a relay an email reply fails with the reason; with DKIM, replies and invitations are signed', async () => {
    const plain = await createTestApp(engine, { mailDomain: 'mail.rapport.test', smtp: { maxBytes: 100_000 } });
    const relay = await openRelay();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const signed = await createTestApp(engine, {
      mailDomain: 'mail.rapport.test',
      smtpRelayUrl: relay.url(),
      mailFrom: 'Rapport <rapport@acme.test>',
      dkim: { domain: 'acme.test', selector: 'rapport', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    try {
      for (const [app, name] of [
        [plain, 'No Relay'],
        [signed, 'Signed'],
      ] as const) {
        const ws = await newWorkspace(app, name);
        const p = await app.rapport.services.email.smtp.listen(0, '127.0.0.1');
        const inbox = (await app.request('GET', '/api/v1/inboxes', { token: ws.token })).body.data[0].address as string;
        const from = `${unique('c')}@example.com`;
        await nodemailer
          .createTransport({ host: '127.0.0.1', port: p, secure: false, ignoreTLS: true })
          .sendMail({ from, to: inbox, subject: 'Hi', text: 'Hello' });
        const conv = (await app.request('GET', '/api/v1/conversations', { token: ws.token })).body.data[0];
        const reply = await app.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: `Reply from ${name}` } });
        await app.rapport.logs.drain();
        await app.rapport.jobs.drain();
        const msg = await app.request('GET', `/api/v1/messages/${reply.body.id}`, { token: ws.token });
        if (app === plain) {
          expect(msg.body.delivery).toMatchObject({ status: 'failed', error: 'no SMTP relay configured (RAPPORT_SMTP_RELAY_URL)', attempts: 1 });
        } else {
          expect(msg.body.delivery.status).toBe('sent');
          const out = relay.mails.find((m) => m.text?.includes('Reply from Signed'));
          expect(String(out?.headerLines.find((h) => h.key === 'dkim-signature')?.line)).toMatch(/d=acme\.test;[\s\S]*s=rapport;/);
          // Platform mail (an invitation) goes through the same relay, signed the same way.
          const invited = `${unique('new')}@example.com`;
          expect((await app.request('POST', '/api/v1/members', { token: ws.token, body: { email: invited, role: 'agent' } })).status).toBe(201);
          await app.rapport.jobs.drain();
          const invitation = relay.mails.find((m) => !Array.isArray(m.to) && m.to?.value[0]?.address === invited);
          expect(invitation).toBeDefined();
          expect(String(invitation?.headerLines.find((h) => h.key === 'dkim-signature')?.line)).toMatch(/d=acme\.test;[\s\S]*s=rapport;/);
        }
      }
    } finally {
      await plain.close();
      await signed.close();
      await relay.stop();
    }
  });
});
