// Finding 4 of the security review (issue 8): Segment's own browser library, unchanged, on a page
// of another origin, sends identify, track and page to Rapport with a client write key (CORS,
// preflights, the settings endpoint), and they land on the signed-in customer's timeline.
import { createHmac } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, newWorkspace, type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, ROOT } from './support.js';

const UMD = path.join(ROOT, 'node_modules/@segment/analytics-next/dist/umd');

/** A plain static site on its own port: the customer's shop, another origin than Rapport. */
async function startShop(pageHtml: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    if (url.pathname === '/' || url.pathname === '/pricing') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml());
      return;
    }
    // The library and the chunks it lazy-loads, exactly as published on npm.
    const name = url.pathname.replace(/^\/cdn\/analytics-next\/bundles\//, '').replace(/^\/lib\//, '');
    const file = path.join(UMD, path.basename(name));
    if ((url.pathname.startsWith('/cdn/') || url.pathname.startsWith('/lib/')) && existsSync(file)) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('finding 4: @segment/analytics-next from another origin, with a client key', () => {
  let browser: Browser;
  let t: TestApp;
  let rapport: string;
  let shop: { server: Server; origin: string };
  let page = '';
  beforeAll(async () => {
    browser = await launchBrowser();
    t = await createTestApp('sqlite', { webDir: null });
    rapport = await t.listen();
    shop = await startShop(() => page);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise<void>((resolve) => (shop ? shop.server.close(() => resolve()) : resolve()));
  });

  it("finds the browser's identify, track and page on the customer's timeline", async () => {
    const ws = await newWorkspace(t);
    const client = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'shop', kind: 'client', allowedOrigins: [shop.origin] } });
    expect(client.status).toBe(201);
    const server = await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'backend', kind: 'server' } });
    const basic = { authorization: `Basic ${Buffer.from(`${server.body.key}:`).toString('base64')}` };
    // The shop's back end knows the user and signs their id for the browser.
    await t.request('POST', '/v1/identify', { headers: basic, body: { userId: 'shopper-7', traits: { email: 'shopper7@example.com', name: 'Sol Shopper' } } });
    const { secret } = (await t.request('GET', '/api/v1/identity-secret', { token: ws.token })).body;
    const userHash = createHmac('sha256', secret).update('shopper-7').digest('hex');

    page = `<!doctype html><html><head><title>Shop</title>
<script>window.analytics = { _cdn: location.origin + '/cdn' };</script>
<script src="/lib/index.js"></script></head><body><h1>Pricing</h1>
<script>
  (async () => {
    try {
      const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({ writeKey: ${JSON.stringify(client.body.key)}, cdnURL: ${JSON.stringify(rapport)} });
      await analytics.identify('shopper-7', { plan: 'gold' }, { context: { userHash: ${JSON.stringify(userHash)} } });
      await analytics.track('Cart Viewed', { items: 2 });
      await analytics.page('Pricing');
      window.__sent = true;
    } catch (err) {
      window.__error = String(err && err.stack || err);
    }
  })();
</script></body></html>`;

    const context = await browser.newContext();
    const tab = await context.newPage();
    const failed: string[] = [];
    tab.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    const ingestCalls: string[] = [];
    tab.on('response', (r) => {
      if (r.url().startsWith(rapport)) ingestCalls.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
    await tab.goto(`${shop.origin}/pricing`);
    await tab.waitForFunction(
      () => (window as unknown as { __sent?: boolean; __error?: string }).__sent || (window as unknown as { __error?: string }).__error,
      null,
      {
        timeout: 20_000,
      },
    );
    expect(await tab.evaluate(() => (window as unknown as { __error?: string }).__error ?? null)).toBeNull();
    expect(failed).toEqual([]);
    expect(ingestCalls).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GET \/v1\/projects\/.+\/settings 200$/), expect.stringMatching(/^POST \/v1\/t 200$/)]),
    );

    // Accepted is not yet processed: wait for the ingest processor (never a sleep).
    await t.rapport.logs.drain();
    const customers = (await t.request('GET', '/api/v1/customers?q=shopper7', { token: ws.token })).body.data;
    expect(customers).toHaveLength(1);
    const timeline = (await t.request('GET', `/api/v1/customers/${customers[0].id}/timeline?limit=50`, { token: ws.token })).body.data as Array<{
      kind: string;
      name: string;
    }>;
    expect(timeline.map((i) => `${i.kind}:${i.name}`)).toEqual(expect.arrayContaining(['identify:Identified', 'event:Cart Viewed', 'page:Pricing']));
    // The browser added a trait; it renamed nobody.
    const profile = (await t.request('GET', `/api/v1/customers/${customers[0].id}`, { token: ws.token })).body;
    expect(profile).toMatchObject({ name: 'Sol Shopper', traits: { plan: 'gold' } });
    await context.close();
  });
});
