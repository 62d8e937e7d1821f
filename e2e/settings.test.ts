// Settings and the account in Chromium: accessibility, invitations, tokens, write keys, workspaces and availability.
// The main flows run on both engines.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, newConversation, newWorkspace, type TestApp } from '../apps/server/src/test/harness.js';
import { openMailbox, type Mailbox } from '../apps/server/src/test/mailbox.js';
import { launchBrowser, PASSWORD, screenshot, seriousA11yViolations, signedIn, startServer, waitLive } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(engines)('settings on %s', (engine) => {
  let t: TestApp;
  let base: string;
  let mailbox: Mailbox;
  beforeAll(async () => {
    mailbox = await openMailbox();
    ({ t, base } = await startServer({ smtpRelayUrl: mailbox.relayUrl }, engine));
  });
  afterAll(async () => {
    await t?.close();
    await mailbox?.close();
  });

  it('has no serious or critical accessibility violations on the inbox, conversation and settings', async () => {
    const ws = await newWorkspace(t, 'A11y Co');
    const conv = await newConversation(t, ws.token, { subject: 'Accessible?' });
    await t.request('POST', `/api/v1/conversations/${conv.id}/messages`, { token: ws.token, body: { body: 'A note for the team', kind: 'note' } });
    const o = await signedIn(browser, base, ws.email, '/?view=all');
    await o.page.getByTestId('inbox-row').first().waitFor();
    expect(await seriousA11yViolations(o.page)).toEqual([]);

    await o.page.goto(`/conversations/${conv.id}`);
    await o.page.getByTestId('message').first().waitFor();
    expect(await seriousA11yViolations(o.page)).toEqual([]);

    for (const section of ['members', 'tokens', 'write-keys']) {
      await o.page.goto(`/settings/${section}`);
      await o.page.getByRole('heading', { name: 'Settings' }).waitFor();
      await o.page
        .getByRole('table')
        .or(o.page.getByText(/not offer this yet|No write keys/))
        .first()
        .waitFor();
      expect(await seriousA11yViolations(o.page), section).toEqual([]);
    }
    await o.context.close();
  });

  it('lets an owner invite by email (accepted in another browser), create a token shown once and a write key with its snippet', async () => {
    const ws = await newWorkspace(t, 'Settings Co');
    const o = await signedIn(browser, base, ws.email, '/settings/members');
    const invite = o.page.getByRole('form', { name: 'Invite a member' });
    await invite.getByLabel('Email').fill('newbie@settings.test');
    await invite.getByRole('button', { name: 'Invite' }).click();
    await o.page.getByTestId('invitation-sent').getByText('newbie@settings.test').waitFor();
    // The link reaches the invited mailbox only.
    expect(await o.page.getByTestId('secret-value').count()).toBe(0);
    await t.rapport.jobs.drain();
    const link = `${base}/invite#${mailbox.inviteToken('newbie@settings.test')}`;

    const guest = await browser.newContext({ baseURL: base });
    const g = await guest.newPage();
    await g.goto(link);
    await g.getByLabel('Your name').fill('Nia Newbie');
    await g.locator('input[type="password"]').fill(PASSWORD);
    await g.getByRole('button', { name: 'Create account and join' }).click();
    await g.getByRole('heading', { name: 'Mine' }).waitFor();
    await g.getByText('Nia Newbie').waitFor();
    await guest.close();
    // The new member shows up for the owner, who can deactivate them.
    await o.page.reload();
    await o.page.getByRole('button', { name: 'Deactivate Nia Newbie' }).click();
    await o.page.getByRole('button', { name: 'Reactivate Nia Newbie' }).waitFor();
    const nia = (await t.request('GET', '/api/v1/members', { token: ws.token })).body.data.find((m: { name: string }) => m.name === 'Nia Newbie');
    expect(nia.status).toBe('deactivated');

    await o.page.getByRole('tab', { name: 'API tokens' }).click();
    await o.page.getByLabel('Token name').fill('zapier');
    await o.page.getByRole('button', { name: 'Create token' }).click();
    const token = (await o.page.getByTestId('secret-value').textContent()) ?? '';
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    await o.page.getByRole('table', { name: 'API tokens' }).getByText('zapier').waitFor();
    await o.page.reload();
    await o.page.getByRole('table', { name: 'API tokens' }).waitFor();
    expect(await o.page.getByText(token).count()).toBe(0);

    await o.page.getByRole('tab', { name: 'Write keys' }).click();
    await o.page.getByRole('button', { name: 'Create write key' }).click();
    const snippet = (await o.page.getByTestId('tracking-snippet').textContent()) ?? '';
    expect(snippet).toContain(`HOST = ${JSON.stringify(base)}`);
    expect(snippet).toContain("'/v1/'");
    const key = (await o.page.getByTestId('secret-value').textContent()) ?? '';
    expect(snippet).toContain(JSON.stringify(key));
    // A client key by default, listed with its kind; the identity secret is revealed on demand.
    await o.page.getByRole('table', { name: 'Write keys' }).getByText('client (public)').waitFor();
    await o.page.getByRole('button', { name: 'Show identity secret' }).click();
    await o.page.getByRole('button', { name: 'Rotate secret' }).waitFor();
    await screenshot(o.page, 'write-keys');
    await o.context.close();
  });

  it('switches workspace and sets availability from the header and profile', async () => {
    const ws = await newWorkspace(t, 'First Co');
    const o = await signedIn(browser, base, ws.email, '/profile');
    const created = await o.context.request.post('/api/v1/workspaces', { data: { name: 'Second Co' } });
    expect(created.status()).toBe(201);
    await o.page.getByText('Away', { exact: true }).click();
    await expect.poll(async () => (await t.request('GET', '/api/v1/me', { token: ws.token })).body.availability).toBe('away');

    await o.page.reload();
    await waitLive(o.page);
    await o.page.getByLabel('Workspace', { exact: true }).first().click();
    await o.page.getByRole('option', { name: 'Second Co' }).click();
    await expect.poll(() => o.page.getByLabel('Workspace', { exact: true }).first().inputValue(), { timeout: 10_000 }).toBe('Second Co');
    await o.page.getByRole('heading', { name: 'Mine' }).waitFor();
    await o.context.close();
  });
});
