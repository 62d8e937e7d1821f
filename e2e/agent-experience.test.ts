// The agent's safety in Chromium, on both engines: two agents replying at once (the second is
// warned and chooses), the highlight staying on its conversation while others arrive, search by
// customer and number with the match marked, and snoozing with a preset.
import type { Browser } from 'playwright-core';
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

describe.each(engines)('agent experience on %s', (engine) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => ({ t, base } = await startServer({}, engine)));
  afterAll(async () => t?.close());

  it('warns the second of two agents replying at once, who sends anyway or reviews first', async () => {
    const ws = await newWorkspace(t, 'Collision Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const ben = await newMember(t, ws, 'agent', { name: 'Ben Agent' });
    const subject = `Double charge ${unique()}`;
    const conv = await newConversation(t, ws.token, {
      subject,
      customer: { email: 'lan.nguyen@example.com', name: 'Lan Nguyen' },
      message: { body: 'I was charged twice for order 88231.' },
    });
    const a = await signedIn(browser, base, ada.email);
    const b = await signedIn(browser, base, ben.email, `/conversations/${conv.id}`);
    await b.page.getByTestId('conversation-title').waitFor();
    // Ada's inbox shows that Ben is on it.
    await a.page.getByTestId('inbox-row').filter({ hasText: subject }).getByTestId('row-viewers').filter({ hasText: 'Ben Agent' }).waitFor({ timeout: 10_000 });
    await screenshot(a.page, 'inbox-viewing');

    await a.page.getByTestId('inbox-row').filter({ hasText: subject }).getByRole('link').click();
    await a.page.getByTestId('conversation-title').filter({ hasText: subject }).waitFor();
    // Both start typing; Ben sends first.
    await a.page.getByLabel('Reply to the customer').fill('Sorry Lan, I am refunding the second charge now.');
    await b.page.getByLabel('Reply to the customer').fill('Hi Lan, the duplicate charge is refunded.');
    await b.page.getByRole('button', { name: 'Send reply' }).click();
    await b.page.getByTestId('message').filter({ hasText: 'the duplicate charge is refunded' }).waitFor();

    // Ada sees the warning as Ben's reply arrives, before she sends.
    const warning = a.page.getByTestId('collision');
    await warning.filter({ hasText: 'New reply since you started typing' }).waitFor({ timeout: 10_000 });
    await warning.filter({ hasText: 'Ben Agent' }).waitFor();
    await screenshot(a.page, 'collision-warning');
    // Sending regardless is refused by the server and the warning stays, with both choices.
    await a.page.getByRole('button', { name: 'Send reply' }).click();
    await warning.getByRole('button', { name: 'Send anyway' }).waitFor();
    await warning.getByRole('button', { name: 'Review' }).waitFor();
    const count = async () => (await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: ws.token })).body.messageCount as number;
    expect(await count()).toBe(2);

    // Review: the warning goes, the draft stays, and the next send goes through.
    await warning.getByRole('button', { name: 'Review' }).click();
    await warning.waitFor({ state: 'detached' });
    await expect.poll(() => a.page.getByLabel('Reply to the customer').inputValue()).toContain('refunding the second charge');
    await a.page.getByLabel('Reply to the customer').fill('Ben has it covered: you will see the refund in 3 days.');
    await a.page.getByRole('button', { name: 'Send reply' }).click();
    await a.page.getByTestId('message').filter({ hasText: 'Ben has it covered' }).waitFor();
    expect(await count()).toBe(3);

    // Ben writes again while Ada already replied; he sends anyway.
    await b.page.getByTestId('message').filter({ hasText: 'Ben has it covered' }).waitFor({ timeout: 10_000 });
    await b.page.getByLabel('Reply to the customer').fill('One more thing.');
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'Thank you both!', author: 'customer' } });
    const bWarning = b.page.getByTestId('collision');
    await bWarning.filter({ hasText: 'Lan Nguyen (customer)' }).waitFor({ timeout: 10_000 });
    await bWarning.getByRole('button', { name: 'Send anyway' }).click();
    await b.page.getByTestId('message').filter({ hasText: 'One more thing.' }).waitFor();
    expect(await count()).toBe(5);
    await a.context.close();
    await b.context.close();
  });

  it('keeps the highlight on its conversation while three conversations arrive', async () => {
    const ws = await newWorkspace(t, 'Cursor Co');
    for (let i = 0; i < 4; i += 1) await newConversation(t, ws.token, { subject: `Existing ${i}` });
    const o = await signedIn(browser, base, ws.email, '/?view=all');
    await o.page.getByTestId('inbox-row').nth(3).waitFor();
    await o.page.locator('body').press('j');
    await o.page.locator('body').press('j');
    const active = o.page.locator('[data-testid="inbox-row"][data-active="true"]');
    await active.filter({ hasText: 'Existing 1' }).waitFor();
    const id = await active.getAttribute('data-id');
    await o.page.locator('body').press('x');
    for (let i = 0; i < 3; i += 1) {
      await newConversation(t, ws.token, { subject: `Arrival ${i}` });
      await o.page.getByTestId('inbox-row').filter({ hasText: `Arrival ${i}` }).waitFor({ timeout: 10_000 });
      // Still the same conversation, now lower in the list.
      expect(await active.getAttribute('data-id')).toBe(id);
    }
    expect(await o.page.locator('[data-testid="inbox-row"][aria-selected="true"]').getAttribute('data-id')).toBe(id);
    expect(await o.page.locator('[data-testid="inbox-row"]').nth(5).getAttribute('data-id')).toBe(id);
    // Enter opens it, even after a click in the sidebar.
    await o.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'All', exact: true }).click();
    await o.page.locator('body').press('Enter');
    await o.page.waitForURL(`**/conversations/${id}`);
    await o.context.close();
  });

  it('searches by last name, email and number across statuses, marking the match', async () => {
    const ws = await newWorkspace(t, 'Search Co');
    const lan = await newConversation(t, ws.token, {
      subject: 'Broken zipper',
      customer: { email: 'lan.nguyen@example.com', name: 'Lan Nguyen' },
      message: { body: 'The zipper broke on day two.' },
    });
    await t.request('PATCH', `/api/v1/conversations/${lan.id}`, { token: ws.token, body: { status: 'resolved' } });
    const kim = await newConversation(t, ws.token, { subject: 'Size swap', customer: { email: 'kim@osei.test', name: 'Kim Osei' } });
    await newConversation(t, ws.token, { subject: 'Other', customer: { email: 'raj@example.com', name: 'Raj Patel' } });
    const o = await signedIn(browser, base, ws.email, '/?view=all');
    const rows = o.page.getByTestId('inbox-row');
    // Lan's is resolved: the view shows the two open ones, the search finds hers too.
    await rows.nth(1).waitFor();
    const search = async (q: string, subjects: string[]) => {
      await o.page.getByLabel('Search conversations').fill(q);
      await expect.poll(async () => (await rows.allTextContents()).map((r) => subjects.find((s) => r.includes(s)) ?? r), { timeout: 10_000 }).toEqual(subjects);
    };
    await search('Nguyen', ['Broken zipper']);
    expect(await rows.first().locator('mark').first().textContent()).toBe('Nguyen');
    await screenshot(o.page, 'inbox-search');
    await search('kim@osei', ['Size swap']);
    await search(`#${kim.number}`, ['Size swap']);
    await expect.poll(() => rows.first().locator('mark').first().textContent(), { timeout: 10_000 }).toBe(String(kim.number));
    await search('zipper', ['Broken zipper']);
    await expect.poll(() => rows.first().getByTestId('row-snippet').locator('mark').first().textContent(), { timeout: 10_000 }).toBe('zipper');
    await o.context.close();
  });

  it('snoozes with a preset in the agent’s time zone', async () => {
    const ws = await newWorkspace(t, 'Snooze Co');
    const conv = await newConversation(t, ws.token, { subject: 'Call me back next week' });
    const context = await browser.newContext({ baseURL: base, timezoneId: 'Asia/Tokyo', viewport: { width: 1360, height: 860 } });
    await context.request.post('/api/v1/auth/login', { data: { email: ws.email, password: PASSWORD } });
    const page = await context.newPage();
    await page.goto(`/conversations/${conv.id}`);
    await waitLive(page);
    await page.getByTestId('snooze-button').click();
    await page.getByRole('menuitem', { name: 'Next Monday, 9:00' }).click();
    await page.getByTestId('conversation-status').filter({ hasText: 'snoozed' }).waitFor();
    await page.getByTestId('snoozed-until').waitFor();
    const after = (await t.request('GET', `/api/v1/conversations/${conv.id}`, { token: ws.token })).body;
    expect(after.status).toBe('snoozed');
    // 9:00 in Tokyo is 00:00 UTC, on a Monday there.
    const until = new Date(after.snoozedUntil);
    expect(until.getUTCHours()).toBe(0);
    expect(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', weekday: 'long' }).format(until)).toBe('Monday');
    await context.close();
  });
});
