// Channels in Chromium: inboxes in settings (per-channel fields, server field errors, write-only
// secrets, the chat widget snippet shown with its identity secret once), outgoing webhooks (the
// signing secret once, the delivery log against a real local receiver, redelivery), and an email
// conversation (its channel, the sanitised HTML with the quote folded, an attachment, the delivery
// state of a reply updated live).
import http from 'node:http';
import nodemailer from 'nodemailer';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, newConversation, newWorkspace, unique, type TestApp } from '../apps/server/src/test/harness.js';
import { openMailbox } from '../apps/server/src/test/mailbox.js';
import { launchBrowser, screenshot, seriousA11yViolations, signedIn, startServer } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Runs the log consumers and every due job until nothing is left to do now. */
async function settle(t: TestApp) {
  for (let i = 0; i < 20; i++) {
    await t.rapport.logs.drain();
    if ((await t.rapport.jobs.drain()) === 0) return;
  }
  throw new Error('jobs kept coming');
}

/** A webhook receiver on 127.0.0.1 that answers 200 with a short body. */
async function openReceiver() {
  const received: { path: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true,"handledBy":"crm-sync"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: (p: string) => `http://127.0.0.1:${port}${p}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function shoot(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshot(page, name);
}

describe.each(engines)('channels on %s', (engine) => {
  let t: TestApp;
  let base: string;
  let receiver: Awaited<ReturnType<typeof openReceiver>>;
  beforeAll(async () => {
    receiver = await openReceiver();
    ({ t, base } = await startServer({ webhookAllowHosts: '127.0.0.0/8', mailDomain: 'mail.shop.test' }, engine));
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('creates email, SMS and chat inboxes in settings; shows field errors, the snippet and the identity secret once; secrets never come back', async () => {
    const ws = await newWorkspace(t, 'Channels Co');
    await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Billing' } });
    const n = unique('');
    // A few inboxes made through the API, so the list looks like a real workspace's.
    for (const body of [
      {
        channel: 'whatsapp',
        name: 'WhatsApp orders',
        address: `+1415555${1000 + Math.floor(Math.random() * 9000)}`,
        secrets: { accessToken: 'EAAG-wa-token' },
      },
      { channel: 'api', name: 'Shop back end' },
    ])
      expect((await t.request('POST', '/api/v1/inboxes', { token: ws.token, body })).status).toBe(201);

    const o = await signedIn(browser, base, ws.email, '/settings/channels');
    const page = o.page;
    await page.getByRole('table', { name: 'Inboxes' }).waitFor();

    // Email: address and from name.
    const email = `help-${n}@shop.test`;
    const emailForm = page.getByRole('form', { name: 'New Email inbox' });
    await emailForm.getByLabel('Name', { exact: true }).fill('Support');
    await emailForm.getByLabel('Email address').fill(email);
    await emailForm.getByLabel('From name').fill('Shop Support');
    await emailForm.getByRole('button', { name: 'Create Email inbox' }).click();
    await page.getByTestId('inbox-created').getByText('“Support” created').waitFor();
    await page.getByTestId('email-guidance').getByText('RAPPORT_SMTP_RELAY_URL').waitFor();
    await page.getByTestId('inbox-row').filter({ hasText: email }).waitFor();

    // SMS: a bad number is refused by the server, and the error sits on the field.
    await page.getByRole('radio', { name: 'SMS' }).click();
    const smsForm = page.getByRole('form', { name: 'New SMS inbox' });
    await smsForm.getByLabel('Phone number').fill('12345');
    await smsForm.getByLabel('Auth token').fill('twilio-secret-token-value');
    await smsForm.getByRole('button', { name: 'Create SMS inbox' }).click();
    await smsForm.getByText('a number in E.164 form, such as +14155550100').first().waitFor();
    const number = `+1202555${String(Date.now() % 10_000).padStart(4, '0')}`;
    await smsForm.getByLabel('Phone number').fill(number);
    await smsForm.getByLabel('Account SID').fill('AC0123456789abcdef');
    await smsForm.getByRole('button', { name: 'Create SMS inbox' }).click();
    const created = page.getByTestId('inbox-created');
    await created
      .getByRole('status')
      .getByText(/^SMS inbox/)
      .waitFor();
    const urls = await created.getByTestId('webhook-url').allTextContents();
    expect(urls).toHaveLength(2);
    expect(urls[0]).toMatch(new RegExp(`^${base}/channels/twilio/inb_[\\w]+/sms$`));
    expect(urls[1]).toMatch(/\/channels\/twilio\/inb_\w+\/status$/);
    const smsRow = page.getByTestId('inbox-row').filter({ hasText: number });
    await smsRow.getByText('auth token set').waitFor();

    // Chat: colour and greeting preview live as they are typed.
    await page.getByRole('radio', { name: 'Chat' }).click();
    const chatForm = page.getByRole('form', { name: 'New Chat inbox' });
    await chatForm.getByLabel('Name', { exact: true }).fill('Website chat');
    await chatForm.getByLabel('Allowed origins').fill('https://shop.example');
    await chatForm.getByLabel('Colour').fill('#0b7285');
    await chatForm.getByLabel('Greeting').fill('Hello from the Shop team!');
    await chatForm.getByTestId('preview-greeting').getByText('Hello from the Shop team!').waitFor();
    await chatForm.getByRole('button', { name: 'Create Chat inbox' }).click();
    await created.getByText('“Website chat” created').waitFor();
    const identitySecret = (await created.getByTestId('secret-value').textContent()) ?? '';
    expect(identitySecret.length).toBeGreaterThanOrEqual(32);
    const snippet = (await created.getByTestId('widget-snippet').textContent()) ?? '';
    const chatId = /data-inbox="(inb_\w+)"/.exec(snippet)?.[1];
    expect(chatId).toBeTruthy();
    expect(snippet).toBe(`<script src="${base}/widget.js" data-workspace="${ws.workspaceId}" data-inbox="${chatId}" async></script>`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('region', { name: 'Add a channel' }).evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().top - 64));
    await shoot(page, 'channel-chat');
    expect(await seriousA11yViolations(page)).toEqual([]);
    const listed = await t.request('GET', `/api/v1/inboxes/${chatId}`, { token: ws.token });
    expect(listed.body).toMatchObject({
      channel: 'chat',
      secretsSet: ['identitySecret'],
      settings: { color: '#0b7285', greeting: 'Hello from the Shop team!', allowedOrigins: ['https://shop.example'] },
    });

    // After a reload no secret is on the page; the edit form says which are set and can replace one.
    await page.reload();
    await page.getByRole('table', { name: 'Inboxes' }).waitFor();
    await shoot(page, 'channels');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Edit Website chat' }).click();
    const edit = page.getByRole('form', { name: 'Edit Website chat' });
    await edit.getByTestId('widget-snippet').waitFor();
    await edit.getByTestId('widget-preview').waitFor();
    expect(await edit.getByTestId('secret-set').count()).toBe(1);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Close Website chat' }).click();
    const html = await page.content();
    for (const secret of [identitySecret, 'twilio-secret-token-value', 'EAAG-wa-token']) expect(html).not.toContain(secret);

    await smsRow.getByRole('button', { name: /^Edit/ }).click();
    const smsEdit = page.getByRole('form', { name: /^Edit SMS/ });
    await smsEdit.getByTestId('secret-set').waitFor();
    expect(await smsEdit.getByLabel('Auth token').inputValue()).toBe('');
    await smsEdit.getByLabel('Auth token').fill('a-new-token');
    await smsEdit.getByRole('button', { name: 'Save changes' }).click();
    await smsEdit.getByText('Saved.').waitFor();
    expect(await page.content()).not.toContain('a-new-token');

    // Turn the SMS inbox off, then delete it after confirming.
    // Centred first: at the top of the viewport the sticky app header would take the click.
    await smsRow.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await smsRow.getByRole('switch').click({ force: true });
    await expect
      .poll(
        async () => (await t.request('GET', '/api/v1/inboxes', { token: ws.token })).body.data.find((i: { address: string }) => i.address === number)?.enabled,
      )
      .toBe(false);
    await smsRow.getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete inbox' }).click();
    await smsRow.waitFor({ state: 'detached' });
    await o.context.close();
  });

  it('subscribes a webhook (secret once), logs a real delivery and redelivers it', async () => {
    const ws = await newWorkspace(t, 'Hooks Co');
    const o = await signedIn(browser, base, ws.email, '/settings/webhooks');
    const page = o.page;
    const form = page.getByRole('form', { name: 'Create a webhook' });
    // A URL the contract refuses shows its reason on the field.
    await form.getByLabel('Endpoint URL').fill('ftp://example.com/hook');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await form.getByText('must be an http:// or https:// URL').first().waitFor();

    await form.getByLabel('Endpoint URL').fill(receiver.url('/crm'));
    await form.getByLabel('Description').fill('CRM sync');
    await form.getByRole('combobox', { name: 'Events' }).click();
    await page.getByRole('option', { name: 'conversation.created' }).click();
    await page.keyboard.press('Escape');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);

    await newConversation(t, ws.token, { subject: 'Where is my parcel?' });
    await settle(t);
    expect(receiver.received.filter((r) => r.path === '/crm').length).toBeGreaterThanOrEqual(2);

    const card = page.getByTestId('webhook').filter({ hasText: receiver.url('/crm') });
    await card.getByRole('button', { name: 'Deliveries' }).click();
    const rows = card.getByTestId('delivery-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await card.locator('[data-testid="delivery-row"][data-status="succeeded"]').count()).toBe(2);
    expect(await rows.first().getByTestId('delivery-http').textContent()).toBe('200');
    await card.getByText('handledBy').first().waitFor();

    await rows
      .first()
      .getByRole('button', { name: /^Redeliver/ })
      .click();
    await settle(t);
    // The secret is gone after a reload; the log shows the redelivery beside the originals.
    await page.reload();
    await card.waitFor();
    expect(await page.content()).not.toContain(secret);
    await card.getByRole('button', { name: 'Deliveries' }).click();
    await card.getByText('redelivery').waitFor();
    expect(await rows.count()).toBe(3);
    await page.getByRole('heading', { name: 'Webhooks', level: 2 }).scrollIntoViewIfNeeded();
    // The pointer left where the Deliveries click was: after the layout moved it hovers another button.
    await page.mouse.move(0, 0);
    await shoot(page, 'webhooks');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Rotating shows a new secret once.
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await card.getByTestId('secret-value').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);

    // Edited in place.
    await card.getByRole('button', { name: 'Edit', exact: true }).click();
    const editForm = card.getByRole('form', { name: /^Edit webhook/ });
    await editForm.getByLabel('Description').fill('CRM sync (orders)');
    await editForm.getByRole('button', { name: 'Save changes' }).click();
    await card.getByText('CRM sync (orders)', { exact: true }).waitFor();
    await editForm.waitFor({ state: 'detached' });

    // Turned off by a person.
    await card.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await card.getByRole('switch').click({ force: true });
    await card.getByTestId('disabled-reason').getByText('Disabled by a person').waitFor();
    await o.context.close();
  });

  it('shows an email message: its channel, the HTML with the quote folded, an attachment, and the delivery state of a reply, live', async () => {
    const ws = await newWorkspace(t, 'Mail Co');
    const inbox = await t.request('POST', '/api/v1/inboxes', {
      token: ws.token,
      body: { channel: 'email', address: `orders-${unique('')}@shop.test`, name: 'Orders' },
    });
    expect(inbox.status).toBe(201);
    // Mail arrives the way it does in production: over SMTP, parsed, sanitised (class and id
    // attributes are dropped), threaded by In-Reply-To.
    const smtpPort = await t.rapport.services.email.smtp.listen(0, '127.0.0.1');
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const from = { name: 'Sam Lee', address: 'sam.lee@example.com' };
    const firstId = `<${unique('m')}@example.com>`;
    await smtp.sendMail({
      from,
      to: inbox.body.address,
      subject: 'Parcel arrived damaged',
      messageId: firstId,
      text: 'Hello,\n\nThe box arrived crushed and the mug inside is broken. Photo attached.\n\nOn Mon, 1 Dec 2026, Shop Support wrote:\n> Your order #1042 has shipped.',
      html:
        '<div dir="ltr"><p>Hello,</p><p>My order #1042 arrived today, but the box was <b>crushed</b> and the mug inside is broken. Photo attached.</p>' +
        '<p>Could you send a replacement? I would rather not wait for a refund.</p><p>Thanks,<br>Sam</p></div>' +
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, 1 Dec 2026, Shop Support &lt;orders@shop.test&gt; wrote:</div>' +
        '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex">Your order #1042 has shipped. Track it here.</blockquote></div>',
      attachments: [
        { filename: 'broken-mug.png', contentType: 'image/png', content: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(48_000, 1)]) },
      ],
    });
    // A plain-text follow-up in the same thread: its quote and signature fold too.
    await smtp.sendMail({
      from,
      to: inbox.body.address,
      subject: 'Re: Parcel arrived damaged',
      inReplyTo: firstId,
      references: [firstId],
      text: 'Any news on the replacement?\n\nOn Tue, 2 Dec 2026, Sam Lee wrote:\n> Could you send a replacement?\n\n-- \nSam Lee\n+1 555 0100',
    });
    // Outlook's reply: a From:/Sent: header block under a rule, no quote element at all.
    await smtp.sendMail({
      from,
      to: inbox.body.address,
      subject: 'RE: Parcel arrived damaged',
      inReplyTo: firstId,
      references: [firstId],
      html:
        '<div><p>Found the receipt, attached to my first mail.</p></div><hr style="display:inline-block;width:98%">' +
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Shop Support &lt;orders@shop.test&gt;<br><b>Sent:</b> Monday, December 1, 2026 9:12 AM<br><b>Subject:</b> Your order</font></div>' +
        '<div><p>Your order #1042 has shipped (Outlook quote).</p></div>',
    });
    const conversations = (await t.request('GET', '/api/v1/conversations?limit=10', { token: ws.token })).body.data as Array<{ id: string }>;
    expect(conversations).toHaveLength(1);
    const got = { conversationId: conversations[0]?.id ?? '' };
    const { inbound, inboxes } = t.rapport.services.channels;
    const record = await inboxes.getRecord(inbox.body.id);
    if (!record) throw new Error('inbox record missing');
    // HTML that slipped past a sanitiser (written here straight to the store): the frame runs none of
    // its script and fetches nothing it names.
    await inbound.receive({
      inbox: record,
      contact: { identity: { kind: 'email', value: 'sam.lee@example.com' } },
      message: {
        body: 'Tracking test',
        html: `<p>Tracking test</p><img src="${receiver.url('/pixel.gif')}"><img src="x" onerror="parent.document.title='pwned'"><script>parent.document.title='pwned'</script>`,
        externalId: `<${unique('m')}@example.com>`,
      },
      thread: { conversationId: got.conversationId },
    });
    await settle(t);

    const o = await signedIn(browser, base, ws.email, `/conversations/${got.conversationId}`);
    const page = o.page;
    const first = page.getByTestId('message').first();
    await first.waitFor();
    expect(await first.getByTestId('channel-tag').getAttribute('data-channel')).toBe('email');
    expect(await first.getByTestId('channel-tag').textContent()).toBe('Email');
    const frame = first.getByTestId('email-html');
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await frame.getAttribute('srcdoc')).toContain('<b>crushed</b>');
    expect(await frame.getAttribute('srcdoc')).not.toContain('has shipped');
    expect(await frame.getAttribute('srcdoc')).toContain("default-src 'none'");
    expect(await first.frameLocator('[data-testid="email-html"]').getByText('crushed').textContent()).toBe('crushed');
    const toggle = first.getByTestId('quote-toggle');
    expect(await toggle.textContent()).toBe('Show quoted text');
    await toggle.click();
    expect(await frame.getAttribute('srcdoc')).toContain('has shipped');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await toggle.click();

    // The HTML is in the frame, not the page: messages are found by what their frame holds.
    const outlook = page.getByTestId('message').filter({ has: page.locator('[data-testid="email-html"][srcdoc*="Found the receipt"]') });
    const outlookFrame = outlook.getByTestId('email-html');
    await outlookFrame.waitFor();
    expect(await outlookFrame.getAttribute('srcdoc')).not.toContain('Outlook quote');
    await outlook.getByTestId('quote-toggle').click();
    expect(await outlookFrame.getAttribute('srcdoc')).toContain('Outlook quote');

    const hostile = page.getByTestId('message').filter({ has: page.locator('[data-testid="email-html"][srcdoc*="Tracking test"]') });
    await hostile.getByTestId('email-html').waitFor();
    // The frame has loaded (its image fetched, or refused by its CSP): a pixel would have been asked for by now.
    // (Not "networkidle": the page's live socket and polling may keep the network busy.)
    const hostileFrame = await (await hostile.getByTestId('email-html').elementHandle())?.contentFrame();
    await hostileFrame?.waitForLoadState('load');
    expect(receiver.received.filter((r) => r.path === '/pixel.gif')).toEqual([]);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.evaluate(() => document.querySelectorAll('[data-testid="thread"] script').length)).toBe(0);

    const link = first.getByTestId('attachment').getByRole('link', { name: 'broken-mug.png' });
    const href = (await link.getAttribute('href')) ?? '';
    const download = await o.context.request.get(href);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toMatch(/^attachment;/);
    expect(
      Buffer.from(await download.body())
        .subarray(0, 8)
        .toString('hex'),
    ).toBe('89504e470d0a1a0a');
    expect(await first.getByTestId('attachment').textContent()).toContain('47 KB');

    const plain = page.getByTestId('message').filter({ hasText: 'Any news on the replacement?' });
    await plain.getByText('Any news on the replacement?').waitFor();
    expect(await plain.getByTestId('quoted-text').count()).toBe(0);
    expect(await plain.textContent()).not.toContain('+1 555 0100');
    await plain.getByTestId('quote-toggle').click();
    expect(await plain.getByTestId('quoted-text').textContent()).toContain('> Could you send a replacement?');
    expect(await plain.textContent()).toContain('+1 555 0100');
    await plain.getByTestId('quote-toggle').click();
    // Without the session, the attachment is not served.
    expect((await (await browser.newContext({ baseURL: base })).request.get(href)).status()).toBe(401);

    // A reply is queued; no email sender runs on this server, so the delivery fails with the reason, live.
    await page.getByRole('region', { name: 'Composer' }).getByText('Reply to customer', { exact: true }).click();
    await page.getByLabel('Reply to the customer').fill('So sorry, Sam: a new mug is on its way today.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    const reply = page.getByTestId('message').filter({ hasText: 'a new mug is on its way' });
    await reply.locator('[data-testid="delivery"][data-status="queued"]').waitFor();
    await settle(t);
    const failed = reply.locator('[data-testid="delivery"][data-status="failed"]');
    await failed.waitFor({ timeout: 10_000 });
    expect(await failed.textContent()).toMatch(/^Failed.*: no SMTP relay configured \(RAPPORT_SMTP_RELAY_URL\)$/);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await o.context.close();
  });
  it('shows a reply as sent once the relay took it (a real SMTP relay on 127.0.0.1), live', async () => {
    const mailbox = await openMailbox();
    const relayed = await startServer({ smtpRelayUrl: mailbox.relayUrl }, engine);
    try {
      const ws = await newWorkspace(relayed.t, 'Relay Co');
      const inbox = await relayed.t.request('POST', '/api/v1/inboxes', {
        token: ws.token,
        body: { channel: 'email', address: `care-${unique('')}@shop.test`, settings: { fromName: 'Shop Care' } },
      });
      const record = await relayed.t.rapport.services.channels.inboxes.getRecord(inbox.body.id);
      if (!record) throw new Error('inbox record missing');
      const got = await relayed.t.rapport.services.channels.inbound.receive({
        inbox: record,
        contact: { identity: { kind: 'email', value: 'kim@example.com' }, name: 'Kim' },
        message: { subject: 'Size exchange', body: 'Can I swap the M for an L?', externalId: `<${unique('m')}@example.com>` },
      });
      const o = await signedIn(browser, relayed.base, ws.email, `/conversations/${got.conversationId}`);
      await o.page.getByRole('region', { name: 'Composer' }).getByText('Reply to customer', { exact: true }).click();
      await o.page.getByLabel('Reply to the customer').fill('Of course: the L is on its way.');
      await o.page.getByRole('button', { name: 'Send reply' }).click();
      const reply = o.page.getByTestId('message').filter({ hasText: 'the L is on its way' });
      await reply.locator('[data-testid="delivery"][data-status="queued"]').waitFor();
      await settle(relayed.t);
      await reply.locator('[data-testid="delivery"][data-status="sent"]').waitFor({ timeout: 10_000 });
      expect(await reply.getByTestId('delivery').textContent()).toBe('Sent');
      expect(mailbox.to('kim@example.com').map((m) => m.text?.trim())).toEqual([expect.stringContaining('Of course: the L is on its way.')]);
      await o.context.close();
    } finally {
      await relayed.t.close();
      await mailbox.close();
    }
  });
});
