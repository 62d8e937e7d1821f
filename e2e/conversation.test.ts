// The conversation in Chromium: internal notes, partner scoping, read-only analysts, the side panel.
// The main flows run on both engines.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { engines, newConversation, newMember, newWorkspace, type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, screenshot, signedIn, startServer } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(engines)('conversation on %s', (engine) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => ({ t, base } = await startServer({}, engine)));
  afterAll(async () => t?.close());

  it('keeps a note internal: agents see it as a note, nothing customer-facing carries it', async () => {
    const ws = await newWorkspace(t, 'Notes Co');
    const ada = await newMember(t, ws, 'agent', { name: 'Ada Agent' });
    const ben = await newMember(t, ws, 'agent', { name: 'Ben Agent' });
    const conv = await newConversation(t, ws.token, { subject: 'Refund please' });
    // A raw stream client stands in for any consumer of the live events (the widget, webhooks).
    const stream = new WebSocket(`${base.replace('http', 'ws')}/api/v1/stream?token=${ws.token}`);
    const events: { type: string; internal: boolean; data: { message?: { body: string; kind: string; authorType: string } } }[] = [];
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
    // (The stream carries the log's message.created events; the agents' are the note and the reply.)
    const byAgents = () => events.filter((e) => e.type === 'message.created' && e.data.message?.authorType === 'agent');
    await expect.poll(() => byAgents().length, { timeout: 10_000 }).toBe(2);
    const created = byAgents().map((e) => [e.data.message?.kind, e.internal]);
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
});
