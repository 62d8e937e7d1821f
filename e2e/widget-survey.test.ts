// A survey delivered in the chat widget, in Chromium: a visitor chats on a customer's site (another
// origin), the agent resolves the conversation, the NPS survey appears in the open widget, the
// visitor rates 9 out of 10 with a comment, and the response is in the API as a chat answer.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, type TestApp, type TestWorkspace } from '../apps/server/src/test/harness.js';
import { launchBrowser, ROOT, screenshot, seriousA11yViolations, startServer } from './support.js';

const WIDGET = path.join(ROOT, 'apps/widget/dist/widget.js');

let browser: Browser;
let t: TestApp;
let base: string;
let host: Server;
let hostOrigin: string;
let ws: TestWorkspace;
let surveyId: string;

beforeAll(async () => {
  if (!existsSync(WIDGET)) execFileSync(process.execPath, [path.join(ROOT, 'apps/widget/scripts/build.mjs')], { stdio: 'inherit' });
  browser = await launchBrowser();
  ({ t, base } = await startServer({ runWorker: true, widgetFile: WIDGET }));
  ws = await newWorkspace(t, 'Acme Outdoor');
  host = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Outdoor</title></head><body style="font-family:Georgia,serif;background:#f4f1ea"><main style="padding:32px"><h1>Four-season tents</h1><p>Questions? Ask us in the chat.</p></main><script src="${base}/widget.js" data-workspace="${ws.workspaceId}" async></script></body></html>`,
      ),
  );
  hostOrigin = await new Promise((resolve) => host.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(host.address() as AddressInfo).port}`)));
  const inbox = await t.request('POST', '/api/v1/inboxes', {
    token: ws.token,
    body: { channel: 'chat', name: 'Acme Outdoor', settings: { allowedOrigins: [hostOrigin], color: '#2f4f3a', greeting: 'Hi! Ask us anything.' } },
  });
  expect(inbox.status).toBe(201);
  const survey = await t.request('POST', '/api/v1/surveys', {
    token: ws.token,
    body: { name: 'NPS after chat', type: 'nps', title: 'One quick question', trigger: { type: 'conversation_resolved', channels: ['chat'] } },
  });
  expect(survey.status).toBe(201);
  surveyId = survey.body.id as string;
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await new Promise((resolve) => host?.close(resolve));
});

describe('survey in the chat widget', () => {
  it('shows the survey in the conversation once it is resolved, and records the rating and comment', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${hostOrigin}/`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const panel = page.getByRole('dialog', { name: 'Chat with Acme Outdoor' });
    await panel.getByRole('textbox', { name: 'Message' }).fill('My tent pole arrived broken.');
    await panel.getByRole('button', { name: 'Send' }).click();
    await panel.getByRole('log').getByText('My tent pole arrived broken.').waitFor();

    let conversationId = '';
    await expect
      .poll(async () => {
        const list = await t.request('GET', '/api/v1/conversations?status=open&limit=50', { token: ws.token });
        conversationId = list.body.data[0]?.id ?? '';
        return conversationId;
      })
      .not.toBe('');
    // The visitor closes the chat; the agent resolves the conversation.
    await panel.getByRole('button', { name: 'Close chat' }).click();
    expect((await t.request('PATCH', `/api/v1/conversations/${conversationId}`, { token: ws.token, body: { status: 'resolved' } })).status).toBe(200);

    // Pushed over the widget's socket: the launcher says a survey waits, the survey is in the conversation.
    await page.getByRole('button', { name: 'Open chat (1 survey waiting)' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Open chat (1 survey waiting)' }).click();
    const form = panel.getByRole('form', { name: 'One quick question' });
    await form.waitFor();
    await form.getByRole('group', { name: 'How likely are you to recommend us to a friend or colleague?' }).waitFor();
    expect(await form.getByRole('button', { name: /^Rate \d+ out of 10$/ }).count()).toBe(11);
    // Submitting without a rating asks for one.
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByRole('status').getByText('Please choose a rating.').waitFor();
    await form.getByRole('button', { name: 'Rate 9 out of 10' }).click();
    expect(await form.getByRole('button', { name: 'Rate 9 out of 10' }).getAttribute('aria-pressed')).toBe('true');
    await form.getByRole('textbox', { name: 'What is the main reason for your score?' }).fill('Quick replacement, thank you!');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'widget-survey');
    if (process.env.E2E_SHOTS) await page.screenshot({ path: path.join(process.env.E2E_SHOTS, 'widget-survey.png') });
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByText('Thank you for your feedback.').waitFor();
    if (process.env.E2E_SHOTS) await page.screenshot({ path: path.join(process.env.E2E_SHOTS, 'widget-survey-thanks.png') });
    // Answered: nothing waits any more.
    await panel.getByRole('button', { name: 'Close chat' }).click();
    await page.getByRole('button', { name: 'Open chat', exact: true }).waitFor();

    const res = await t.request('GET', `/api/v1/surveys/${surveyId}/responses`, { token: ws.token });
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({ score: 9, comment: 'Quick replacement, thank you!', delivery: 'chat', channel: 'chat', conversationId });
    const results = await t.request('GET', `/api/v1/surveys/results?surveyId=${surveyId}`, { token: ws.token });
    expect(results.body.overall).toMatchObject({ responses: 1 });

    // A reload shows no survey waiting any more.
    await page.reload();
    await page.getByRole('button', { name: 'Open chat' }).click();
    await panel.getByRole('log').getByText('My tent pole arrived broken.').waitFor();
    expect(await panel.getByRole('form', { name: 'One quick question' }).count()).toBe(0);
    await context.close();
  });
});
