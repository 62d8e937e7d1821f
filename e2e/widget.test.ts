// The chat widget in Chromium, embedded in a plain page of another origin (a second HTTP server
// on another port): a visitor writes, an agent signed in to the web app answers, the visitor sees
// the answer live; a forged identity hash is refused. Widget elements are found by role and name
// inside its open shadow root.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMember, newWorkspace, type TestApp, type TestWorkspace } from '../apps/server/src/test/harness.js';
import { launchBrowser, PASSWORD, ROOT, screenshot, seriousA11yViolations, startServer, waitLive } from './support.js';

const WIDGET = path.join(ROOT, 'apps/widget/dist/widget.js');

let browser: Browser;
let t: TestApp;
let base: string;
let host: Server;
let hostOrigin: string;
let ws: TestWorkspace;

/** The customer's site: another origin, serving pages that embed the widget. */
function startHost(pages: Record<string, () => string>): Promise<string> {
  host = createServer((req, res) => {
    const page = pages[(req.url ?? '/').split('?')[0] ?? '/'];
    if (!page) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page());
  });
  return new Promise((resolve) => host.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(host.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  if (!existsSync(WIDGET)) execFileSync(process.execPath, [path.join(ROOT, 'apps/widget/scripts/build.mjs')], { stdio: 'inherit' });
  browser = await launchBrowser();
  ({ t, base } = await startServer({ runWorker: true, widgetFile: WIDGET }));
  ws = await newWorkspace(t, 'Acme Outdoor');
  const shell = (body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme Outdoor — Tents</title>
<style>body{font-family:Georgia,serif;margin:0;background:#f4f1ea;color:#2b2b2b}header{background:#2f4f3a;color:#fff;padding:18px 32px;font-size:22px}main{padding:32px;max-width:720px}h1{margin-top:0}</style></head>
<body><header>Acme Outdoor</header><main><h1>Four-season tents</h1><p>Sturdy, light and ready for the mountains. Questions about sizes or delivery? Ask us in the chat.</p></main>${body}</body></html>`;
  hostOrigin = await startHost({
    '/': () => shell(`<script src="${base}/widget.js" data-workspace="${ws.workspaceId}" async></script>`),
    // The queued stub: calls made before the script loads run once it has.
    '/account': () =>
      shell(`<script>window.Rapport=window.Rapport||function(){(window.Rapport.q=window.Rapport.q||[]).push(arguments)};
Rapport('boot',{workspace:${JSON.stringify(ws.workspaceId)},user:{id:'user-1',name:'Kim',hash:'${'0'.repeat(64)}'}});</script>
<script src="${base}/widget.js" async></script>`),
  });
  const inbox = await t.request('POST', '/api/v1/inboxes', {
    token: ws.token,
    body: {
      channel: 'chat',
      name: 'Acme Outdoor',
      settings: { allowedOrigins: [hostOrigin], color: '#2f4f3a', greeting: 'Hi! Ask us anything about our tents.' },
    },
  });
  expect(inbox.status).toBe(201);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await new Promise((resolve) => host?.close(resolve));
});

describe('chat widget', () => {
  it('carries a visitor’s message to an agent in the web app and the answer back live', async () => {
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    // The agent signs in through the web app and stays on the live inbox.
    const agentContext = await browser.newContext({ baseURL: base, viewport: { width: 1360, height: 860 } });
    const agent = await agentContext.newPage();
    await agent.goto('/');
    await agent.getByRole('heading', { name: 'Sign in' }).waitFor();
    await agent.getByLabel('Email').fill(ada.email);
    await agent.locator('input[type="password"]').fill(PASSWORD);
    await agent.getByRole('button', { name: 'Sign in' }).click();
    await waitLive(agent);

    const visitorContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const visitor = await visitorContext.newPage();
    await visitor.goto(`${hostOrigin}/`);
    await visitor.getByRole('button', { name: 'Open chat' }).click();
    const panel = visitor.getByRole('dialog', { name: 'Chat with Acme Outdoor' });
    await panel.getByText('Hi! Ask us anything about our tents.').waitFor();
    const question = 'Does the Summit 2 fit two people with packs?';
    await panel.getByRole('textbox', { name: 'Message' }).fill(question);
    await panel.getByRole('button', { name: 'Send' }).click();
    await panel.getByRole('log').getByText(question).waitFor();
    // An agent is online: no email is asked for.
    expect(await panel.getByRole('textbox', { name: 'Email address' }).isVisible()).toBe(false);

    // The conversation is in the agent's inbox; the agent opens it and answers.
    let conversationId = '';
    await expect
      .poll(async () => {
        const list = await t.request('GET', '/api/v1/conversations?status=open&limit=50', { token: ws.token });
        conversationId = list.body.data.find((c: { lastMessagePreview: string | null }) => c.lastMessagePreview?.includes(question.slice(0, 40)))?.id ?? '';
        return conversationId;
      })
      .not.toBe('');
    await agent.goto(`/conversations/${conversationId}`);
    await agent.getByTestId('message').filter({ hasText: question }).waitFor({ timeout: 10_000 });
    const answer = 'Yes — two people and two 50 l packs fit in the vestibules.';
    await agent.getByLabel('Reply to the customer').fill(answer);
    await agent.getByRole('button', { name: 'Send reply' }).click();

    // The visitor sees it arrive without reloading.
    await panel.getByRole('log').getByText(answer).waitFor({ timeout: 15_000 });
    expect(await panel.getByRole('log').getByText('Ada Agent').count()).toBeGreaterThan(0);
    await expect
      .poll(async () => {
        const msgs = await t.request('GET', `/api/v1/conversations/${conversationId}/messages`, { token: ws.token });
        return msgs.body.data.find((m: { body: string }) => m.body === answer)?.delivery?.status;
      })
      .toBe('delivered');

    // The page view reached the visitor's timeline through ingest.
    const conv = await t.request('GET', `/api/v1/conversations/${conversationId}`, { token: ws.token });
    await expect
      .poll(async () => {
        const timeline = await t.request('GET', `/api/v1/customers/${conv.body.customer.id}/timeline`, { token: ws.token });
        return timeline.body.data.some((i: { name: string }) => i.name === 'Acme Outdoor — Tents');
      })
      .toBe(true);

    expect(await seriousA11yViolations(visitor)).toEqual([]);
    await screenshot(visitor, 'widget');
    // Keyboard: Escape closes the panel and gives focus back to the launcher.
    await panel.getByRole('textbox', { name: 'Message' }).focus();
    await visitor.keyboard.press('Escape');
    await visitor.getByRole('button', { name: 'Open chat' }).waitFor();
    expect(await panel.isVisible()).toBe(false);

    // On a phone the open panel fills the screen.
    await visitor.setViewportSize({ width: 375, height: 700 });
    await visitor.getByRole('button', { name: 'Open chat' }).click();
    const box = await panel.boundingBox();
    expect(box?.width).toBe(375);
    await screenshot(visitor, 'widget-phone');
    await visitorContext.close();
    await agentContext.close();
  });

  it('asks for an email when nobody is online, and thanks the visitor', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${hostOrigin}/`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const panel = page.getByRole('dialog', { name: 'Chat with Acme Outdoor' });
    await panel.getByRole('textbox', { name: 'Message' }).fill('Do you ship to Norway?');
    await panel.getByRole('button', { name: 'Send' }).click();
    const email = panel.getByRole('textbox', { name: 'Email address' });
    await email.waitFor();
    await screenshot(page, 'widget-offline');
    await email.fill('not an email');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('status').getByText('Please enter a valid email address.').waitFor();
    await email.fill('sigrid@example.no');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('status').getByText('We will answer at sigrid@example.no').waitFor();
    expect(await email.isVisible()).toBe(false);
    await context.close();
  });

  it('refuses a forged identity hash: no widget, a 401, an audit entry', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused = page.waitForResponse((r) => r.url().includes('/widget/v1/boot') && r.request().method() === 'POST');
    await page.goto(`${hostOrigin}/account`);
    expect((await refused).status()).toBe(401);
    expect(await page.locator('#rapport-widget').count()).toBe(0);
    const audit = await t.request('GET', '/api/v1/audit-log?action=widget.identity_refused', { token: ws.token });
    expect(audit.body.data[0]).toMatchObject({ action: 'widget.identity_refused', data: { userId: 'user-1', origin: hostOrigin } });
    await context.close();
  });
});
