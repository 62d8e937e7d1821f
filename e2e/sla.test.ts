// SLAs in Chromium: the due time in the inbox column and on the conversation screen (late,
// running, paused), and the settings page for calendars and policies.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../apps/server/src/platform/clock.js';
import { newConversation, newWorkspace, type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, screenshot, seriousA11yViolations, signedIn, startServer } from './support.js';

const HOUR = 3_600_000;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('SLA screens', () => {
  // The server's clock starts two hours back, so one target is already late when the page opens.
  const clock = createFakeClock(new Date(Date.now() - 2 * HOUR));
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    ({ t, base } = await startServer({ clock }));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('shows due and remaining time in the inbox and the conversation, and edits policies in settings', async () => {
    const ws = await newWorkspace(t, 'SLA Co');
    const post = async (url: string, body: unknown) => {
      const res = await t.request('POST', url, { token: ws.token, body });
      expect(res.status, res.text).toBe(201);
      return res.body;
    };
    await post('/api/v1/sla/calendars', { name: 'Always open', timeZone: 'Europe/Berlin', alwaysOpen: true, isDefault: true });
    await post('/api/v1/sla/policies', {
      name: 'Urgent',
      conditions: { priority: ['urgent'] },
      targets: { firstResponse: 'PT1H', resolution: 'PT8H' },
      warning: { percent: 80 },
    });
    await post('/api/v1/sla/policies', { name: 'Gold customers', conditions: { traits: [{ key: 'tier', in: ['gold'] }] }, targets: { firstResponse: 'PT2H' } });
    await post('/api/v1/sla/policies', { name: 'Everyone', targets: { firstResponse: 'PT4H', nextResponse: 'PT4H', resolution: 'P2D' } });
    const late = await newConversation(t, ws.token, { subject: 'Card charged twice', priority: 'urgent' });
    clock.set(new Date());
    const running = await newConversation(t, ws.token, { subject: 'Where is my parcel?' });
    const paused = await newConversation(t, ws.token, { subject: 'Need my invoice' });
    await t.request('PATCH', `/api/v1/conversations/${paused.id}`, { token: ws.token, body: { status: 'pending' } });
    await t.rapport.logs.drain();
    await t.rapport.services.sla.sweep();
    await t.rapport.logs.drain();

    const o = await signedIn(browser, base, ws.email, '/?view=all&sort=due');
    const rows = o.page.getByTestId('inbox-row');
    await rows.first().waitFor();
    // Due soonest first: the late one, then the running one; the paused one waits at the end.
    await expect.poll(async () => (await rows.first().getAttribute('data-id')) ?? '').toBe(late.id);
    await expect.poll(async () => (await rows.nth(1).getAttribute('data-id')) ?? '').toBe(running.id);
    expect(await rows.first().getByTestId('due-cell').innerText()).toMatch(/^(59m|1h( 0m)?) late$/);
    expect(await rows.nth(1).getByTestId('due-cell').innerText()).toMatch(/^(3h 59m|4h) left$/);
    expect(await rows.nth(2).getByTestId('due-cell').innerText()).toBe('paused');
    await screenshot(o.page, 'inbox-sla');

    await o.page.goto(`/conversations/${late.id}`);
    const panel = o.page.getByTestId('sla-panel');
    await panel.waitFor();
    await expect.poll(() => panel.innerText()).toMatch(/first response breached/i);
    expect(await panel.innerText()).toMatch(/resolution: (5h 59m|6h) left/i);
    expect(await seriousA11yViolations(o.page)).toEqual([]);
    await screenshot(o.page, 'conversation-sla');

    await o.page.goto(`/conversations/${paused.id}`);
    await expect.poll(() => o.page.getByTestId('sla-panel').innerText()).toMatch(/Paused since/);

    await o.page.goto('/settings/sla');
    await o.page.getByRole('table', { name: 'SLA policies' }).waitFor();
    await o.page.getByLabel('Policy name').fill('Complaints by chat');
    await o.page.getByRole('textbox', { name: 'First response' }).fill('PT30M');
    await o.page.getByRole('button', { name: 'Create policy' }).click();
    await o.page.getByRole('cell', { name: 'Complaints by chat', exact: true }).waitFor();
    await o.page.getByLabel('Calendar name').fill('Berlin office');
    await o.page.getByLabel('Time zone').fill('Europe/Berlin');
    await o.page.getByLabel('Open hours').fill('mon-fri 09:00-12:00, 13:00-17:00');
    await o.page.getByLabel('Holidays').fill('2026-12-24, 2026-12-25');
    await o.page.getByRole('button', { name: 'Create calendar' }).click();
    await o.page.getByRole('cell', { name: 'Berlin office', exact: true }).waitFor();
    const calendars = (await t.request('GET', '/api/v1/sla/calendars', { token: ws.token })).body.data;
    expect(calendars.find((c: { name: string }) => c.name === 'Berlin office')).toMatchObject({
      timeZone: 'Europe/Berlin',
      holidays: ['2026-12-24', '2026-12-25'],
    });
    expect(calendars.find((c: { name: string }) => c.name === 'Berlin office').hours).toHaveLength(10);
    // Move the new policy up one place.
    await o.page.getByRole('button', { name: 'Move Complaints by chat up' }).click();
    await expect
      .poll(async () => (await t.request('GET', '/api/v1/sla/policies', { token: ws.token })).body.data.map((p: { name: string }) => p.name))
      .toEqual(['Urgent', 'Gold customers', 'Complaints by chat', 'Everyone']);
    expect(await seriousA11yViolations(o.page)).toEqual([]);
    await o.page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(o.page, 'settings-sla');
    await o.context.close();
  });
});
