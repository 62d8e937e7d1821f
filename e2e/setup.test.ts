// First run in Chromium: setting up the instance through the UI, then signing out and in.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp } from '../apps/server/src/test/harness.js';
import { launchBrowser, PASSWORD, startServer, waitLive } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('first run', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => ({ t, base } = await startServer()));
  afterAll(async () => t?.close());

  it('sets up the first workspace through the UI, then signs out and back in', async () => {
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Set up Rapport' }).waitFor();
    await page.getByLabel('Workspace name').fill('Acme Support');
    await page.getByLabel('Your name').fill('Olive Owner');
    await page.getByLabel('Email').fill('olive@acme.test');
    await page.locator('input[type="password"]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Mine' }).waitFor();
    await waitLive(page);
    expect(await page.getByTestId('workspace-name').textContent()).toBe('Acme Support');
    expect((await t.request('GET', '/api/v1/setup')).body).toEqual({ needsSetup: false });

    await page.getByTestId('account-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('olive@acme.test');
    await page.locator('input[type="password"]').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/password/i);
    await page.locator('input[type="password"]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Mine' }).waitFor();
    await context.close();
  });
});
