// Finding 1 of the security review (issue 8): invitations could sign anyone in as anyone. These
// tests perform the attacks through HTTP, with the invitation mailed to a real SMTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../platform/clock.js';
import { openMailbox, type Mailbox } from '../../test/mailbox.js';
import { createTestApp, engines, newMember, newWorkspace, unique, type TestApp } from '../../test/harness.js';

const cookieOf = (h: Record<string, unknown>) => String(h['set-cookie'] ?? '').split(';')[0] ?? '';
const PASSWORD = 'correct horse battery';

describe.each(engines)('invitations on %s', (engine) => {
  let t: TestApp;
  let mailbox: Mailbox;
  const clock = createFakeClock('2026-03-01T10:00:00.000Z');
  beforeAll(async () => {
    mailbox = await openMailbox();
    t = await createTestApp(engine, { clock, smtpRelayUrl: mailbox.relayUrl, mailFrom: 'Rapport <rapport@test.rapport>' });
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  const signIn = async (email: string, password = PASSWORD) => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email, password } });
    return { status: res.status, cookie: cookieOf(res.headers) };
  };
  const invite = async (token: string, email: string, role = 'agent') => {
    const res = await t.request('POST', '/api/v1/members', { token, body: { email, role } });
    await t.rapport.jobs.drain();
    return res;
  };

  it('finding 1: a partner who makes a workspace and invites the owner never gets a link, and cannot become the owner', async () => {
    const victimWs = await newWorkspace(t, 'Victim Inc');
    const partner = await newMember(t, victimWs, 'partner');
    const own = await t.request('POST', '/api/v1/workspaces', { token: partner.token, body: { name: 'Trap' } });
    expect(own.status).toBe(201);

    const inv = await invite(own.body.token, victimWs.email, 'admin');
    expect(inv.status).toBe(201);
    expect(JSON.stringify(inv.body)).not.toMatch(/invite#|inviteToken|inviteUrl/);
    expect(inv.body).toMatchObject({ status: 'invited', invitation: { sentTo: victimWs.email } });

    // The only link went to the owner's mailbox. Even holding it, accepting never signs in as an
    // existing person nor touches their password.
    const link = mailbox.inviteToken(victimWs.email);
    const preview = await t.request('POST', '/api/v1/invites/preview', { body: { token: link } });
    expect(preview.body).toMatchObject({ hasAccount: true, workspace: { name: 'Trap' }, email: victimWs.email });
    const accept = await t.request('POST', '/api/v1/invites/accept', { body: { token: link, password: 'attacker chosen pw' } });
    expect(accept.status).toBe(409);
    expect(accept.headers['set-cookie']).toBeUndefined();
    expect((await signIn(victimWs.email, 'attacker chosen pw')).status).toBe(401);
    expect((await signIn(victimWs.email)).status).toBe(200);

    // Inviting an address reveals nothing of the account behind it.
    const listed = (await t.request('GET', '/api/v1/members', { token: own.body.token })).body.data.find((m: { email: string }) => m.email === victimWs.email);
    expect(listed).toMatchObject({ status: 'invited', name: victimWs.email.split('@')[0] });
    expect(JSON.stringify(listed)).not.toContain('Olive Owner');
    // The partner is still only a partner of the victim's workspace.
    const me = await t.request('GET', '/api/v1/me', { token: partner.token });
    expect(me.body).toMatchObject({ user: { email: partner.email }, role: 'partner' });
  });

  it('finding 1: the inviter of an address without an account cannot choose the password the real person inherits', async () => {
    const attacker = await newWorkspace(t, 'Squatter');
    const victimEmail = `${unique('victim')}@test.rapport`;
    const inv = await invite(attacker.token, victimEmail);
    expect(inv.status).toBe(201);
    expect(JSON.stringify(inv.body)).not.toContain('invite#');
    // Guessing at the accept endpoint gets nowhere, and creates no account.
    expect((await t.request('POST', '/api/v1/invites/accept', { body: { token: 'x'.repeat(32), password: 'attacker chosen pw' } })).status).toBe(404);
    expect((await signIn(victimEmail, 'attacker chosen pw')).status).toBe(401);

    // The real person, reading their mail, sets their own password.
    const link = mailbox.inviteToken(victimEmail);
    const accepted = await t.request('POST', '/api/v1/invites/accept', { body: { token: link, name: 'Vic', password: 'victim own password' } });
    expect(accepted.status).toBe(200);
    const me = await t.request('GET', '/api/v1/me', { cookie: cookieOf(accepted.headers) });
    expect(me.body).toMatchObject({ user: { email: victimEmail, name: 'Vic' }, role: 'agent', workspace: { name: 'Squatter' } });
    // The link dies on use.
    expect((await t.request('POST', '/api/v1/invites/accept', { body: { token: link, password: 'second try password' } })).status).toBe(404);
    expect((await t.request('POST', '/api/v1/invites/preview', { body: { token: link } })).status).toBe(404);
    const audit = await t.request('GET', '/api/v1/audit-log', { token: attacker.token });
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['member.invited', 'member.joined']));
  });

  it('finding 1 class: a name an inviter typed for an address never becomes the name of the account made from it', async () => {
    const squatter = await newWorkspace(t, 'Squatter Names');
    const email = `${unique('named')}@test.rapport`;
    expect((await t.request('POST', '/api/v1/members', { token: squatter.token, body: { email, name: 'Evil Given Name' } })).status).toBe(201);
    const host = await newWorkspace(t, 'Real Employer');
    await invite(host.token, email);
    const accepted = await t.request('POST', '/api/v1/invites/accept', { body: { token: mailbox.inviteToken(email), password: 'my own password' } });
    expect(accepted.status).toBe(200);
    const me = await t.request('GET', '/api/v1/me', { cookie: cookieOf(accepted.headers) });
    expect(me.body.user.name).toBe(email.split('@')[0]);
    expect(JSON.stringify((await t.request('GET', '/api/v1/members', { token: host.token })).body)).not.toContain('Evil Given Name');
  });

  it('finding 1: invitation links expire after 7 days, and a resent link replaces the old one', async () => {
    const ws = await newWorkspace(t);
    const email = `${unique('late')}@test.rapport`;
    const inv = await invite(ws.token, email);
    const first = mailbox.inviteToken(email);
    expect(inv.body.invitation.expiresAt).toBe(new Date(clock.nowMs() + 7 * 86_400_000).toISOString());
    clock.advance(7 * 86_400_000 + 1000);
    expect((await t.request('POST', '/api/v1/invites/accept', { body: { token: first, password: 'too late password' } })).status).toBe(404);

    const resent = await t.request('POST', `/api/v1/members/${inv.body.id}/invitation`, { token: ws.token });
    expect(resent.status).toBe(200);
    await t.rapport.jobs.drain();
    const second = mailbox.inviteToken(email);
    expect(second).not.toBe(first);
    expect((await t.request('POST', '/api/v1/invites/accept', { body: { token: first, password: 'old link password' } })).status).toBe(404);
    expect((await t.request('POST', '/api/v1/invites/accept', { body: { token: second, password: 'fresh link password' } })).status).toBe(200);
    expect((await signIn(email, 'fresh link password')).status).toBe(200);
  });

  it('finding 1: an existing person accepts while signed in as themselves; nobody else can accept for them', async () => {
    const home = await newWorkspace(t, 'Home');
    const host = await newWorkspace(t, 'Host');
    const bystander = await newWorkspace(t, 'Bystander');
    await invite(host.token, home.email, 'agent');

    const { cookie } = await signIn(home.email);
    const me = await t.request('GET', '/api/v1/me', { cookie });
    expect(me.body.invitations).toEqual([
      expect.objectContaining({ workspace: expect.objectContaining({ id: host.workspaceId, name: 'Host' }), role: 'agent' }),
    ]);
    // Another person sees nothing and cannot accept it.
    expect((await t.request('GET', '/api/v1/me', { token: bystander.token })).body.invitations).toEqual([]);
    expect((await t.request('POST', `/api/v1/me/invitations/${host.workspaceId}/accept`, { token: bystander.token })).status).toBe(404);

    const accepted = await t.request('POST', `/api/v1/me/invitations/${host.workspaceId}/accept`, { cookie });
    expect(accepted.status).toBe(200);
    const after = await t.request('GET', '/api/v1/me', { cookie });
    expect(after.body).toMatchObject({ workspace: { id: host.workspaceId }, role: 'agent', invitations: [] });
    expect(after.body.workspaces).toHaveLength(2);
    // Audit entries land in both workspaces the change touches.
    const hostAudit = (await t.request('GET', '/api/v1/audit-log', { token: host.token })).body.data;
    expect(hostAudit.find((e: { action: string }) => e.action === 'member.joined')).toMatchObject({ actor: { id: home.userId }, data: { via: 'account' } });
    const homeAudit = (await t.request('GET', '/api/v1/audit-log', { token: home.token })).body.data;
    expect(homeAudit.find((e: { action: string }) => e.action === 'user.joined_workspace')).toMatchObject({ objectId: host.workspaceId });
    // The mailed link for an existing account is dead after acceptance too.
    expect((await t.request('POST', '/api/v1/invites/preview', { body: { token: mailbox.inviteToken(home.email) } })).status).toBe(404);
  });

  it('finding 1: a declined invitation is gone; invitations are rate limited per workspace', async () => {
    const home = await newWorkspace(t);
    const host = await newWorkspace(t);
    await invite(host.token, home.email);
    expect((await t.request('DELETE', `/api/v1/me/invitations/${host.workspaceId}`, { token: home.token })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/me', { token: home.token })).body.invitations).toEqual([]);
    expect((await t.request('GET', '/api/v1/members', { token: host.token })).body.data.some((m: { email: string }) => m.email === home.email)).toBe(false);

    const spammer = await newWorkspace(t);
    let last = 0;
    for (let i = 0; i < 101; i++) {
      last = (await t.request('POST', '/api/v1/members', { token: spammer.token, body: { email: `${unique('spam')}@test.rapport` } })).status;
    }
    expect(last).toBe(429);
  });

  it('finding 6: two owners demoting each other at once leave one owner', async () => {
    const ws = await newWorkspace(t);
    const second = await newMember(t, ws, 'admin');
    const members = (await t.request('GET', '/api/v1/members', { token: ws.token })).body.data as Array<{ id: string; userId: string }>;
    const first = members.find((m) => m.userId === ws.userId);
    await t.request('PATCH', `/api/v1/members/${second.userId}`, { token: ws.token, body: { role: 'owner' } });
    const results = await Promise.all([
      t.request('PATCH', `/api/v1/members/${second.userId}`, { token: ws.token, body: { role: 'agent' } }),
      t.request('PATCH', `/api/v1/members/${first?.id}`, { token: second.token, body: { role: 'agent' } }),
    ]);
    // One wins; the other is refused: 409 when it ran beside the first, 403 when the first had
    // already made its author an agent.
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const owners = (await t.request('GET', '/api/v1/members', { token: ws.token })).body.data.filter((m: { role: string }) => m.role === 'owner');
    expect(owners).toHaveLength(1);
  });
});
