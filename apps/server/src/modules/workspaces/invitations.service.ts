// Invitations: the link is mailed to the invited address only (a job mails it after commit) and
// never returned to the inviter, so accepting proves control of the mailbox. A person who
// already has an account accepts while signed in as themselves.
import type { Role } from '@rapport/contracts';
import { z } from 'zod';
import { canAssignRole, requirePermission, type AuthContext } from '../../platform/access.js';
import { notFound, forbidden, conflict, rateLimited } from '../../platform/errors.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import { hashPassword } from '../../platform/passwords.js';
import type { Tx } from '../../platform/db/database.js';
import type { WorkspacesDeps } from './workspaces.deps.js';
import { toMember, toWorkspace } from './workspaces.mappers.js';
import type { MembersService } from './members.service.js';
import type { Sessions } from './sessions.js';
import type { TeamsService } from './teams.service.js';

export const INVITATION_MAIL_JOB = 'invitation.mail';
const ZInvitationMailPayload = z.object({ userId: z.string() });

export function createInvitationsService(
  deps: Pick<
    WorkspacesDeps,
    'store' | 'transactions' | 'clock' | 'audit' | 'jobs' | 'mailer' | 'inviteLimiter' | 'inviteDays' | 'passwordCost' | 'publicUrl' | 'events'
  > & {
    authChanged: (workspaceId: string) => void;
    members: MembersService;
    teams: TeamsService;
    sessions: Sessions;
  },
) {
  const { store, clock, audit, authChanged, members, teams, sessions } = deps;
  const { addMember, requireMember } = members;
  const { requireTeam } = teams;
  const { createSession } = sessions;
  const transactions = deps.transactions;
  const { autocommit } = transactions;

  const enqueueInvitationMail = (tx: Tx, workspaceId: string, userId: string) =>
    invitationMail.enqueue(tx, { workspaceId, payload: { userId }, idempotencyKey: `invitation:${userId}:${newId('job')}` });

  /** A link that is known, unused and not expired, with its person; anything else is not found. */
  async function requireLiveInvitation(token: string) {
    const member = await store.getMemberByInvite(sha256(token));
    if (!member || member.status !== 'invited') throw notFound('Invitation');
    if (member.invite_expires_at && member.invite_expires_at <= clock.nowIso()) throw notFound('Invitation');
    const user = await store.getUser(member.user_id);
    if (!user) throw notFound('Invitation');
    return { member, user };
  }

  // The link is made when the mail is sent, so no usable token ever rests in the jobs table; a
  // retried send makes a new link and the earlier, undelivered one stops working.
  const invitationMail = deps.jobs.define(INVITATION_MAIL_JOB, ZInvitationMailPayload, async (job) => {
    const { userId } = job.payload;
    const m = await store.getMember(autocommit, job.workspaceId, userId);
    if (!m || m.status !== 'invited' || (m.invite_expires_at && m.invite_expires_at <= clock.nowIso())) return;
    const ws = await store.getWorkspace(job.workspaceId);
    const inviter = m.invited_by ? await store.getUser(m.invited_by) : undefined;
    const token = randomSecret(24);
    await store.updateMember(autocommit, job.workspaceId, userId, { invite_token_hash: sha256(token) });
    const link = `${deps.publicUrl.replace(/\/$/, '')}/invite#${token}`;
    const who = inviter ? `${inviter.name} invited you` : 'You are invited';
    const until = m.invite_expires_at ? ` The link works once, until ${m.invite_expires_at.slice(0, 10)}.` : '';
    await deps.mailer.send({
      to: m.email,
      subject: `${who} to ${ws?.name ?? 'a workspace'} on Rapport`,
      text: `${who} to join ${ws?.name ?? 'a workspace'} on Rapport as ${m.role}.\n\nAccept: ${link}\n${until}\n\nIf you did not expect this, ignore this mail; nothing happens unless you open the link.\n`,
    });
  });

  const service = {
    /**
     * Invites a person by email. The invitation link goes to that address only (a job mails it
     * after commit); the inviter never sees it, so accepting proves control of the mailbox. A
     * person who already has an account accepts while signed in as themselves.
     */
    async inviteMember(
      auth: AuthContext,
      input: { email: string; name?: string | undefined; role: Role; teamIds?: string[] | undefined; capacity?: number | null | undefined },
    ) {
      requirePermission(auth, 'members.manage');
      if (!canAssignRole(auth.role, null, input.role)) throw forbidden('Only an owner may grant that role');
      for (const t of input.teamIds ?? []) await requireTeam(auth.workspaceId, t);
      const wait = deps.inviteLimiter.retryAfter(auth.workspaceId);
      if (wait > 0) throw rateLimited(`Too many invitations from this workspace; try again in ${wait} s`, wait);
      deps.inviteLimiter.fail(auth.workspaceId);
      const expiresAt = new Date(clock.nowMs() + deps.inviteDays * 86_400_000).toISOString();
      const userId = await transactions.run(async (tx) => {
        let user = await store.getUserByEmail(tx, input.email);
        if (!user) {
          user = {
            id: newId('user'),
            email: input.email,
            name: input.name ?? input.email.split('@')[0] ?? input.email,
            password_hash: null,
            created_at: clock.nowIso(),
          };
          await store.insertUser(tx, user);
        }
        if (await store.getMember(tx, auth.workspaceId, user.id)) throw conflict('This person is already a member of the workspace');
        await addMember(tx, auth.workspaceId, user.id, input.role, 'invited', null, input.capacity ?? null, { expiresAt, invitedBy: auth.userId });
        for (const t of input.teamIds ?? []) await store.addTeamMember(tx, auth.workspaceId, t, user.id);
        await enqueueInvitationMail(tx, auth.workspaceId, user.id);
        await audit.record(tx, auth, {
          action: 'member.invited',
          objectType: 'member',
          objectId: user.id,
          data: { email: input.email, role: input.role, expiresAt },
        });
        await deps.events.emit(tx, auth.workspaceId, [{ type: 'member.invited', data: { userId: user.id, role: input.role } }]);
        return user.id;
      });
      deps.jobs.poke();
      const m = await requireMember(auth.workspaceId, userId);
      return { ...toMember(m, input.teamIds ?? []), invitation: { sentTo: m.email, expiresAt } };
    },

    /** Mails a fresh invitation link (the old one stops working) and extends the expiry. */
    async resendInvitation(auth: AuthContext, memberOrUserId: string) {
      requirePermission(auth, 'members.manage');
      const m = await requireMember(auth.workspaceId, memberOrUserId);
      if (m.status !== 'invited') throw conflict('This member has already joined');
      if (!canAssignRole(auth.role, null, m.role as Role)) throw forbidden('Only an owner may grant that role');
      const wait = deps.inviteLimiter.retryAfter(auth.workspaceId);
      if (wait > 0) throw rateLimited(`Too many invitations from this workspace; try again in ${wait} s`, wait);
      deps.inviteLimiter.fail(auth.workspaceId);
      const expiresAt = new Date(clock.nowMs() + deps.inviteDays * 86_400_000).toISOString();
      await transactions.run(async (tx) => {
        await store.updateMember(tx, auth.workspaceId, m.user_id, { invite_token_hash: null, invite_expires_at: expiresAt, invited_by: auth.userId });
        await enqueueInvitationMail(tx, auth.workspaceId, m.user_id);
        await audit.record(tx, auth, { action: 'member.invitation_resent', objectType: 'member', objectId: m.user_id, data: { email: m.email, expiresAt } });
      });
      deps.jobs.poke();
      return { ...toMember(m, (await store.teamIdsByUser(auth.workspaceId)).get(m.user_id) ?? []), invitation: { sentTo: m.email, expiresAt } };
    },

    /** What the invitation page shows; unknown, used and expired links are all simply not found. */
    async previewInvitation(token: string) {
      const { member, user } = await requireLiveInvitation(token);
      const ws = await store.getWorkspace(member.workspace_id);
      if (!ws) throw notFound('Invitation');
      return {
        workspace: { id: ws.id, name: ws.name },
        email: user.email,
        role: member.role as Role,
        hasAccount: user.password_hash !== null,
        expiresAt: member.invite_expires_at,
      };
    },

    /**
     * Accepting by link creates the account of an address that has none yet (the link proves the
     * mailbox). It never signs anyone in as a person who already has a password, and never sets
     * or keeps a password for them: they sign in and accept from their account instead.
     */
    async acceptInvite(input: { token: string; name?: string | undefined; password: string }, ip: string | null) {
      const { member, user } = await requireLiveInvitation(input.token);
      if (user.password_hash !== null) throw conflict(`Sign in as ${user.email} and accept the invitation from your account`);
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      await transactions.run(async (tx) => {
        // Claim the invitation and the account in this transaction: a second use of the link finds neither.
        const claimed = await store.claimInvitation(tx, member.workspace_id, member.user_id, member.invite_token_hash ?? '');
        if (!claimed) throw notFound('Invitation');
        // The account's name is the person's own, never one an inviter typed for the address.
        const name = input.name ?? user.email.split('@')[0] ?? user.email;
        const set = await store.setPasswordIfUnset(tx, user.id, passwordHash, name);
        if (!set) throw conflict(`Sign in as ${user.email} and accept the invitation from your account`);
        await audit.record(
          tx,
          { workspaceId: member.workspace_id, userId: member.user_id, ip },
          { action: 'member.joined', objectType: 'member', objectId: member.user_id, data: { via: 'invitation link', accountCreated: true } },
        );
        await deps.events.emit(tx, member.workspace_id, [{ type: 'member.joined', data: { userId: member.user_id, role: member.role } }]);
      });
      authChanged(member.workspace_id);
      return createSession(member.user_id, member.workspace_id);
    },

    /** The signed-in person's pending invitations (never another person's). */
    async listInvitations(userId: string) {
      const now = clock.nowIso();
      return (await store.listInvitations(userId))
        .filter((i) => !i.invite_expires_at || i.invite_expires_at > now)
        .map((i) => ({
          workspace: toWorkspace({ id: i.workspace_id, name: i.workspace_name, created_at: i.workspace_created_at }),
          role: i.role as Role,
          invitedAt: i.created_at,
          expiresAt: i.invite_expires_at,
        }));
    },

    /** Accepts an invitation of the signed-in person; a session moves to the workspace joined. */
    async acceptInvitationAsMember(auth: AuthContext, workspaceId: string, sessionId: string | null) {
      const pending = (await service.listInvitations(auth.userId)).find((i) => i.workspace.id === workspaceId);
      if (!pending) throw notFound('Invitation');
      await transactions.run(async (tx) => {
        const m = await store.getMember(tx, workspaceId, auth.userId);
        if (!m || m.status !== 'invited') throw notFound('Invitation');
        await store.updateMember(tx, workspaceId, auth.userId, { status: 'active', invite_token_hash: null, invite_expires_at: null, availability: 'online' });
        await audit.record(
          tx,
          { workspaceId, userId: auth.userId, ip: auth.ip },
          { action: 'member.joined', objectType: 'member', objectId: auth.userId, data: { via: 'account' } },
        );
        await deps.events.emit(tx, workspaceId, [{ type: 'member.joined', data: { userId: auth.userId, role: m.role } }]);
        await audit.record(tx, auth, {
          action: 'user.joined_workspace',
          objectType: 'workspace',
          objectId: workspaceId,
          data: { name: pending.workspace.name },
        });
      });
      if (sessionId) await store.setSessionWorkspace(sha256(sessionId), workspaceId);
      authChanged(workspaceId);
      authChanged(auth.workspaceId);
      return pending;
    },

    async declineInvitation(auth: AuthContext, workspaceId: string) {
      const m = await store.getMember(autocommit, workspaceId, auth.userId);
      if (!m || m.status !== 'invited') throw notFound('Invitation');
      await transactions.run(async (tx) => {
        await store.deleteInvitedMember(tx, workspaceId, auth.userId);
        await audit.record(tx, { workspaceId, userId: auth.userId, ip: auth.ip }, { action: 'member.declined', objectType: 'member', objectId: auth.userId });
      });
    },
  };
  return service;
}
export type InvitationsService = ReturnType<typeof createInvitationsService>;
