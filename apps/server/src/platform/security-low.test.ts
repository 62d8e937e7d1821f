// Finding 6 of the security review (issue 8), the low-severity class: limiter amnesty, trusted
// forwarding headers, credentials in logs, malformed Origin headers and the Secure cookie.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createFakeClock } from './clock.js';
import { createLogger, redactUrl } from './log.js';
import { createRateLimiter } from './rate-limit.js';
import { createTestApp, engines, newWorkspace, type TestApp } from '../test/harness.js';

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
  });
});

describe.each(engines)('finding 6 through HTTP on %s', (engine) => {
  let t: TestApp;
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
    const ws = await newWorkspace(t);
    const attempt = (xff: string) =>
      t.request('POST', '/api/v1/auth/login', {
        body: { email: `nobody-${xff.length}@example.com`, password: 'wrong password' },
        headers: { 'x-forwarded-for': xff },
      });
    // Behind one proxy, the proxy appends the real client (203.0.113.9); what the client wrote before it is ignored.
    await attempt('1.1.1.1, 203.0.113.9');
    await attempt('2.2.2.2, 203.0.113.9');
    const third = await attempt('3.3.3.3, 203.0.113.9');
    expect(third.status).toBe(429);
    const audit = await t.request('POST', '/api/v1/auth/login', {
      body: { email: ws.email, password: 'correct horse battery' },
      headers: { 'x-forwarded-for': '203.0.113.10' },
    });
    expect(audit.status).toBe(200);
  });
});
