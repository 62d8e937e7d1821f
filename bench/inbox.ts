// The inbox with 10,000 conversations in Chromium: time to first rows, cursor pages while
// scrolling, and frame times while scrolling, beside the frame time of the same page idle (the
// display's own cadence: the floor a scroll frame can reach).
//   npx tsx bench/inbox.ts [conversations]
import { performance } from 'node:perf_hooks';
import { newWorkspace } from '../apps/server/src/test/harness.js';
import { launchBrowser, signedIn, startServer } from '../e2e/support.js';

const N = Number(process.argv[2] ?? 10_000);
const LOAD_ROWS = 2000;

type Frames = { p50: number; p95: number };

async function main() {
  const { t, base } = await startServer();
  const ws = await newWorkspace(t, 'Big inbox');
  const s0 = performance.now();
  for (let i = 0; i < N; i += 1) {
    await t.rapport.services.conversations.create(ws.auth, {
      customer: { email: `c${i % 3000}@big.test`, name: `Customer ${i % 3000}` },
      channel: 'email',
      subject: `Case ${i}`,
      category: 'inquiry',
      priority: 'normal',
      status: 'open',
      origin: 'reactive',
    });
  }
  const seeded = performance.now() - s0;

  const apiTimes: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const a0 = performance.now();
    const res = await fetch(`${base}/api/v1/conversations?status=open,pending&limit=50`, { headers: { authorization: `Bearer ${ws.token}` } });
    await res.json();
    apiTimes.push(performance.now() - a0);
  }
  apiTimes.sort((a, b) => a - b);

  const browser = await launchBrowser();
  const f0 = performance.now();
  const { page } = await signedIn(browser, base, ws.email, '/?view=all');
  await page.getByTestId('inbox-row').first().waitFor();
  const firstRows = performance.now() - f0;

  const list = page.getByTestId('inbox-list');
  const count = async () => Number.parseInt((await page.getByTestId('inbox-count').textContent()) ?? '0', 10);
  const l0 = performance.now();
  for (let loaded = await count(); loaded < LOAD_ROWS; loaded = await count()) {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForFunction((n) => Number.parseInt(document.querySelector('[data-testid="inbox-count"]')?.textContent ?? '0', 10) > n, loaded, {
      timeout: 20_000,
    });
  }
  const paging = performance.now() - l0;
  const domRows = await page.getByTestId('inbox-row').count();

  const frames = (mode: 'idle' | 'smooth' | 'jump') =>
    page.evaluate(async (m): Promise<Frames> => {
      const el = document.querySelector('[data-testid="inbox-list"]');
      if (!(el instanceof HTMLElement)) throw new Error('no list');
      el.scrollTop = 0;
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 120; i += 1) {
        if (m === 'smooth') el.scrollTop += 120;
        if (m === 'jump') el.scrollTop = Math.random() * el.scrollHeight;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { p50: times[60] ?? NaN, p95: times[114] ?? NaN };
    }, mode);
  const idle = await frames('idle');
  const smooth = await frames('smooth');
  const jump = await frames('jump');
  await browser.close();
  await t.close();

  console.log(`inbox with ${N} conversations (seeded in ${(seeded / 1000).toFixed(1)} s), SQLite in-process, Chromium headless`);
  console.log(`API first page (50 rows), p50:   ${(apiTimes[5] ?? NaN).toFixed(1)} ms`);
  console.log(`first rows after sign-in:        ${firstRows.toFixed(0)} ms (login, page load, first page, stream)`);
  console.log(`scroll-load ${LOAD_ROWS} rows (${LOAD_ROWS / 50} pages): ${paging.toFixed(0)} ms; rows in the DOM: ${domRows}`);
  console.log(`${'frame time'.padEnd(32)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
  for (const [name, f] of [
    ['idle page (baseline)', idle],
    ['smooth scroll, 120 px/frame', smooth],
    ['random jumps', jump],
  ] as const) {
    console.log(`${name.padEnd(32)} ${f.p50.toFixed(1).padStart(8)} ${f.p95.toFixed(1).padStart(8)}`);
  }
}

await main();
