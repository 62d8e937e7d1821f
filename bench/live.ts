// How long from an agent's API write (POST a message) until another agent sees it: on a raw
// WebSocket client of /api/v1/stream and on the screen of a second browser. Printed beside a bare
// `ws` echo round trip on loopback, measured in the same run.
//   npx tsx bench/live.ts [iterations]
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { newConversation, newMember, newWorkspace } from '../apps/server/src/test/harness.js';
import { launchBrowser, signedIn, startServer } from '../e2e/support.js';

const N = Number(process.argv[2] ?? 50);
const WARMUP = 5;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), max: s[s.length - 1] ?? NaN };
}

async function echoBaseline(): Promise<number[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (s) => s.on('message', (m) => s.send(m)));
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r) => client.once('open', r));
  const out: number[] = [];
  for (let i = 0; i < N + WARMUP; i += 1) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      client.once('message', () => resolve());
      client.send(JSON.stringify({ i }));
    });
    if (i >= WARMUP) out.push(performance.now() - t0);
  }
  client.close();
  await new Promise((r) => server.close(r));
  return out;
}

async function main() {
  const baseline = await echoBaseline();

  const { t, base } = await startServer();
  const ws = await newWorkspace(t, 'Bench');
  const writer = await newMember(t, ws, 'agent', { name: 'Writer' });
  const reader = await newMember(t, ws, 'agent', { name: 'Reader' });
  const conv = await newConversation(t, ws.token, { subject: 'Latency' });

  // A raw stream client, as another agent's process would hold.
  const stream = new WebSocket(`${base.replace('http', 'ws')}/api/v1/stream?token=${reader.token}`);
  const waiting = new Map<string, (at: number) => void>();
  stream.on('message', (raw) => {
    const at = performance.now();
    const m = JSON.parse(String(raw)) as { kind: string; type?: string; data?: { body?: string } };
    const body = m.kind === 'event' && m.type === 'message.created' ? m.data?.body : undefined;
    if (body) waiting.get(body)?.(at);
  });
  await new Promise((r) => stream.once('open', r));

  // The second agent's screen: a MutationObserver stamps when each message's text lands in the DOM.
  const browser = await launchBrowser();
  // Stamp when each bench message reaches the page's WebSocket, to split network from rendering.
  const stampArrivals = () => {
    const received: Record<string, number> = {};
    (window as unknown as { __received: Record<string, number> }).__received = received;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('message', (e: MessageEvent<string>) => {
          const m = /"body":"(bench [^"]+)"/.exec(e.data);
          if (m?.[1] && !(m[1] in received)) received[m[1]] = Date.now();
        });
      }
    };
  };
  const { page, context } = await signedIn(browser, base, reader.email, `/conversations/${conv.id}`, stampArrivals);
  await page.getByTestId('thread').waitFor();
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    new MutationObserver(() => {
      const now = Date.now();
      for (const el of document.querySelectorAll('[data-testid="message"] .thread-body')) {
        const text = el.textContent ?? '';
        if (text.startsWith('bench ') && !(text in seen)) seen[text] = now;
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });

  const apiWrite: number[] = [];
  const toStream: number[] = [];
  const toScreen: number[] = [];
  const toPage: number[] = [];
  for (let i = 0; i < N + WARMUP; i += 1) {
    const body = `bench ${i} ${Math.random().toString(36).slice(2)}`;
    const arrived = new Promise<number>((resolve) => waiting.set(body, resolve));
    const wall0 = Date.now();
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/conversations/${conv.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body, kind: 'reply' }),
    });
    const t1 = performance.now();
    if (res.status !== 201) throw new Error(`POST failed: ${res.status} ${await res.text()}`);
    const atStream = await arrived;
    waiting.delete(body);
    const handle = await page.waitForFunction((b) => (window as unknown as { __seen: Record<string, number> }).__seen[b], body, {
      timeout: 10_000,
      polling: 5,
    });
    const seenAt = Number(await handle.jsonValue());
    const receivedAt = Number(await page.evaluate((b) => (window as unknown as { __received: Record<string, number> }).__received[b], body));
    if (i >= WARMUP) {
      apiWrite.push(t1 - t0);
      toStream.push(atStream - t0);
      toScreen.push(seenAt - wall0);
      toPage.push(receivedAt - wall0);
    }
  }

  stream.close();
  await context.close();
  await browser.close();
  await t.close();

  const rows: [string, number[]][] = [
    ['bare ws echo round trip (baseline)', baseline],
    ['POST message → 201 (API write)', apiWrite],
    ['POST message → event on /api/v1/stream', toStream],
    ['POST message → frame in 2nd agent browser', toPage],
    ['POST message → text on 2nd agent screen', toScreen],
  ];
  console.log(`live latency, ${N} iterations after ${WARMUP} warm-up, SQLite in-process, Chromium headless`);
  console.log(`${'path'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  for (const [name, s] of rows) {
    const { p50, p95, max } = stats(s);
    console.log(`${name.padEnd(44)} ${p50.toFixed(2).padStart(8)} ${p95.toFixed(2).padStart(8)} ${max.toFixed(2).padStart(8)}`);
  }
  const b = stats(baseline).p50;
  console.log(`ratio to baseline p50: stream ×${(stats(toStream).p50 / b).toFixed(1)}, screen ×${(stats(toScreen).p50 / b).toFixed(1)}`);
}

await main();
