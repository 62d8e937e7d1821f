// The demo workspace shows what Rapport is: the seeded demo (the one `npm start` creates), on
// both engines, signed in as its owner — a customer's timeline runs across the journey stages,
// from the promotional e-mail to the review, beside their service conversations.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Rapport } from '../apps/server/src/app.js';
import type { DbHandle } from '../apps/server/src/platform/db/database.js';
import { DEMO_LOGIN, seedDemo } from '../apps/server/src/seed.js';
import { engines, openTestDatabase } from '../apps/server/src/test/harness.js';
import { launchBrowser, screenshot, WEB_DIST } from './support.js';

describe.each(engines)('the demo workspace on %s', (engine) => {
  let browser: Browser;
  let handle: DbHandle;
  let rapport: Rapport;
  let base: string;
  beforeAll(async () => {
    browser = await launchBrowser();
    handle = await openTestDatabase(engine);
    await seedDemo(handle, { passwordCost: 10 });
    rapport = await buildApp({ handle, logger: false, passwordCost: 10, webDir: WEB_DIST });
    await rapport.app.listen({ port: 0, host: '127.0.0.1' });
    const address = rapport.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await rapport?.app.close();
    await handle?.close();
  });

  it("opens on the owner's own conversations and shows a customer's journey across the stages", async () => {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1360, height: 900 } });
    expect((await context.request.post('/api/v1/auth/login', { data: DEMO_LOGIN })).status()).toBe(200);
    const page = await context.newPage();
    await page.goto('/');
    // "Mine" is the owner's landing view, and it is not empty.
    await page.getByTestId('inbox-row').first().waitFor();

    // A customer who went all the way: from the e-mail to the review.
    const reviewers = await context.request.get('/api/v1/customers?limit=100');
    const customers = ((await reviewers.json()) as { data: Array<{ id: string }> }).data;
    let chosen: string | null = null;
    for (const c of customers) {
      const tl = (await (await context.request.get(`/api/v1/customers/${c.id}/timeline?limit=100`)).json()) as { data: Array<{ stage: string | null }> };
      const stages = new Set(tl.data.map((i) => i.stage).filter(Boolean));
      if (stages.size >= 5) {
        chosen = c.id;
        break;
      }
    }
    expect(chosen).not.toBeNull();
    await page.goto(`/customers/${chosen}`);
    await page.getByTestId('timeline-stage').first().waitFor();
    const stages = await page.getByTestId('timeline-stage').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
    expect(stages).toEqual(expect.arrayContaining(['research', 'purchase', 'usage', 'post_sales', 'advocacy']));
    if (engine === 'sqlite') await screenshot(page, 'demo-timeline');
    await context.close();
  });

  it("has an email conversation through the default inbox (HTML, the quote folded, an attachment, the reply's delivery) and a chat", async () => {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
    expect((await context.request.post('/api/v1/auth/login', { data: DEMO_LOGIN })).status()).toBe(200);
    const list = (await (await context.request.get('/api/v1/conversations?q=damaged&limit=20')).json()) as { data: Array<{ id: string; channel: string }> };
    const mail = list.data.find((c) => c.channel === 'email');
    expect(mail).toBeTruthy();
    const inboxes = (await (await context.request.get('/api/v1/inboxes')).json()) as { data: Array<{ channel: string; name: string }> };
    expect(inboxes.data.map((i) => i.channel).sort()).toEqual(['chat', 'email']);
    const page = await context.newPage();
    await page.goto(`/conversations/${mail?.id}`);
    const first = page.getByTestId('message').first();
    await first.getByTestId('email-html').waitFor();
    await first.getByTestId('quote-toggle').waitFor();
    await first.getByRole('link', { name: 'broken-mug.jpg' }).waitFor();
    await page.locator('[data-testid="delivery"]').first().waitFor();
    if (engine === 'sqlite') await screenshot(page, 'conversation-email');
    await context.close();
  });

  it('reads how customers feel: the inbox filtered by feeling, a message read as negative, what customers write about', async () => {
    // The seed's customer messages are read by the feelings consumer, just behind the writes.
    await rapport.logs.drain();
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
    expect((await context.request.post('/api/v1/auth/login', { data: DEMO_LOGIN })).status()).toBe(200);
    const page = await context.newPage();
    await page.goto('/?view=all&feeling=negative');
    await page.getByTestId('inbox-row').first().waitFor();
    const feelings = await page
      .getByTestId('inbox-row')
      .evaluateAll((rows) => rows.map((r) => r.querySelector('[aria-label^="Customer feeling"]')?.getAttribute('aria-label') ?? 'none'));
    expect(feelings.length).toBeGreaterThan(0);
    for (const f of feelings) expect(f).toMatch(/^Customer feeling: negative/);
    if (engine === 'sqlite') await screenshot(page, 'inbox-feeling');

    // Unhappiest first: the sort control puts the most negative customer on top.
    await page.goto('/?view=all');
    await page.getByTestId('inbox-row').first().waitFor();
    await page.getByLabel('Sort', { exact: true }).first().click();
    await page.getByRole('option', { name: 'Unhappiest first' }).click();
    await page.waitForURL(/sort=feeling/);
    await page.getByTestId('inbox-row').first().locator('[aria-label^="Customer feeling: negative"]').waitFor();

    // A conversation holding a customer message that reads negative shows it so.
    const negative = (await (await context.request.get('/api/v1/conversations?feeling=negative&status=open,pending,resolved,closed&limit=50')).json()) as {
      data: Array<{ id: string }>;
    };
    let target: string | null = null;
    for (const c of negative.data) {
      const msgs = (await (await context.request.get(`/api/v1/conversations/${c.id}/messages`)).json()) as {
        data: Array<{ sentiment: { label: string } | null }>;
      };
      if (msgs.data.some((m) => m.sentiment?.label === 'negative')) {
        target = c.id;
        break;
      }
    }
    expect(target).not.toBeNull();
    await page.goto(`/conversations/${target}`);
    await page.getByTestId('message').first().waitFor();
    await page.locator('[aria-label^="Reads negative"]').first().waitFor();
    const readings = await page.locator('[aria-label^="Reads "]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(readings.some((r) => r.startsWith('Reads negative'))).toBe(true);

    await page.goto('/customers');
    const topics = page.getByRole('table', { name: 'Topics' });
    await topics.waitFor();
    expect(await topics.getByRole('row').count()).toBeGreaterThan(3);
    expect(await topics.getByRole('cell', { name: 'parcel', exact: true }).count()).toBe(1);
    if (engine === 'sqlite') await screenshot(page, 'topics');
    await context.close();
  });
});
