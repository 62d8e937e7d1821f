// The web app in real Chromium against an in-process server: setup, sign-in, live inboxes and
// threads across two agents, notes staying internal, partner scoping, bulk resolve, the customer
// timeline, and axe-core on the main screens.
import type { Browser, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newConversation, newMember, newWorkspace, unique, type TestApp } from '../apps/server/src/test/harness.js';
import { openMailbox, type Mailbox } from '../apps/server/src/test/mailbox.js';
import { launchBrowser, PASSWORD, screenshot, seriousA11yViolations, signedIn, startServer, waitLive } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('first run', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => ({ t, base } = await startServer()));
  afterAll(async () => t?.close());

  it('sets up the first workspace through the UI, then signs out and back in', async () => {
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Set up Rapport' }).waitFor();
    await page.getByLabel('Workspace name').fill('Acme Support');
    await page.getByLabel('Your name').fill('Olive Owner');
    await page.getByLabel('Email').fill('olive@acme.test');
    await page.locator('input[type="password"]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Mine' }).waitFor();
    await waitLive(page);
    expect(await page.getByTestId('workspace-name').textContent()).toBe('Acme Support');
    expect((await t.request('GET', '/api/v1/setup')).body).toEqual({ needsSetup: false });

    await page.getByTestId('account-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('olive@acme.test');
    await page.locator('input[type="password"]').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/password/i);
    await page.locator('input[type="password"]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Mine' }).waitFor();
    await context.close();
  });
});

describe('signed-in app', () => {
  let t: TestApp;
  let base: string;
  let mailbox: Mailbox;
  beforeAll(async () => {
    mailbox = await openMailbox();
    ({ t, base } = await startServer({ smtpRelayUrl: mailbox.relayUrl }));
  });
  afterAll(async () => {
    await t?.close();
    await mailbox?.close();
  });

  it('shows a new conversation in two agents’ inboxes and a reply in both threads, live', async () => {
    const ws = await newWorkspace(t, 'Live Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const ben = await newMember(t, ws, 'agent', { name: 'Ben Agent' });
    // Some variety in the inbox (it is also the screenshot in docs/).
    const variety = [
      {
        subject: 'Charged twice for one order',
        channel: 'email',
        category: 'dispute',
        priority: 'urgent',
        assigneeId: ada.userId,
        customer: { email: 'lee@example.com', name: 'Lee Park' },
      },
      {
        subject: 'How do I reset the thermostat?',
        channel: 'chat',
        category: 'technical_support',
        priority: 'normal',
        customer: { email: 'ana@example.com', name: 'Ana Lima' },
      },
      {
        subject: 'Return label for size swap',
        channel: 'web_form',
        category: 'return_refund',
        priority: 'low',
        assigneeId: ben.userId,
        customer: { email: 'kim@example.com', name: 'Kim Osei' },
      },
      {
        subject: 'Is the blue model in stock in Leeds?',
        channel: 'social',
        category: 'product_locate',
        priority: 'normal',
        customer: { email: 'raj@example.com', name: 'Raj Patel' },
      },
      {
        subject: 'Courier left the box in the rain',
        channel: 'sms',
        category: 'complaint',
        priority: 'high',
        customer: { email: 'mo@example.com', name: 'Mo Haddad' },
      },
    ];
    for (const v of variety) await newConversation(t, ws.token, { ...v, message: { body: v.subject.endsWith('?') ? v.subject : `${v.subject}.` } });
    const a = await signedIn(browser, base, ada.email);
    const b = await signedIn(browser, base, ben.email);

    const subject = `Parcel ${unique()}`;
    const conv = await newConversation(t, ws.token, { subject, customer: { email: `${unique('sam')}@example.com`, name: 'Sam Customer' } });
    // No reload: the rows arrive through the WebSocket.
    await a.page.getByTestId('inbox-row').filter({ hasText: subject }).waitFor({ timeout: 10_000 });
    await b.page.getByTestId('inbox-row').filter({ hasText: subject }).waitFor({ timeout: 10_000 });
    await screenshot(a.page, 'inbox');

    await a.page.getByTestId('inbox-row').filter({ hasText: subject }).getByRole('link').click();
    await a.page.getByTestId('conversation-title').filter({ hasText: subject }).waitFor();
    await b.page.getByTestId('inbox-row').filter({ hasText: subject }).click();
    await b.page.getByTestId('conversation-title').filter({ hasText: subject }).waitFor();
    // Each sees the other there.
    await b.page.getByTestId('presence').filter({ hasText: 'Ada Agent' }).waitFor({ timeout: 10_000 });
    await a.page.getByTestId('presence').filter({ hasText: 'Ben Agent' }).waitFor({ timeout: 10_000 });

    await a.page.getByLabel('Reply to the customer').fill('We are on it, Sam: the parcel left the depot.');
    await a.page.getByRole('button', { name: 'Send reply' }).click();
    await b.page.getByTestId('message').filter({ hasText: 'the parcel left the depot' }).waitFor({ timeout: 10_000 });
    expect(await b.page.getByTestId('message').filter({ hasText: 'the parcel left the depot' }).getAttribute('data-kind')).toBe('reply');
    const messages = await t.request('GET', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token });
    expect(messages.body.data.map((m: { body: string }) => m.body)).toContain('We are on it, Sam: the parcel left the depot.');

    await a.context.close();
    await b.context.close();
  });

  it('keeps a note internal: agents see it as a note, nothing customer-facing carries it', async () => {
    const ws = await newWorkspace(t, 'Notes Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const ben = await newMember(t, ws, 'agent', { name: 'Ben Agent' });
    const conv = await newConversation(t, ws.token, { subject: 'Refund please' });
    // A raw stream client stands in for any consumer of the live events (the widget, webhooks).
    const stream = new WebSocket(`${base.replace('http', 'ws')}/api/v1/stream?token=${ws.token}`);
    const events: { type: string; internal: boolean; data: { body?: string; kind?: string } }[] = [];
    stream.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      if (m.kind === 'event') events.push(m);
    });
    await new Promise((resolve) => stream.once('open', resolve));

    const a = await signedIn(browser, base, ada.email, `/conversations/${conv.id}`);
    const b = await signedIn(browser, base, ben.email, `/conversations/${conv.id}`);
    await a.page.getByRole('region', { name: 'Composer' }).getByText('Internal note', { exact: true }).click();
    await a.page.getByLabel('Internal note (only your team sees it)').fill('Customer is a VIP; approve the refund.');
    await a.page.getByRole('button', { name: 'Add note' }).click();
    const noteInB = b.page.getByTestId('message').filter({ hasText: 'approve the refund' });
    await noteInB.waitFor({ timeout: 10_000 });
    expect(await noteInB.getAttribute('data-kind')).toBe('note');
    expect(await noteInB.textContent()).toContain('Internal note');

    await a.page.getByRole('region', { name: 'Composer' }).getByText('Reply to customer', { exact: true }).click();
    await a.page.getByLabel('Reply to the customer').fill('Your refund is on its way.');
    await a.page.getByRole('button', { name: 'Send reply' }).click();
    await b.page.getByTestId('message').filter({ hasText: 'refund is on its way' }).waitFor({ timeout: 10_000 });
    await screenshot(b.page, 'conversation');

    // 1. The live event for the note is flagged internal; the reply's is not.
    await expect.poll(() => events.filter((e) => e.type === 'message.created').length, { timeout: 10_000 }).toBe(2);
    const created = events.filter((e) => e.type === 'message.created').map((e) => [e.data.kind, e.internal]);
    expect(created).toEqual([
      ['note', true],
      ['reply', false],
    ]);
    // 2. The conversation's last-message preview (what notifications and lists show) is the reply, never the note.
    const after = await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: ws.token });
    expect(after.body.lastMessagePreview).toBe('Your refund is on its way.');
    // 3. The customer's journey timeline records the message sent to them, and nothing of the note.
    const timeline = await t.request('GET', `/api/v1/customers/${conv.customer.id}/timeline`, { token: ws.token });
    expect(timeline.status).toBe(200);
    const text = JSON.stringify(timeline.body.data);
    expect(text).toContain('refund is on its way');
    expect(text).not.toContain('approve the refund');
    stream.close();
    await a.context.close();
    await b.context.close();
  });

  it('shows a partner a not-found screen for another team’s conversation opened by URL', async () => {
    const ws = await newWorkspace(t, 'Partner Co');
    const mine = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Outsourced', autoAssign: false } })).body.id as string;
    const theirs = (await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'In-house', autoAssign: false } })).body.id as string;
    const pat = await newMember(t, ws, 'partner', { teamIds: [mine], name: 'Pat Partner' });
    const hidden = await newConversation(t, ws.token, { teamId: theirs, subject: 'In-house only' });
    const visible = await newConversation(t, ws.token, { teamId: mine, subject: 'For the partner' });

    const p = await signedIn(browser, base, pat.email, `/conversations/${hidden.id}`);
    await p.page.getByTestId('not-found').waitFor();
    expect(await p.page.getByText('In-house only').count()).toBe(0);
    // The partner's own team's conversation opens, and Settings is not offered.
    await p.page.goto(`/conversations/${visible.id}`);
    await p.page.getByTestId('conversation-title').filter({ hasText: 'For the partner' }).waitFor();
    expect(await p.page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
    await p.page.goto('/settings');
    await p.page.getByTestId('not-found').waitFor();
    await p.context.close();
  });

  it('resolves several conversations at once from the inbox', async () => {
    const ws = await newWorkspace(t, 'Bulk Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const word = unique('bulk');
    const convs = [];
    for (let i = 0; i < 3; i += 1) convs.push(await newConversation(t, ws.token, { subject: `${word} order ${i}` }));
    const keep = await newConversation(t, ws.token, { subject: 'Not part of it' });

    const a = await signedIn(browser, base, ada.email, `/?view=all&q=${word}`);
    const rows = a.page.getByTestId('inbox-row');
    await a.page.waitForFunction(() => document.querySelectorAll('[data-testid="inbox-row"]').length === 3, undefined, { timeout: 10_000 });
    await a.page.getByLabel('Select all loaded conversations').check();
    await a.page.getByTestId('bulk-bar').getByRole('button', { name: 'Resolve' }).click();
    await a.page.getByTestId('bulk-message').filter({ hasText: 'Resolved: 3 conversations' }).waitFor();
    await a.page.waitForFunction(() => document.querySelectorAll('[data-testid="inbox-row"]').length === 0, undefined, { timeout: 10_000 });
    expect(await rows.count()).toBe(0);
    for (const c of convs) expect((await t.request('GET', `/api/v1/conversations/${c.id}`, { token: ws.token })).body.status).toBe('resolved');
    expect((await t.request('GET', `/api/v1/conversations/${keep.id}`, { token: ws.token })).body.status).toBe('open');
    await a.context.close();
  });

  it('shows the customer timeline by journey stage, with conversations and tracked events', async () => {
    const ws = await newWorkspace(t, 'Journey Co');
    const email = `${unique('jo')}@example.com`;
    const conv = await newConversation(t, ws.token, { subject: 'Box arrived damaged', category: 'complaint', customer: { email, name: 'Jo Journey' } });
    // An event tracked on the website (the Segment-compatible ingest) joins the same timeline.
    const key = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'website' } });
    expect(key.status).toBe(201);
    const auth = `Basic ${Buffer.from(`${key.body.key}:`).toString('base64')}`;
    const track = await t.request('POST', '/v1/track', {
      headers: { authorization: auth },
      body: {
        type: 'track',
        event: 'Order Completed',
        userId: unique('u'),
        messageId: unique('m'),
        context: { traits: { email } },
        properties: { total: 42 },
      },
    });
    expect(track.status).toBe(200);

    const owner = await signedIn(browser, base, ws.email, `/customers/${conv.customer.id}`);
    await owner.page.getByTestId('customer-name').filter({ hasText: 'Jo Journey' }).waitFor();
    await owner.page
      .getByTestId('customer-conversations')
      .getByRole('link', { name: /Box arrived damaged/ })
      .waitFor();
    await owner.page.getByTestId('timeline').waitFor({ timeout: 10_000 });
    await owner.page
      .getByTestId('timeline-stage')
      .filter({ hasText: 'Purchase' })
      .getByTestId('timeline-item')
      .filter({ hasText: 'Order Completed' })
      .waitFor({ timeout: 10_000 });
    // A conversation on the timeline links to it inline.
    await owner.page
      .getByTestId('timeline')
      .getByRole('link', { name: /Box arrived damaged/ })
      .first()
      .waitFor();
    // Live: a reply sent now joins the timeline without a reload.
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'A replacement is on its way.', kind: 'reply' } });
    await owner.page.getByTestId('timeline-item').filter({ hasText: 'Message Sent' }).waitFor({ timeout: 10_000 });
    await screenshot(owner.page, 'customer');
    await owner.context.close();
  });

  it('has no serious or critical accessibility violations on the inbox, conversation and settings', async () => {
    const ws = await newWorkspace(t, 'A11y Co');
    const conv = await newConversation(t, ws.token, { subject: 'Accessible?' });
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'A note for the team', kind: 'note' } });
    const o = await signedIn(browser, base, ws.email, '/?view=all');
    await o.page.getByTestId('inbox-row').first().waitFor();
    expect(await seriousA11yViolations(o.page)).toEqual([]);

    await o.page.goto(`/conversations/${conv.id}`);
    await o.page.getByTestId('message').first().waitFor();
    expect(await seriousA11yViolations(o.page)).toEqual([]);

    for (const section of ['members', 'tokens', 'write-keys']) {
      await o.page.goto(`/settings/${section}`);
      await o.page.getByRole('heading', { name: 'Settings' }).waitFor();
      await o.page
        .getByRole('table')
        .or(o.page.getByText(/not offer this yet|No write keys/))
        .first()
        .waitFor();
      expect(await seriousA11yViolations(o.page), section).toEqual([]);
    }
    await o.context.close();
  });

  it('lets an owner invite by email (accepted in another browser), create a token shown once and a write key with its snippet', async () => {
    const ws = await newWorkspace(t, 'Settings Co');
    const o = await signedIn(browser, base, ws.email, '/settings/members');
    const invite = o.page.getByRole('form', { name: 'Invite a member' });
    await invite.getByLabel('Email').fill('newbie@settings.test');
    await invite.getByRole('button', { name: 'Invite' }).click();
    await o.page.getByTestId('invitation-sent').getByText('newbie@settings.test').waitFor();
    // The link reaches the invited mailbox only.
    expect(await o.page.getByTestId('secret-value').count()).toBe(0);
    await t.rapport.jobs.drain();
    const link = `${base}/invite#${mailbox.inviteToken('newbie@settings.test')}`;

    const guest = await browser.newContext({ baseURL: base });
    const g = await guest.newPage();
    await g.goto(link);
    await g.getByLabel('Your name').fill('Nia Newbie');
    await g.locator('input[type="password"]').fill(PASSWORD);
    await g.getByRole('button', { name: 'Create account and join' }).click();
    await g.getByRole('heading', { name: 'Mine' }).waitFor();
    await g.getByText('Nia Newbie').waitFor();
    await guest.close();
    // The new member shows up for the owner, who can deactivate them.
    await o.page.reload();
    await o.page.getByRole('button', { name: 'Deactivate Nia Newbie' }).click();
    await o.page.getByRole('button', { name: 'Reactivate Nia Newbie' }).waitFor();
    const nia = (await t.request('GET', '/api/v1/members', { token: ws.token })).body.data.find((m: { name: string }) => m.name === 'Nia Newbie');
    expect(nia.status).toBe('deactivated');

    await o.page.getByRole('tab', { name: 'API tokens' }).click();
    await o.page.getByLabel('Token name').fill('zapier');
    await o.page.getByRole('button', { name: 'Create token' }).click();
    const token = (await o.page.getByTestId('secret-value').textContent()) ?? '';
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    await o.page.getByRole('table', { name: 'API tokens' }).getByText('zapier').waitFor();
    await o.page.reload();
    await o.page.getByRole('table', { name: 'API tokens' }).waitFor();
    expect(await o.page.getByText(token).count()).toBe(0);

    await o.page.getByRole('tab', { name: 'Write keys' }).click();
    await o.page.getByRole('button', { name: 'Create write key' }).click();
    const snippet = (await o.page.getByTestId('tracking-snippet').textContent()) ?? '';
    expect(snippet).toContain(`HOST = ${JSON.stringify(base)}`);
    expect(snippet).toContain("'/v1/'");
    const key = (await o.page.getByTestId('secret-value').textContent()) ?? '';
    expect(snippet).toContain(JSON.stringify(key));
    // A client key by default, listed with its kind; the identity secret is revealed on demand.
    await o.page.getByRole('table', { name: 'Write keys' }).getByText('client (public)').waitFor();
    await o.page.getByRole('button', { name: 'Show identity secret' }).click();
    await o.page.getByRole('button', { name: 'Rotate secret' }).waitFor();
    await screenshot(o.page, 'write-keys');
    await o.context.close();
  });

  it('gives an analyst the conversation without a composer or write controls', async () => {
    const ws = await newWorkspace(t, 'Analyst Co');
    const ana = await newMember(t, ws, 'analyst', { name: 'Ana Analyst' });
    const conv = await newConversation(t, ws.token, { subject: 'Read me' });
    const a = await signedIn(browser, base, ana.email, `/conversations/${conv.id}`);
    await a.page.getByTestId('message').first().waitFor();
    expect(await a.page.getByRole('region', { name: 'Composer' }).count()).toBe(0);
    expect(await a.page.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    expect(await a.page.getByLabel('Status', { exact: true }).first().isDisabled()).toBe(true);
    await a.page.getByText('Your role can read conversations but not answer them.').waitFor();
    // Every role keeps API tokens of its own, from the profile.
    await a.page.goto('/profile');
    await a.page.getByLabel('Token name').fill('notebook');
    await a.page.getByRole('button', { name: 'Create token' }).click();
    const token = (await a.page.getByTestId('secret-value').textContent()) ?? '';
    expect((await t.request('GET', '/api/v1/me', { token })).body.role).toBe('analyst');
    await a.context.close();
  });

  it('switches workspace and sets availability from the header and profile', async () => {
    const ws = await newWorkspace(t, 'First Co');
    const o = await signedIn(browser, base, ws.email, '/profile');
    const created = await o.context.request.post('/api/v1/workspaces', { data: { name: 'Second Co' } });
    expect(created.status()).toBe(201);
    await o.page.getByText('Away', { exact: true }).click();
    await expect.poll(async () => (await t.request('GET', '/api/v1/me', { token: ws.token })).body.availability).toBe('away');

    await o.page.reload();
    await waitLive(o.page);
    await o.page.getByLabel('Workspace', { exact: true }).first().click();
    await o.page.getByRole('option', { name: 'Second Co' }).click();
    await expect.poll(() => o.page.getByLabel('Workspace', { exact: true }).first().inputValue(), { timeout: 10_000 }).toBe('Second Co');
    await o.page.getByRole('heading', { name: 'Mine' }).waitFor();
    await o.context.close();
  });

  it('keeps the inbox DOM small however long the list, loading cursor pages as it scrolls', async () => {
    const ws = await newWorkspace(t, 'Big Co');
    const total = 260;
    const created = [];
    for (let i = 0; i < total; i += 1)
      created[i] = await t.rapport.services.conversations.create(ws.auth, {
        customer: { email: `c${i}@big.test` },
        channel: 'email',
        subject: `Case ${i}`,
        category: 'inquiry',
        priority: 'normal',
        status: 'open',
        origin: 'reactive',
      });
    const o = await signedIn(browser, base, ws.email, '/?view=all');
    await o.page.getByTestId('inbox-row').first().waitFor();
    const list = o.page.getByTestId('inbox-list');
    const count = async () => Number.parseInt((await o.page.getByTestId('inbox-count').textContent()) ?? '0', 10);
    for (let loaded = await count(); loaded < total; loaded = await count()) {
      await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await o.page.waitForFunction((n) => Number.parseInt(document.querySelector('[data-testid="inbox-count"]')?.textContent ?? '0', 10) > n, loaded, {
        timeout: 10_000,
      });
    }
    await o.page
      .getByTestId('inbox-count')
      .filter({ hasText: `${total} conversations` })
      .waitFor({ timeout: 10_000 });
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await o.page.getByTestId('inbox-row').filter({ hasText: 'Case 0' }).waitFor();
    expect(await o.page.getByTestId('inbox-row').count()).toBeLessThan(60);

    // Live, with six pages loaded: an update drops a row that left the view, an arrival joins at
    // the top, and each costs one first-page request rather than a refetch of every page.
    const listRequests: string[] = [];
    o.page.on('request', (r) => {
      if (r.url().includes('/api/v1/conversations?')) listRequests.push(r.url());
    });
    const oldest = created[0];
    expect(oldest?.subject).toBe('Case 0');
    await t.request('PATCH', `/api/v1/conversations/${oldest?.id}`, { token: ws.token, body: { status: 'resolved' } });
    await o.page
      .getByTestId('inbox-count')
      .filter({ hasText: `${total - 1} conversations` })
      .waitFor({ timeout: 10_000 });
    await newConversation(t, ws.token, { subject: 'Fresh arrival' });
    await list.evaluate((el) => el.scrollTo(0, 0));
    await o.page.getByTestId('inbox-row').first().filter({ hasText: 'Fresh arrival' }).waitFor({ timeout: 10_000 });
    await o.page
      .getByTestId('inbox-count')
      .filter({ hasText: `${total} conversations` })
      .waitFor({ timeout: 10_000 });
    expect(listRequests.length).toBeLessThanOrEqual(3);
    await o.context.close();
  });

  it('changes priority, assignee, tags and custom fields from the conversation’s side panel', async () => {
    const ws = await newWorkspace(t, 'Details Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    expect((await t.request('POST', '/api/v1/custom-fields', { token: ws.token, body: { key: 'order_id', label: 'Order ID', type: 'text' } })).status).toBe(
      201,
    );
    const conv = await newConversation(t, ws.token, { subject: 'Fix my details' });
    const o = await signedIn(browser, base, ws.email, `/conversations/${conv.id}`);
    const panel = o.page.getByRole('region', { name: 'Conversation details' });
    await panel.getByLabel('Priority', { exact: true }).first().click();
    await o.page.getByRole('option', { name: 'Urgent' }).click();
    await panel.getByLabel('Assignee', { exact: true }).first().click();
    await o.page.getByRole('option', { name: 'Ada Agent' }).click();
    const tags = panel.getByLabel('Tags', { exact: true }).first();
    await tags.fill('vip');
    await tags.press('Enter');
    const orderId = panel.getByLabel('Order ID', { exact: true });
    await orderId.fill('A-1042');
    await orderId.press('Enter');
    await expect
      .poll(async () => {
        const c = (await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: ws.token })).body;
        return [c.priority, c.assigneeId, c.tags, c.customFields.order_id];
      })
      .toEqual(['urgent', ada.userId, ['vip'], 'A-1042']);
    await o.context.close();
  });

  it('reconnects after the stream drops and catches up on what it missed, without a reload', async () => {
    const ws = await newWorkspace(t, 'Reconnect Co');
    const context = await browser.newContext({ baseURL: base });
    await context.request.post('/api/v1/auth/login', { data: { email: ws.email, password: PASSWORD } });
    const page = await context.newPage();
    const urls: string[] = [];
    const routes: WebSocketRoute[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.routeWebSocket(/\/api\/v1\/stream/, async (route) => {
      urls.push(route.url());
      routes.push(route);
      // Hold the second connection until the test has written while the client was away.
      if (urls.length > 1) await gate;
      route.connectToServer();
    });
    await page.goto('/?view=all');
    await waitLive(page);
    expect(new URL(urls[0] ?? '').searchParams.has('since')).toBe(false);
    const before = await newConversation(t, ws.token, { subject: 'Seen live' });
    await page.getByTestId('inbox-row').filter({ hasText: before.subject }).waitFor({ timeout: 10_000 });

    await routes[0]?.close({ code: 1012, reason: 'test drops the stream' });
    await page.locator('[data-testid="live-status"][data-status="reconnecting"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => urls.length, { timeout: 10_000 }).toBe(2);
    const missed = await newConversation(t, ws.token, { subject: 'Written while away' });
    release();
    await waitLive(page);
    const resumed = new URL(urls[1] ?? '');
    expect(Number(resumed.searchParams.get('since'))).toBeGreaterThan(0);
    expect(resumed.searchParams.get('epoch')).toBeTruthy();
    await page.getByTestId('inbox-row').filter({ hasText: missed.subject }).waitFor({ timeout: 10_000 });
    await context.close();
  });

  it('keeps the keyboard in charge: j/k, enter, and the shortcut help', async () => {
    const ws = await newWorkspace(t, 'Keys Co');
    const first = await newConversation(t, ws.token, { subject: 'Older one' });
    const second = await newConversation(t, ws.token, { subject: 'Newer one' });
    const o = await signedIn(browser, base, ws.email, '/?view=all');
    await o.page.getByTestId('inbox-row').nth(1).waitFor();
    await o.page.locator('body').press('j');
    await o.page.locator('[data-testid="inbox-row"][data-active="true"]').filter({ hasText: 'Older one' }).waitFor();
    await o.page.locator('body').press('k');
    await o.page.locator('[data-testid="inbox-row"][data-active="true"]').filter({ hasText: 'Newer one' }).waitFor();
    await o.page.locator('body').press('Enter');
    await o.page.waitForURL(`**/conversations/${second.id}`);
    await o.page.locator('body').press('?');
    await o.page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await o.page.keyboard.press('Escape');
    await o.page.locator('body').press('r');
    await expect.poll(() => o.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Reply to the customer');
    expect(first.id).not.toBe(second.id);

    // "/" in the composer offers the canned responses; Enter inserts the one filled in for this customer.
    const canned = await t.request('POST', '/api/v1/canned-responses', {
      token: ws.token,
      body: { shortcut: 'shipped', title: 'Order shipped', body: 'Hi {{customer.name}}, your order has shipped.' },
    });
    expect(canned.status).toBe(201);
    await o.page.reload();
    await waitLive(o.page);
    const composer = o.page.getByLabel('Reply to the customer');
    await composer.click();
    await composer.pressSequentially('/ship');
    await o.page.getByRole('option', { name: /shipped/ }).waitFor();
    await composer.press('Enter');
    await expect.poll(() => composer.inputValue()).toBe('Hi Sam Customer, your order has shipped.');
    await o.context.close();
  });
});
