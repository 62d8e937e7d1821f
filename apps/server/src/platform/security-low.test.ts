// Finding 6 of the security review (issue 8), the low-severity class: limiter amnesty, trusted
// forwarding headers, credentials in logs, malformed Origin headers and the Secure cookie.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../config.js';
import { createAuthResolver } from './auth.js';
import { createFakeClock } from './clock.js';
import { createLogger, redactUrl } from './log.js';
import { createRateLimiter } from './rate-limit.js';
import { createTestApp, engines, newMember, newWorkspace, type TestApp } from '../test/harness.js';

/** The HTTP status a WebSocket handshake gets (101 when it opens). */
async function handshake(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url, { headers });
  const status = await new Promise<number>((resolve, reject) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
  ws.terminate();
  return status;
}

describe('finding 6: the login limiter keeps blocked keys whatever junk fills it', () => {
  it('still refuses a blocked key after 150,000 junk keys', () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ max: 3, windowMs: 900_000, now: () => clock.nowMs() });
    for (let i = 0; i < 3; i++) limiter.fail('email:victim@example.com');
    expect(limiter.retryAfter('email:victim@example.com')).toBeGreaterThan(0);
    for (let i = 0; i < 150_000; i++) limiter.fail(`email:junk${i}@example.com`);
    expect(limiter.retryAfter('email:victim@example.com')).toBeGreaterThan(0);
    clock.advance(900_001);
    expect(limiter.retryAfter('email:victim@example.com')).toBe(0);
  });

  it('evicts expired entries and single attempts before a key close to its limit, and keeps blocked keys even when they alone fill it', () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ max: 3, windowMs: 60_000, now: () => clock.nowMs(), maxKeys: 1000 });
    for (let i = 0; i < 900; i++) limiter.fail(`old${i}`);
    clock.advance(60_001);
    limiter.fail('near');
    limiter.fail('near');
    for (let i = 0; i < 5000; i++) limiter.fail(`junk${i}`);
    // Its two attempts were not forgotten: the third blocks it.
    expect(limiter.retryAfter('near')).toBe(0);
    limiter.fail('near');
    expect(limiter.retryAfter('near')).toBeGreaterThan(0);

    for (let i = 0; i < 1500; i++) for (let n = 0; n < 3; n++) limiter.fail(`blocked${i}`);
    for (let i = 0; i < 5000; i++) limiter.fail(`more-junk${i}`);
    for (const i of [0, 749, 1499]) expect(limiter.retryAfter(`blocked${i}`), `blocked${i}`).toBeGreaterThan(0);
    expect(limiter.retryAfter('near')).toBeGreaterThan(0);
  });
});

describe('finding 6: configuration that cannot be unsafe by accident', () => {
  it('refuses to trust every X-Forwarded-For hop; takes a hop count or addresses', () => {
    const all = loadConfig({}, { RAPPORT_TRUST_PROXY: 'true' });
    expect(all.ok).toBe(false);
    if (!all.ok) expect(all.errors.join()).toContain('RAPPORT_TRUST_PROXY');
    const hops = loadConfig({}, { RAPPORT_TRUST_PROXY: '1' });
    expect(hops.ok && hops.config.trustProxy).toBe(1);
    const list = loadConfig({}, { RAPPORT_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' });
    expect(list.ok && list.config.trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    const none = loadConfig({}, {});
    expect(none.ok && none.config.trustProxy).toBe(false);
    // A range of every address is every hop under another name; a bad address is refused here, not at start-up.
    for (const bad of ['0.0.0.0/0', '::/0', '10.0.0.0/8,0.0.0.0/0', '999.1.1.1', '10.0.0.0/33', 'proxy.internal', 'yes']) {
      const res = loadConfig({}, { RAPPORT_TRUST_PROXY: bad });
      expect(res.ok, bad).toBe(false);
    }
    const named = loadConfig({}, { RAPPORT_TRUST_PROXY: 'loopback, fd00::/8' });
    expect(named.ok && named.config.trustProxy).toBe('loopback, fd00::/8');
  });

  it('marks the session cookie Secure by default when the public URL is https', () => {
    const https = loadConfig({}, { RAPPORT_PUBLIC_URL: 'https://help.example.com' });
    expect(https.ok && https.config.cookieSecure).toBe(true);
    const http = loadConfig({}, { RAPPORT_PUBLIC_URL: 'http://localhost:3000' });
    expect(http.ok && http.config.cookieSecure).toBe(false);
    const forced = loadConfig({}, { RAPPORT_PUBLIC_URL: 'https://help.example.com', RAPPORT_COOKIE_SECURE: 'false' });
    expect(forced.ok && forced.config.cookieSecure).toBe(false);
  });

  it('cuts tokens and write keys out of logged URLs', () => {
    expect(redactUrl('/api/v1/stream?since=4&token=rpt_secret&epoch=x')).toBe('/api/v1/stream?since=4&token=[redacted]&epoch=x');
    expect(redactUrl('/v1/projects/rwk_secret/settings')).toBe('/v1/projects/[redacted]/settings');
    expect(redactUrl('/V1/Projects/rwk_secret/settings')).not.toContain('rwk_secret');
    // Percent-encoded or renamed parameters still carry our prefixes.
    expect(redactUrl('/api/v1/stream?%74oken=rpt_secret')).not.toContain('rpt_secret');
    expect(redactUrl('/api/v1/stream?t=rpt%5Fsecret')).not.toContain('secret');
    expect(redactUrl('/v1/batch?writekey=rwk_secret')).not.toContain('rwk_secret');
  });
});

describe.each(engines)('finding 6 through HTTP on %s', (engine) => {
  let t: TestApp;
  let base: string | undefined;
  const listening = async () => (base ??= await t.listen());
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await createTestApp(engine, { logger: createLogger('info', sink), loginMaxAttempts: 2, trustProxy: 1, cookieSecure: true });
  });
  afterAll(async () => t.close());

  it('never writes a token, write key, cookie or Authorization header into the request log', async () => {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'k', kind: 'client' } })).body.key as string;
    await t.request('GET', `/v1/projects/${key}/settings`);
    await t.request('GET', `/api/v1/stream?token=${ws.token}`);
    await t.request('GET', '/api/v1/me', { token: ws.token, cookie: 'rapport_session=sessionsecret' });
    const log = lines.join('');
    expect(log).toContain('/v1/projects/[redacted]/settings');
    expect(log).toContain('incoming request');
    expect(log).not.toContain(key);
    expect(log).not.toContain(ws.token);
    expect(log).not.toContain('sessionsecret');
  });

  it('answers 403, not 500, to cookie writes with Origin null or a malformed Origin', async () => {
    const ws = await newWorkspace(t);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'correct horse battery' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    expect(String(login.headers['set-cookie'])).toContain('Secure');
    for (const origin of ['null', 'garbage', 'http://', 'javascript:alert(1)', '']) {
      const res = await t.request('POST', '/api/v1/customers', { cookie, body: { name: 'X' }, headers: { origin, host: 'localhost' } });
      expect(res.status, origin).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const same = await t.request('POST', '/api/v1/customers', { cookie, body: { name: 'X' }, headers: { origin: 'http://localhost', host: 'localhost' } });
    expect(same.status).toBe(201);
  });

  it('takes the client address from the trusted proxy hop only: a spoofed X-Forwarded-For cannot dodge the login limit', async () => {
    const attempt = (xff: string) =>
      t.request('POST', '/api/v1/auth/login', {
        body: { email: `${Math.random().toString(36).slice(2)}@example.com`, password: 'wrong password' },
        headers: { 'x-forwarded-for': xff },
      });
    // Behind one proxy, the proxy appends the real client (203.0.113.9); what the client wrote before it is ignored.
    expect((await attempt('1.1.1.1, 203.0.113.9')).status).toBe(401);
    expect((await attempt('2.2.2.2, 203.0.113.9')).status).toBe(401);
    expect((await attempt('3.3.3.3, 203.0.113.9')).status).toBe(429);
    // Another client behind the same proxy is its own key: the socket address (the proxy) is not what is counted.
    expect((await attempt('3.3.3.3, 203.0.113.10')).status).toBe(401);
  });

  it('refuses WebSocket cookies from a null or malformed Origin, and logs no ?token= of the handshake', async () => {
    const ws = await newWorkspace(t);
    const login = await t.request('POST', '/api/v1/auth/login', {
      body: { email: ws.email, password: 'correct horse battery' },
      headers: { 'x-forwarded-for': '198.51.100.7' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const url = `${(await listening()).replace('http', 'ws')}/api/v1/stream`;
    const host = new URL(url).host;
    for (const origin of ['null', 'garbage', 'http://', 'file://']) expect(await handshake(url, { cookie, origin }), origin).toBe(403);
    expect(await handshake(url, { cookie, origin: `http://${host}` })).toBe(101);
    expect(await handshake(`${url}?token=${ws.token}`, {})).toBe(101);
    const log = lines.join('');
    expect(log).toContain('/api/v1/stream?token=[redacted]');
    expect(log).not.toContain(ws.token);
    expect(log).not.toContain(cookie.split('=')[1]);
  });
});

describe.each(engines)('finding 6: forwarding headers and the Secure cookie on %s', (engine) => {
  // Not behind a proxy (the default), over http.
  let direct: TestApp;
  const clock = createFakeClock(new Date());
  // Behind a proxy named by address, at an https public URL.
  let proxied: TestApp;
  beforeAll(async () => {
    direct = await createTestApp(engine, { loginMaxAttempts: 2, clock });
    proxied = await createTestApp(engine, { loginMaxAttempts: 2, trustProxy: '127.0.0.1', publicUrl: 'https://help.example.com' });
  });
  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });
  const attempt = (app: TestApp, xff: string) =>
    app.request('POST', '/api/v1/auth/login', {
      body: { email: `${Math.random().toString(36).slice(2)}@example.com`, password: 'wrong password' },
      headers: { 'x-forwarded-for': xff },
    });

  it('ignores X-Forwarded-For when no proxy is trusted: a new spoofed address per guess is still one client', async () => {
    expect((await attempt(direct, '192.0.2.1')).status).toBe(401);
    expect((await attempt(direct, '192.0.2.2')).status).toBe(401);
    expect((await attempt(direct, '192.0.2.3')).status).toBe(429);
    expect((await attempt(direct, '192.0.2.4, 192.0.2.5')).status).toBe(429);
    clock.advance(15 * 60_000 + 1);
  });

  it('takes the client from the last hop the listed proxies appended', async () => {
    expect((await attempt(proxied, '1.1.1.1, 203.0.113.20')).status).toBe(401);
    expect((await attempt(proxied, '2.2.2.2, 203.0.113.20')).status).toBe(401);
    expect((await attempt(proxied, '203.0.113.20')).status).toBe(429);
    expect((await attempt(proxied, '203.0.113.20, 203.0.113.21')).status).toBe(401);
  });

  it('sets the session cookie Secure by default when the public URL is https, and not over plain http', async () => {
    const a = await newWorkspace(proxied);
    const overHttps = await proxied.request('POST', '/api/v1/auth/login', {
      body: { email: a.email, password: 'correct horse battery' },
      headers: { 'x-forwarded-for': '203.0.113.30' },
    });
    expect(overHttps.status).toBe(200);
    expect(String(overHttps.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    const b = await newWorkspace(direct);
    const overHttp = await direct.request('POST', '/api/v1/auth/login', { body: { email: b.email, password: 'correct horse battery' } });
    expect(overHttp.status).toBe(200);
    expect(String(overHttp.headers['set-cookie'])).not.toMatch(/Secure/i);
  });

  it('a credential read just before a change is not cached past it', async () => {
    const ws = await newWorkspace(direct);
    const agent = await newMember(direct, ws, 'agent');
    const resolver = createAuthResolver({ db: direct.rapport.db, clock });
    // The read starts, then the credential changes (auth.changed reaches this resolver) before it returns.
    const reading = resolver.fromToken(agent.token, null);
    resolver.invalidate();
    expect((await reading).role).toBe('agent');
    const tokens = (await direct.request('GET', '/api/v1/tokens', { token: ws.token })).body.data as Array<{ id: string; userId: string }>;
    const tokenId = tokens.find((tk) => tk.userId === agent.userId)?.id;
    expect((await direct.request('DELETE', `/api/v1/tokens/${tokenId}`, { token: ws.token })).status).toBe(200);
    await expect(resolver.fromToken(agent.token, null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe.each(engines)('finding 6 class: limits keyed by the subscriber, not the address, on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { loginMaxAttempts: 3 });
  });
  afterAll(async () => t.close());

  it('counts sign-in guesses from one IPv6 /64 together, however many addresses it uses', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await t.rapport.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: `2001:db8:aa:bb::${i.toString(16)}`,
        payload: { email: `spray-${i}@example.com`, password: 'wrong password' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Another /64 is another subscriber.
    const other = await t.rapport.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '2001:db8:aa:cc::1',
      payload: { email: 'spray-9@example.com', password: 'wrong password' },
    });
    expect(other.statusCode).toBe(401);
  });

  it('never answers CORS to Origin null, and keeps analytics.js settings out of shared caches', async () => {
    const ws = await newWorkspace(t);
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site', kind: 'client' } })).body.key as string;
    const basic = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
    const fromNull = await t.request('POST', '/v1/track', { headers: { ...basic, origin: 'null' }, body: { anonymousId: 'a', event: 'E' } });
    expect(fromNull.status).toBe(403);
    expect(fromNull.headers['access-control-allow-origin']).toBeUndefined();
    const settings = await t.request('GET', `/v1/projects/${key}/settings`, { headers: { origin: 'https://shop.example.com' } });
    expect(settings.status).toBe(200);
    expect(settings.headers['cache-control']).toBe('no-store');
  });
});
