// The inbox in Chromium: live across two agents, bulk resolve, a small DOM over long lists, reconnecting, the keyboard.
// The main flows run on both engines.
import type { Browser, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, newConversation, newMember, newWorkspace, unique, type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, PASSWORD, screenshot, signedIn, startServer, waitLive } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(engines)('inbox on %s', (engine) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => ({ t, base } = await startServer({}, engine)));
  afterAll(async () => t?.close());

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

  it('resolves several conversations at once from the inbox', async () => {
    const ws = await newWorkspace(t, 'Bulk Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const word = unique('bulk');
    const convs = [];
    for (let i = 0; i < 3; i += 1) convs.push(await newConversation(t, ws.token, { subject: `${word} order ${i}` }));
    const keep = await newConversation(t, ws.token, { subject: 'Not part of it' });

    // A search looks through every status unless one is chosen: choose the open ones, which the resolved leave.
    const a = await signedIn(browser, base, ada.email, `/?view=all&status=open,pending&q=${word}`);
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
    expect(new URL(urls[0] ?? '').searchParams.has('cursor')).toBe(false);
    const before = await newConversation(t, ws.token, { subject: 'Seen live' });
    await page.getByTestId('inbox-row').filter({ hasText: before.subject }).waitFor({ timeout: 10_000 });

    await routes[0]?.close({ code: 1012, reason: 'test drops the stream' });
    await page.locator('[data-testid="live-status"][data-status="reconnecting"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => urls.length, { timeout: 10_000 }).toBe(2);
    const missed = await newConversation(t, ws.token, { subject: 'Written while away' });
    release();
    await waitLive(page);
    const resumed = new URL(urls[1] ?? '');
    // It resumes from the log position of the last event it saw.
    expect(resumed.searchParams.get('cursor')).toMatch(/^[0-9a-f]{32}$/);
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
