// A customer answers an emailed survey in Chromium — one click on the rating in the mail, then the
// "why" on the page, which works without JavaScript — and the owner sees the result on the
// Surveys page of the web app.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../apps/server/src/platform/clock.js';
import { engines, newWorkspace, unique, type TestApp } from '../apps/server/src/test/harness.js';
import { openMailbox, type Mailbox } from '../apps/server/src/test/mailbox.js';
import { launchBrowser, screenshot, seriousA11yViolations, signedIn, startServer } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(engines)('surveys on %s', (engine) => {
  let t: TestApp;
  let base: string;
  let mailbox: Mailbox;
  // Three weeks ago: the later answers come a week apart, so the trend has four weeks to draw.
  const clock = createFakeClock(new Date(Date.now() - 21 * 86_400_000));
  beforeAll(async () => {
    mailbox = await openMailbox();
    ({ t, base } = await startServer({ clock, sessionDays: 60, smtpRelayUrl: mailbox.relayUrl, publicUrl: 'https://rapport.example' }, engine));
  });
  afterAll(async () => {
    await t?.close();
    await mailbox?.close();
  });

  it('answers an emailed survey link and shows the result on the dashboard', async () => {
    const ws = await newWorkspace(t, 'Survey Co');
    const survey = await t.request('POST', '/api/v1/surveys', {
      token: ws.token,
      body: { name: 'Relationship NPS', type: 'nps', title: 'How are we doing?', trigger: { type: 'manual' } },
    });
    expect(survey.status).toBe(201);
    const email = `${unique('ana')}@example.com`;
    const customer = await t.request('POST', '/api/v1/customers', { token: ws.token, body: { email, name: 'Ana Answer' } });
    const sent = await t.request('POST', `/api/v1/surveys/${survey.body.id}/send`, { token: ws.token, body: { customerIds: [customer.body.id] } });
    expect(sent.status).toBe(202);
    await t.rapport.jobs.drain();
    const text = mailbox.to(email)[0]?.text ?? '';
    const link = /https:\/\/rapport\.example(\/s\/\S+\?score=9)/.exec(text)?.[1];
    expect(link).toBeDefined();

    // The customer's browser, with JavaScript off: the page is plain HTML forms.
    const context = await browser.newContext({ baseURL: base, javaScriptEnabled: false, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(link as string);
    await page.getByText('Your rating is recorded. Anything to add?').waitFor();
    expect(await page.getByRole('radio', { name: '9' }).isChecked()).toBe(true);
    await page.getByLabel('What is the main reason for your score?').fill('Quick, friendly answers every time.');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Thank you for your feedback.').waitFor();
    await context.close();
    // The page passes axe (in a context with scripts on that bypasses the page's CSP, since axe is a script).
    const checker = await browser.newContext({ baseURL: base, bypassCSP: true });
    const checked = await checker.newPage();
    await checked.goto((link as string).replace(/\?score=9$/, ''));
    expect(await seriousA11yViolations(checked)).toEqual([]);
    await checker.close();

    const owner = await signedIn(browser, base, ws.email, '/surveys');
    await owner.page.getByRole('heading', { name: 'Surveys' }).waitFor();
    await owner.page.getByLabel('headline figure').filter({ hasText: '100' }).waitFor();
    await owner.page.getByText('1 / 1').waitFor();
    await owner.page.getByText('Quick, friendly answers every time.').first().waitFor();
    // More answers (through the same links, as a mail client's click would) and the page follows.
    const more: Array<[number, string]> = [
      [10, 'Love the new dashboard'],
      [7, 'Fine, but delivery was slow'],
      [4, 'The agent hung up on me'],
    ];
    /** A new customer is sent the survey and answers it on its page. */
    const answer = async (score: number, comment: string) => {
      const address = `${unique('more')}@example.com`;
      const c = await t.request('POST', '/api/v1/customers', { token: ws.token, body: { email: address } });
      await t.request('POST', `/api/v1/surveys/${survey.body.id}/send`, { token: ws.token, body: { customerIds: [c.body.id] } });
      await t.rapport.jobs.drain();
      const path = /https:\/\/rapport\.example(\/s\/\S+)\?score=0/.exec(mailbox.to(address)[0]?.text ?? '')?.[1] as string;
      const res = await t.request('POST', path, {
        raw: new URLSearchParams({ score: String(score), ...(comment ? { comment } : {}) }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(200);
    };
    const start = clock.nowMs();
    for (const [score, comment] of more) {
      clock.advance(7 * 86_400_000);
      await answer(score, comment);
    }
    await owner.page.reload();
    // 2 promoters, 1 passive, 1 detractor of 4: NPS 25.
    await owner.page.getByLabel('headline figure').filter({ hasText: '25' }).waitFor();
    await owner.page.getByText('4 / 4').waitFor();
    // The charts (ECharts, drawn as SVG) are images named for what they show, their figures in a table beside.
    await owner.page.getByRole('img', { name: 'NPS by week with its 95 % interval' }).waitFor();
    await owner.page.getByRole('img', { name: 'Answers by score' }).locator('svg path').first().waitFor({ state: 'attached' });
    const distribution = owner.page.getByRole('table', { name: 'Answers by score' });
    for (const [score, count] of [
      [0, 0],
      [4, 1],
      [7, 1],
      [9, 1],
      [10, 1],
    ])
      expect(await distribution.getByRole('row', { name: `${score} ${count}`, exact: true }).count()).toBe(1);
    const weeks = owner.page.getByRole('table', { name: 'NPS by week' });
    expect(await weeks.getByRole('row').count()).toBe(5);
    expect(await seriousA11yViolations(owner.page)).toEqual([]);
    if (process.env.RAPPORT_SCREENSHOTS === '1' || process.env.E2E_SHOTS) {
      // For the README: a month of answers, a handful a week, broken down by week.
      const weekly = [
        [10, 9, 6, 3, 8, 7, 9],
        [9, 10, 7, 5, 9, 8, 6, 10],
        [10, 9, 9, 8, 4, 10, 9],
        [10, 10, 9, 7, 9, 8, 10, 9],
      ];
      const said = (score: number, i: number) =>
        (score >= 9
          ? ['Solved in one message', 'Great help with my return', 'Quick and friendly', '']
          : score >= 7
            ? ['Fine, but it took a while', '']
            : ['The parcel took two weeks and nobody told me why', 'Nobody called me back'])[i % (score >= 9 ? 4 : 2)] ?? '';
      for (const [w, scores] of weekly.entries()) {
        clock.set(new Date(start + w * 7 * 86_400_000 + 3_600_000));
        for (const [i, score] of scores.entries()) await answer(score, said(score, w + i));
      }
      clock.set(new Date(start + 21 * 86_400_000 + 7_200_000));
      await owner.page.reload();
      await owner.page.getByLabel('Break down by', { exact: true }).first().click();
      await owner.page.getByRole('option', { name: 'Week' }).click();
      await owner.page.getByRole('table', { name: 'Results by period' }).waitFor();
      await owner.page.mouse.move(0, 0);
      await screenshot(owner.page, 'surveys');
      if (process.env.E2E_SHOTS) await owner.page.screenshot({ path: `${process.env.E2E_SHOTS}/surveys-${engine}.png`, fullPage: true });
    }
    await owner.context.close();
  });
});
