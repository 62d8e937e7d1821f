// Invitations in the browser (finding 1 of issue 8): the link arrives by mail; a new address
// chooses its password on the page; a person with an account signs in as themselves and joins,
// from the link or from the notice in the app.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, type TestApp } from '../apps/server/src/test/harness.js';
import { openMailbox, type Mailbox } from '../apps/server/src/test/mailbox.js';
import { launchBrowser, PASSWORD, screenshot, signedIn, startServer } from './support.js';

describe('invitations in the browser', () => {
  let browser: Browser;
  let t: TestApp;
  let base: string;
  let mailbox: Mailbox;
  beforeAll(async () => {
    browser = await launchBrowser();
    mailbox = await openMailbox();
    ({ t, base } = await startServer({ smtpRelayUrl: mailbox.relayUrl }));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await mailbox?.close();
  });

  const invite = async (token: string, email: string) => {
    expect((await t.request('POST', '/api/v1/members', { token, body: { email, role: 'agent' } })).status).toBe(201);
    await t.rapport.jobs.drain();
    return `${base}/invite#${mailbox.inviteToken(email)}`;
  };

  it('an existing person opening a mailed link signs in as themselves and joins', async () => {
    const home = await newWorkspace(t, 'Home Co');
    const host = await newWorkspace(t, 'Host Co');
    const link = await invite(host.token, home.email);
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Join Host Co' }).waitFor();
    await page.getByText('You already have an account').waitFor();
    await screenshot(page, 'invite');
    // The page offers no way to set a password for an existing account.
    expect(await page.getByRole('button', { name: 'Create account and join' }).count()).toBe(0);
    await page.locator('input[type="password"]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in and join' }).click();
    await page
      .getByTestId('workspace-name')
      .or(page.getByRole('combobox', { name: 'Workspace' }))
      .first()
      .waitFor();
    const me = await context.request.get('/api/v1/me');
    expect(await me.json()).toMatchObject({ workspace: { name: 'Host Co' }, role: 'agent', invitations: [] });
    await context.close();
  });

  it('a link used or expired says so, and a stranger signed in cannot use it', async () => {
    const host = await newWorkspace(t, 'Other Host');
    const stranger = await newWorkspace(t, 'Stranger Co');
    const email = `person-${Date.now()}@test.rapport`;
    const link = await invite(host.token, email);
    const s = await signedIn(browser, base, stranger.email, '/');
    await s.page.goto(link);
    await s.page.getByRole('heading', { name: 'Join Other Host' }).waitFor();
    // A new address: the page creates that account, it never joins the stranger.
    await s.page.getByLabel('Email').first().waitFor();
    expect(await s.page.getByLabel('Email').first().inputValue()).toBe(email);
    await s.context.close();

    const page = await browser.newPage();
    await page.goto(`${base}/invite#not-a-real-token-at-all`);
    await page.getByRole('heading', { name: 'This invitation link is no longer valid' }).waitFor();
    await page.close();
  });

  it('shows a signed-in person their invitations, to join or decline', async () => {
    const home = await newWorkspace(t, 'Notice Home');
    const host = await newWorkspace(t, 'Notice Host');
    const other = await newWorkspace(t, 'Declined Host');
    await invite(host.token, home.email);
    await invite(other.token, home.email);
    const h = await signedIn(browser, base, home.email, '/?view=all');
    const notice = h.page.getByTestId('pending-invitations');
    await notice.getByText('You are invited to Notice Host').waitFor();
    await screenshot(h.page, 'invitation-notice');
    await notice.getByRole('button', { name: 'Decline' }).last().click();
    await notice.getByText('You are invited to Declined Host').waitFor({ state: 'detached' });
    await notice.getByRole('button', { name: 'Join Notice Host' }).click();
    await h.page.getByRole('combobox', { name: 'Workspace' }).waitFor();
    expect(await h.page.getByRole('combobox', { name: 'Workspace' }).inputValue()).toBe('Notice Host');
    expect(await h.page.getByTestId('pending-invitations').count()).toBe(0);
    await h.context.close();
  });
});
