// Setup, sign-in, sessions, tokens, workspaces and the audit log, through HTTP on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { openMailbox, type Mailbox } from '../../test/mailbox.js';
import { createTestApp, engines, newMember, newWorkspace, type TestApp } from '../../test/harness.js';

const setupBody = { workspaceName: 'Acme', name: 'Ada', email: 'Ada@Acme.test', password: 'correct horse battery' };
const cookieOf = (h: Record<string, unknown>) => String(h['set-cookie'] ?? '').split(';')[0] ?? '';

describe.each(engines)('auth and workspaces on %s', (engine) => {
  let t: TestApp;
  let mailbox: Mailbox;
  const clock = createFakeClock('2026-03-01T10:00:00.000Z');
  beforeAll(async () => {
    mailbox = await openMailbox();
    t = await createTestApp(engine, { clock, loginMaxAttempts: 3, smtpRelayUrl: mailbox.relayUrl });
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  it('sets up once, returns workspace, user and a working token, then refuses a second setup', async () => {
    expect((await t.request('GET', '/api/v1/setup')).body).toEqual({ needsSetup: true });
    const res = await t.request('POST', '/api/v1/setup', { body: setupBody });
    expect(res.status).toBe(201);
    expect(res.body.workspace).toMatchObject({ id: expect.stringMatching(/^wsp_/), name: 'Acme' });
    expect(res.body.user).toMatchObject({ id: expect.stringMatching(/^usr_/), email: 'ada@acme.test', name: 'Ada' });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    const me = await t.request('GET', '/api/v1/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'owner', workspace: { name: 'Acme' }, authMethod: 'token' });

    const again = await t.request('POST', '/api/v1/setup', { body: { ...setupBody, email: 'eve@evil.test' } });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect((await t.request('GET', '/api/v1/setup')).body).toEqual({ needsSetup: false });
  });

  it('signs in with a session cookie, signs out, and the cookie stops working', async () => {
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: 'ada@acme.test', password: setupBody.password } });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login.headers);
    expect((await t.request('GET', '/api/v1/me', { cookie })).body.authMethod).toBe('session');
    expect((await t.request('POST', '/api/v1/auth/logout', { cookie })).status).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { cookie })).status).toBe(401);
  });

  it('refuses cross-site writes made with a session cookie', async () => {
    const cookie = cookieOf((await t.request('POST', '/api/v1/auth/login', { body: { email: 'ada@acme.test', password: setupBody.password } })).headers);
    const res = await t.request('POST', '/api/v1/customers', { cookie, body: { name: 'X' }, headers: { origin: 'https://evil.example', host: 'localhost' } });
    expect(res.status).toBe(403);
  });

  it('rate-limits failed logins per email, then lets the right password in after the window', async () => {
    const ws = await newWorkspace(t);
    for (let i = 0; i < 3; i++) {
      expect((await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'wrong password' } })).status).toBe(401);
    }
    const limited = await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'correct horse battery' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(16 * 60_000);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'correct horse battery' } })).status).toBe(200);
  });

  it('finding 6: 200 parallel wrong passwords for one email get at most the limit of tries, then 429', async () => {
    clock.advance(16 * 60_000);
    const ws = await newWorkspace(t);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: `wrong password ${i}` }, headers: { 'x-test': String(i) } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(197);
    // A right password from the same address, once the window has passed, is let in and not counted.
    clock.advance(16 * 60_000);
    for (let i = 0; i < 5; i++) {
      expect((await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'correct horse battery' } })).status).toBe(200);
    }
  });

  it('answers 401 problems for missing, malformed and unknown tokens', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Bearer rpt_unknown' }] as Array<Record<string, string>>) {
      const res = await t.request('GET', '/api/v1/me', { headers });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ status: 401, title: expect.any(String), type: expect.any(String) });
    }
  });

  it('creates, lists (hashed, shown once), uses and revokes API tokens, recording last use', async () => {
    const ws = await newWorkspace(t);
    const created = await t.request('POST', '/api/v1/tokens', { token: ws.token, body: { name: 'zapier' } });
    expect(created.status).toBe(201);
    const secret: string = created.body.token;
    expect(secret).toMatch(/^rpt_/);
    expect((await t.request('GET', '/api/v1/me', { token: secret })).status).toBe(200);
    const list = await t.request('GET', '/api/v1/tokens', { token: ws.token });
    const listed = list.body.data.find((x: { id: string }) => x.id === created.body.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect((await t.request('DELETE', `/api/v1/tokens/${created.body.id}`, { token: ws.token })).body.revokedAt).not.toBeNull();
    expect((await t.request('GET', '/api/v1/me', { token: secret })).status).toBe(401);
  });

  it('creates another workspace for the caller with its own token, and sessions switch between them', async () => {
    const ws = await newWorkspace(t);
    const res = await t.request('POST', '/api/v1/workspaces', { token: ws.token, body: { name: 'Second' } });
    expect(res.status).toBe(201);
    const me2 = await t.request('GET', '/api/v1/me', { token: res.body.token });
    expect(me2.body.workspace.name).toBe('Second');
    expect(me2.body.workspaces).toHaveLength(2);
    const cookie = cookieOf((await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'correct horse battery' } })).headers);
    expect((await t.request('POST', '/api/v1/auth/switch', { cookie, body: { workspaceId: res.body.workspace.id } })).status).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { cookie })).body.workspace.name).toBe('Second');
    const other = await newWorkspace(t);
    expect((await t.request('POST', '/api/v1/auth/switch', { cookie, body: { workspaceId: other.workspaceId } })).status).toBe(404);
  });

  it('invites a member who accepts with a password and signs in; role changes and deactivation are audited', async () => {
    const ws = await newWorkspace(t);
    const inv = await t.request('POST', '/api/v1/members', { token: ws.token, body: { email: 'New.Agent@acme.test', role: 'agent' } });
    expect(inv.status).toBe(201);
    expect(inv.body).toMatchObject({ status: 'invited', role: 'agent', email: 'new.agent@acme.test' });
    await t.rapport.jobs.drain();
    const token = mailbox.inviteToken('new.agent@acme.test');
    const accept = await t.request('POST', '/api/v1/invites/accept', { body: { token, name: 'Nia', password: 'another good password' } });
    expect(accept.status).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { cookie: cookieOf(accept.headers) })).body).toMatchObject({ role: 'agent', user: { name: 'Nia' } });
    expect((await t.request('POST', '/api/v1/invites/accept', { body: { token, password: 'another good password' } })).status).toBe(404);

    const patched = await t.request('PATCH', `/api/v1/members/${inv.body.id}`, { token: ws.token, body: { role: 'admin' } });
    expect(patched.body.role).toBe('admin');
    await t.request('PATCH', `/api/v1/members/${inv.body.id}`, { token: ws.token, body: { status: 'deactivated' } });
    expect((await t.request('GET', '/api/v1/me', { cookie: cookieOf(accept.headers) })).status).toBe(401);

    const audit = await t.request('GET', '/api/v1/audit-log', { token: ws.token });
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['member.invited', 'member.joined', 'member.role_changed', 'member.deactivated']));
    const roleChange = audit.body.data.find((e: { action: string }) => e.action === 'member.role_changed');
    expect(roleChange).toMatchObject({
      actor: { type: 'user', id: ws.userId },
      objectId: inv.body.userId,
      data: { from: 'agent', to: 'admin' },
      ip: '127.0.0.1',
    });
  });

  it('keeps at least one owner and lets only owners grant ownership', async () => {
    const ws = await newWorkspace(t);
    const admin = await newMember(t, ws, 'admin');
    const me = (await t.request('GET', '/api/v1/members', { token: ws.token })).body.data.find((m: { userId: string }) => m.userId === ws.userId);
    expect((await t.request('PATCH', `/api/v1/members/${me.id}`, { token: ws.token, body: { role: 'agent' } })).status).toBe(409);
    expect((await t.request('PATCH', `/api/v1/members/${admin.userId}`, { token: admin.token, body: { role: 'owner' } })).status).toBe(403);
    expect((await t.request('PATCH', `/api/v1/members/${me.id}`, { token: admin.token, body: { status: 'deactivated' } })).status).toBe(403);
  });

  it('serves health, readiness and the generated OpenAPI document', async () => {
    expect((await t.request('GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await t.request('GET', '/ready')).body).toMatchObject({ status: 'ready', engine });
    const spec = await t.request('GET', '/api/v1/openapi.json');
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/conversations', '/api/v1/conversations/{id}/messages', '/api/v1/setup', '/api/v1/audit-log']),
    );
    const docs = await t.request('GET', '/docs/');
    expect(docs.status).toBe(200);
  });
});
