// Shared by the browser tests and bench/live.ts: a Rapport server in-process serving the built
// web app, and a headless Chromium.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AppOptions } from '../apps/server/src/app.js';
import type { Engine } from '../apps/server/src/platform/db/database.js';
import { createTestApp, type TestApp } from '../apps/server/src/test/harness.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const WEB_DIST = path.join(ROOT, 'apps/web/dist');
export const PASSWORD = 'correct horse battery';

export async function startServer(opts: Partial<AppOptions> = {}, engine: Engine = 'sqlite'): Promise<{ t: TestApp; base: string }> {
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error(`${WEB_DIST} has no index.html: run \`npm run build -w apps/web\` first (npm test does)`);
  const t = await createTestApp(engine, { webDir: WEB_DIST, ...opts });
  return { t, base: await t.listen() };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A browser context signed in as this user (through the real login endpoint), on the inbox, live. */
export async function signedIn(
  browser: Browser,
  base: string,
  email: string,
  path = '/?view=all',
  initScript?: () => void,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1360, height: 860 } });
  if (initScript) await context.addInitScript(initScript);
  const res = await context.request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  if (res.status() !== 200) throw new Error(`login failed for ${email}: ${res.status()} ${await res.text()}`);
  const page = await context.newPage();
  await page.goto(path);
  await waitLive(page);
  return { context, page };
}

export async function waitLive(page: Page) {
  await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 15_000 });
}

type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };

/** Runs axe-core in the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Screenshots for docs/screenshots, only when RAPPORT_SCREENSHOTS=1 (so test runs leave the tree clean). */
export async function screenshot(page: Page, name: string) {
  if (process.env.RAPPORT_SCREENSHOTS !== '1') return;
  const dir = path.join(ROOT, 'docs/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
