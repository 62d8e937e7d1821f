// The customer timeline in Chromium, grouped by journey stage.
// The main flows run on both engines.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, newConversation, newWorkspace, unique, type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, screenshot, signedIn, startServer } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(engines)('customers on %s', (engine) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => ({ t, base } = await startServer({}, engine)));
  afterAll(async () => t?.close());

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
});
