// Workspaces, sign-in, members, teams and API tokens.
import type { ApiToken, Member, Me, Role, Team, Workspace } from '@rapport/contracts';
import { z } from 'zod';
import type { Executor, Transactions } from '../../platform/db/transactions.js';
import { canAssignRole, requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import { AUTH_CHANGED, TOKEN_PREFIX } from '../../platform/auth.js';
import type { Bus } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { ApiTokenRow, TeamRow, WorkspaceRow } from '../../platform/db/schema.js';
import { AppError, conflict, forbidden, invalid, notFound } from '../../platform/errors.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import { dummyHash, hashPassword, verifyPassword } from '../../platform/passwords.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Mailer } from '../../platform/mailer.js';
import type { RateLimiter } from '../../platform/rate-limit.js';
import type { MemberWithUser, WorkspacesStore } from './workspaces.store.js';

export type WorkspacesDeps = {
  store: WorkspacesStore;
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  bus: Bus;
  loginLimiter: RateLimiter;
  /** Invitations a workspace may send per hour (each one is a mail to a stranger's address). */
  inviteLimiter: RateLimiter;
  jobs: Jobs;
  mailer: Mailer;
  inviteDays: number;
  passwordCost: number;
  sessionDays: number;
  publicUrl: string;
};

const toWorkspace = (w: Pick<WorkspaceRow, 'id' | 'name' | 'created_at'>): Workspace => ({ id: w.id, name: w.name, createdAt: w.created_at });

function toMember(m: MemberWithUser, teamIds: string[]): Member {
  return {
    id: m.id,
    userId: m.user_id,
    email: m.email,
    // Until they join, a workspace knows only the address it typed: inviting someone's email
    // must not reveal the name on their account.
    name: m.status === 'invited' ? (m.email.split('@')[0] ?? m.email) : m.name,
    role: m.role as Role,
    status: m.status as Member['status'],
    availability: m.availability as Member['availability'],
    capacity: m.capacity,
    teamIds,
    createdAt: m.created_at,
  };
}

const toToken = (t: ApiTokenRow): ApiToken => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  userId: t.user_id,
  createdAt: t.created_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

const toTeam = (t: TeamRow, memberIds: string[]): Team => ({
  id: t.id,
  name: t.name,
  autoAssign: t.auto_assign === 1,
  memberIds,
  createdAt: t.created_at,
});

export const INVITATION_MAIL_JOB = 'invitation.mail';
const ZInvitationMailPayload = z.object({ userId: z.string() });

export function createWorkspacesService(deps: WorkspacesDeps) {
  const { store, clock, audit, bus } = deps;
  const { autocommit } = deps.transactions;
  const transactions = deps.transactions;

  async function issueToken(tx: Tx, workspaceId: string, userId: string, name: string) {
    const secret = `${TOKEN_PREFIX}${randomSecret(32)}`;
    const row: ApiTokenRow = {
      workspace_id: workspaceId,
      id: newId('token'),
      user_id: userId,
      name,
      prefix: secret.slice(0, 10),
      token_hash: sha256(secret),
      created_at: clock.nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    await store.insertToken(tx, row);
    return { row, secret };
  }

  async function newWorkspace(tx: Tx, name: string): Promise<WorkspaceRow> {
    const row: WorkspaceRow = { id: newId('workspace'), name, conversation_seq: 0, created_at: clock.nowIso(), identity_secret: randomSecret(32) };
    await store.insertWorkspace(tx, row);
    return row;
  }

  async function addMember(
    tx: Tx,
    workspaceId: string,
    userId: string,
    role: Role,
    status: string,
    inviteHash: string | null,
    capacity: number | null = null,
    invitation: { expiresAt: string; invitedBy: string } | null = null,
  ) {
    await store.insertMember(tx, {
      workspace_id: workspaceId,
      user_id: userId,
      id: newId('member'),
      role,
      status,
      availability: status === 'active' ? 'online' : 'offline',
      capacity,
      invite_token_hash: inviteHash,
      invite_expires_at: invitation?.expiresAt ?? null,
      invited_by: invitation?.invitedBy ?? null,
      last_assigned_at: null,
      created_at: clock.nowIso(),
    });
  }

  const enqueueInvitationMail = (tx: Tx, workspaceId: string, userId: string) =>
    deps.jobs.enqueue(tx, { workspaceId, type: INVITATION_MAIL_JOB, payload: { userId }, idempotencyKey: `invitation:${userId}:${newId('job')}` });

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
  deps.jobs.register(INVITATION_MAIL_JOB, async (job) => {
    const userId = ZInvitationMailPayload.parse(job.payload).userId;
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

  /** Cached credentials must not outlive a revocation, role, status or team change. */
  const authChanged = (workspaceId: string) => bus.publish({ workspaceId, type: AUTH_CHANGED, internal: true, data: null });

  async function requireMember(workspaceId: string, memberOrUserId: string) {
    const m = memberOrUserId.startsWith('usr_')
      ? await store.getMember(autocommit, workspaceId, memberOrUserId)
      : await store.getMemberById(workspaceId, memberOrUserId);
    if (!m) throw notFound('Member');
    return m;
  }

  async function requireTeam(workspaceId: string, teamId: string) {
    const t = await store.getTeam(autocommit, workspaceId, teamId);
    if (!t) throw notFound('Team');
    return t;
  }

  async function createSession(userId: string, workspaceId: string) {
    const sessionId = randomSecret(32);
    const now = clock.nowMs();
    await store.insertSession({
      id_hash: sha256(sessionId),
      user_id: userId,
      workspace_id: workspaceId,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + deps.sessionDays * 86_400_000).toISOString(),
    });
    return { sessionId, maxAgeSeconds: deps.sessionDays * 86_400 };
  }

  return {
    async needsSetup() {
      return (await store.countUsers()) === 0;
    },

    async setup(input: { workspaceName: string; name: string; email: string; password: string }, ip: string | null) {
      if ((await store.countUsers()) > 0) throw conflict('This instance is already set up; sign in instead');
      const result = await this.createOwner(input, ip, true);
      const session = await createSession(result.user.id, result.workspace.id);
      return { ...result, session };
    },

    /** A new workspace with a new user as its owner (setup, and the demo seed). */
    async createOwner(input: { workspaceName: string; name: string; email: string; password: string }, ip: string | null, mustBeFirst = false) {
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      return transactions.run(async (tx) => {
        const ws = await newWorkspace(tx, input.workspaceName);
        const userId = newId('user');
        if (await store.getUserByEmail(tx, input.email)) throw conflict('A user with this email exists');
        await store.insertUser(tx, { id: userId, email: input.email, name: input.name, password_hash: passwordHash, created_at: clock.nowIso() });
        if (mustBeFirst) {
          if ((await store.countUsers(tx)) > 1) throw conflict('This instance is already set up; sign in instead');
        }
        await addMember(tx, ws.id, userId, 'owner', 'active', null);
        const { secret } = await issueToken(tx, ws.id, userId, 'setup');
        await audit.record(
          tx,
          { workspaceId: ws.id, userId, ip },
          { action: 'workspace.created', objectType: 'workspace', objectId: ws.id, data: { name: ws.name } },
        );
        return { workspace: toWorkspace(ws), user: { id: userId, email: input.email, name: input.name }, token: secret };
      });
    },

    /** A member who can sign in right away (demo seed, tests): no invitation, the caller vouches for the password. */
    async addActiveMember(
      auth: AuthContext,
      input: { email: string; name: string; role: Role; password: string; teamIds?: string[]; capacity?: number | null },
    ) {
      requirePermission(auth, 'members.manage');
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      return transactions.run(async (tx) => {
        if (await store.getUserByEmail(tx, input.email)) throw conflict('A user with this email exists');
        const userId = newId('user');
        await store.insertUser(tx, { id: userId, email: input.email, name: input.name, password_hash: passwordHash, created_at: clock.nowIso() });
        await addMember(tx, auth.workspaceId, userId, input.role, 'active', null, input.capacity ?? null);
        for (const t of input.teamIds ?? []) await store.addTeamMember(tx, auth.workspaceId, t, userId);
        await audit.record(tx, auth, { action: 'member.added', objectType: 'member', objectId: userId, data: { email: input.email, role: input.role } });
        return userId;
      });
    },

    async login(input: { email: string; password: string; workspaceId?: string | undefined }, ip: string | null) {
      const keys = [`email:${input.email}`, `ip:${ip ?? '?'}`];
      const wait = Math.max(...keys.map((k) => deps.loginLimiter.retryAfter(k)));
      if (wait > 0) throw new AppError('RATE_LIMITED', `Too many failed sign-ins; try again in ${wait} s`, undefined, { 'retry-after': String(wait) });
      // Counted before the slow hash, in the same tick as the check: parallel guesses cannot all
      // pass the check while the first ones are still hashing. A right password takes it back.
      for (const k of keys) deps.loginLimiter.fail(k);
      const user = await store.getUserByEmail(autocommit, input.email);
      const ok = user?.password_hash
        ? await verifyPassword(input.password, user.password_hash)
        : (await verifyPassword(input.password, await dummyHash(deps.passwordCost)), false);
      if (!user || !ok) throw new AppError('UNAUTHENTICATED', 'The email or password is wrong');
      deps.loginLimiter.reset(`email:${input.email}`);
      deps.loginLimiter.forgive(`ip:${ip ?? '?'}`);
      const memberships = await store.listMemberships(user.id);
      const chosen = input.workspaceId ? memberships.find((m) => m.id === input.workspaceId) : memberships[0];
      if (!chosen) throw new AppError('UNAUTHENTICATED', 'You are not an active member of that workspace');
      return createSession(user.id, chosen.id);
    },

    async logout(sessionId: string) {
      await store.deleteSession(sha256(sessionId));
      authChanged('*');
    },

    async switchWorkspace(auth: AuthContext, sessionId: string, workspaceId: string) {
      const memberships = await store.listMemberships(auth.userId);
      if (!memberships.some((m) => m.id === workspaceId)) throw notFound('Workspace');
      await store.setSessionWorkspace(sha256(sessionId), workspaceId);
      authChanged(auth.workspaceId);
    },

    async me(auth: AuthContext): Promise<Me> {
      const [user, ws, member, memberships, invitations] = await Promise.all([
        store.getUser(auth.userId),
        store.getWorkspace(auth.workspaceId),
        store.getMember(autocommit, auth.workspaceId, auth.userId),
        store.listMemberships(auth.userId),
        this.listInvitations(auth.userId),
      ]);
      if (!user || !ws || !member) throw notFound('User');
      return {
        user: { id: user.id, email: user.email, name: user.name },
        workspace: toWorkspace(ws),
        role: auth.role,
        teamIds: auth.teamIds,
        availability: member.availability as Me['availability'],
        workspaces: memberships.map((m) => ({ workspace: toWorkspace(m), role: m.role as Role })),
        invitations,
        authMethod: auth.method,
      };
    },

    async updateMe(auth: AuthContext, patch: { name?: string | undefined; availability?: Me['availability'] | undefined }) {
      await transactions.run(async (tx) => {
        if (patch.name) await store.updateUser(tx, auth.userId, { name: patch.name });
        if (patch.availability) await store.updateMember(tx, auth.workspaceId, auth.userId, { availability: patch.availability });
      });
      if (patch.availability) {
        bus.publish({ workspaceId: auth.workspaceId, type: 'presence.changed', data: { userId: auth.userId, availability: patch.availability } });
      }
      return this.me(auth);
    },

    async createWorkspace(auth: AuthContext, name: string) {
      return transactions.run(async (tx) => {
        const ws = await newWorkspace(tx, name);
        await addMember(tx, ws.id, auth.userId, 'owner', 'active', null);
        const { secret } = await issueToken(tx, ws.id, auth.userId, 'created with workspace');
        await audit.record(tx, { ...auth, workspaceId: ws.id }, { action: 'workspace.created', objectType: 'workspace', objectId: ws.id, data: { name } });
        return { workspace: toWorkspace(ws), token: secret };
      });
    },

    // Members
    async listMembers(auth: AuthContext) {
      requirePermission(auth, 'members.read');
      const [rows, teams] = await Promise.all([store.listMembers(auth.workspaceId), store.teamIdsByUser(auth.workspaceId)]);
      return { data: rows.map((m) => toMember(m, teams.get(m.user_id) ?? [])), nextCursor: null };
    },

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
      if (wait > 0)
        throw new AppError('RATE_LIMITED', `Too many invitations from this workspace; try again in ${wait} s`, undefined, { 'retry-after': String(wait) });
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
      if (wait > 0)
        throw new AppError('RATE_LIMITED', `Too many invitations from this workspace; try again in ${wait} s`, undefined, { 'retry-after': String(wait) });
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
        const set = await store.setPasswordIfUnset(tx, user.id, passwordHash, input.name ?? null);
        if (!set) throw conflict(`Sign in as ${user.email} and accept the invitation from your account`);
        await audit.record(
          tx,
          { workspaceId: member.workspace_id, userId: member.user_id, ip },
          { action: 'member.joined', objectType: 'member', objectId: member.user_id, data: { via: 'invitation link', accountCreated: true } },
        );
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
      const pending = (await this.listInvitations(auth.userId)).find((i) => i.workspace.id === workspaceId);
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

    async updateMember(
      auth: AuthContext,
      memberOrUserId: string,
      patch: {
        role?: Role | undefined;
        status?: 'active' | 'deactivated' | undefined;
        availability?: Me['availability'] | undefined;
        capacity?: number | null | undefined;
      },
    ) {
      requirePermission(auth, 'members.manage');
      const m = await requireMember(auth.workspaceId, memberOrUserId);
      const current = m.role as Role;
      if (patch.role && patch.role !== current && !canAssignRole(auth.role, current, patch.role))
        throw forbidden('Only an owner may change an owner or grant ownership');
      if (patch.status && current === 'owner' && auth.role !== 'owner') throw forbidden('Only an owner may deactivate an owner');
      const losesOwner = (patch.role && patch.role !== 'owner' && current === 'owner') || (patch.status === 'deactivated' && current === 'owner');
      await transactions.run(async (tx) => {
        // Counted under lock in the same transaction: two owners demoting each other at once
        // cannot both pass and leave the workspace without one.
        if (losesOwner && (await store.lockActiveOwners(tx, auth.workspaceId)).length <= 1) throw conflict('A workspace keeps at least one active owner');
        const set: Record<string, unknown> = {};
        if (patch.role) set.role = patch.role;
        if (patch.status) set.status = patch.status === 'deactivated' ? 'deactivated' : m.status === 'invited' ? 'invited' : 'active';
        if (patch.availability) set.availability = patch.availability;
        if (patch.capacity !== undefined) set.capacity = patch.capacity;
        if (Object.keys(set).length === 0) return;
        await store.updateMember(tx, auth.workspaceId, m.user_id, set);
        if (patch.role && patch.role !== current)
          await audit.record(tx, auth, { action: 'member.role_changed', objectType: 'member', objectId: m.user_id, data: { from: current, to: patch.role } });
        if (patch.status && patch.status !== m.status)
          await audit.record(tx, auth, {
            action: patch.status === 'deactivated' ? 'member.deactivated' : 'member.reactivated',
            objectType: 'member',
            objectId: m.user_id,
          });
        if (patch.capacity !== undefined || patch.availability)
          await audit.record(tx, auth, {
            action: 'member.updated',
            objectType: 'member',
            objectId: m.user_id,
            data: { capacity: patch.capacity, availability: patch.availability },
          });
      });
      if (patch.role || patch.status) authChanged(auth.workspaceId);
      if (patch.availability)
        bus.publish({ workspaceId: auth.workspaceId, type: 'presence.changed', data: { userId: m.user_id, availability: patch.availability } });
      const updated = await requireMember(auth.workspaceId, m.user_id);
      return toMember(updated, (await store.teamIdsByUser(auth.workspaceId)).get(m.user_id) ?? []);
    },

    /** Display names of the workspace's people (message authors), for any caller who may read the thread. */
    async memberNames(workspaceId: string): Promise<Map<string, string>> {
      return new Map((await store.listMembers(workspaceId)).map((m) => [m.user_id, m.name]));
    },

    // Teams
    async listTeams(auth: AuthContext) {
      requirePermission(auth, 'teams.read');
      const [teams, members] = await Promise.all([store.listTeams(auth.workspaceId), store.teamMemberIds(auth.workspaceId)]);
      return { data: teams.map((t) => toTeam(t, members.get(t.id) ?? [])), nextCursor: null };
    },

    async getTeam(auth: AuthContext, id: string) {
      requirePermission(auth, 'teams.read');
      const t = await requireTeam(auth.workspaceId, id);
      return toTeam(t, (await store.teamMemberIds(auth.workspaceId)).get(t.id) ?? []);
    },

    async createTeam(auth: AuthContext, input: { name: string; autoAssign: boolean; memberIds: string[] }) {
      requirePermission(auth, 'settings.manage');
      for (const u of input.memberIds) await requireMember(auth.workspaceId, u);
      const id = newId('team');
      await transactions.run(async (tx) => {
        await store.insertTeam(tx, { workspace_id: auth.workspaceId, id, name: input.name, auto_assign: input.autoAssign ? 1 : 0, created_at: clock.nowIso() });
        for (const u of input.memberIds) await store.addTeamMember(tx, auth.workspaceId, id, u);
        await audit.record(tx, auth, { action: 'team.created', objectType: 'team', objectId: id, data: { name: input.name } });
      });
      return this.getTeam(auth, id);
    },

    async updateTeam(auth: AuthContext, id: string, patch: { name?: string | undefined; autoAssign?: boolean | undefined }) {
      requirePermission(auth, 'settings.manage');
      await requireTeam(auth.workspaceId, id);
      await transactions.run(async (tx) => {
        await store.updateTeam(tx, auth.workspaceId, id, {
          ...(patch.name ? { name: patch.name } : {}),
          ...(patch.autoAssign !== undefined ? { auto_assign: patch.autoAssign ? 1 : 0 } : {}),
        });
        await audit.record(tx, auth, { action: 'team.updated', objectType: 'team', objectId: id, data: patch });
      });
      return this.getTeam(auth, id);
    },

    async deleteTeam(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.manage');
      await requireTeam(auth.workspaceId, id);
      await transactions.run(async (tx) => {
        await store.deleteTeam(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'team.deleted', objectType: 'team', objectId: id });
      });
      authChanged(auth.workspaceId);
    },

    async setTeamMember(auth: AuthContext, teamId: string, userId: string, isMember: boolean) {
      requirePermission(auth, 'settings.manage');
      await requireTeam(auth.workspaceId, teamId);
      const m = await requireMember(auth.workspaceId, userId);
      await transactions.run(async (tx) => {
        if (isMember) await store.addTeamMember(tx, auth.workspaceId, teamId, m.user_id);
        else await store.removeTeamMember(tx, auth.workspaceId, teamId, m.user_id);
        await audit.record(tx, auth, {
          action: isMember ? 'team.member_added' : 'team.member_removed',
          objectType: 'team',
          objectId: teamId,
          data: { userId: m.user_id },
        });
      });
      authChanged(auth.workspaceId);
      return this.getTeam(auth, teamId);
    },

    // API tokens: everyone manages their own; owners and admins see and revoke all.
    async listTokens(auth: AuthContext) {
      requirePermission(auth, 'tokens.own');
      const all = auth.role === 'owner' || auth.role === 'admin';
      return { data: (await store.listTokens(auth.workspaceId, all ? null : auth.userId)).map(toToken), nextCursor: null };
    },

    async createToken(auth: AuthContext, name: string) {
      requirePermission(auth, 'tokens.own');
      return transactions.run(async (tx) => {
        const { row, secret } = await issueToken(tx, auth.workspaceId, auth.userId, name);
        await audit.record(tx, auth, { action: 'token.created', objectType: 'token', objectId: row.id, data: { name } });
        return { ...toToken(row), token: secret };
      });
    },

    async revokeToken(auth: AuthContext, id: string) {
      requirePermission(auth, 'tokens.own');
      const t = await store.getToken(auth.workspaceId, id);
      const all = auth.role === 'owner' || auth.role === 'admin';
      if (!t || (!all && t.user_id !== auth.userId)) throw notFound('Token');
      if (t.revoked_at) return toToken(t);
      const at = clock.nowIso();
      await transactions.run(async (tx) => {
        await store.revokeToken(tx, auth.workspaceId, id, at);
        await audit.record(tx, auth, { action: 'token.revoked', objectType: 'token', objectId: id });
      });
      authChanged(auth.workspaceId);
      return toToken({ ...t, revoked_at: at });
    },

    /** An active member by user id; another workspace's user is simply not found. */
    async requireActiveMember(workspaceId: string, userId: string) {
      const m = await store.getMember(autocommit, workspaceId, userId);
      if (!m) throw notFound('Member');
      if (m.status !== 'active') throw invalid(`${userId} is not an active member`, [{ path: 'assigneeId', message: 'member is not active' }]);
      return m;
    },
    requireTeam,
    /** Whether a team hands its new conversations out round-robin (false for unknown teams). */
    async teamAutoAssigns(ex: Executor, workspaceId: string, teamId: string): Promise<boolean> {
      return (await store.getTeam(ex, workspaceId, teamId))?.auto_assign === 1;
    },
  };
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>;
