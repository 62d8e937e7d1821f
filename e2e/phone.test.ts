// Every screen at phone width (390 px): nothing scrolls sideways; the inbox becomes a list.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, newWorkspace, type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, screenshot, signedIn, startServer } from './support.js';

describe('phone width', () => {
  let browser: Browser;
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    browser = await launchBrowser();
    ({ t, base } = await startServer());
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows every screen without sideways scrolling at 390 px', async () => {
    const ws = await newWorkspace(t, 'Phone Co');
    let conv = await newConversation(t, ws.token, { subject: 'A rather long subject line about a parcel that never arrived at all' });
    for (let i = 0; i < 4; i++) conv = await newConversation(t, ws.token, { subject: `Another long subject about order number ${4000 + i}` });
    const s = await signedIn(browser, base, ws.email, '/?view=all');
    await s.page.setViewportSize({ width: 390, height: 844 });
    const screens = [
      '/?view=all',
      `/conversations/${conv.id}`,
      '/customers',
      `/customers/${conv.customer.id}`,
      '/settings/members',
      '/settings/teams',
      '/settings/canned',
      '/settings/fields',
      '/settings/tokens',
      '/settings/write-keys',
      '/settings/touchpoints',
      '/settings/audit',
      '/profile',
    ];
    for (const path of screens) {
      await s.page.goto(path);
      await s.page.locator('main').first().waitFor();
      await s.page.waitForLoadState('networkidle');
      const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await s.page.goto('/?view=all');
    const row = s.page.getByTestId('inbox-row').first();
    await row.waitFor();
    // The list keeps who and what, and folds the desktop columns away.
    expect(await row.locator('[role="cell"]').nth(3).isVisible()).toBe(false);
    expect(await row.getByRole('link').isVisible()).toBe(true);
    await screenshot(s.page, 'inbox-phone');
    await s.context.close();
  });
});
