// Workspaces, sign-in, members, teams and API tokens.
import type { ApiToken, Member, Me, Role, Team, Workspace } from '@rapport/contracts';
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
import type { RateLimiter } from '../../platform/rate-limit.js';
import type { MemberWithUser, WorkspacesStore } from './workspaces.store.js';

export type WorkspacesDeps = {
  store: WorkspacesStore;
  clock: Clock;
  audit: Audit;
  bus: Bus;
  loginLimiter: RateLimiter;
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
    name: m.name,
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

export function createWorkspacesService(deps: WorkspacesDeps) {
  const { store, clock, audit, bus } = deps;
  const db = store.db;

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
    const row: WorkspaceRow = { id: newId('workspace'), name, conversation_seq: 0, created_at: clock.nowIso() };
    await store.insertWorkspace(tx, row);
    return row;
  }

  async function addMember(tx: Tx, workspaceId: string, userId: string, role: Role, status: string, inviteHash: string | null, capacity: number | null = null) {
    await store.insertMember(tx, {
      workspace_id: workspaceId,
      user_id: userId,
      id: newId('member'),
      role,
      status,
      availability: status === 'active' ? 'online' : 'offline',
      capacity,
      invite_token_hash: inviteHash,
      last_assigned_at: null,
      created_at: clock.nowIso(),
    });
  }

  /** Cached credentials must not outlive a revocation, role, status or team change. */
  const authChanged = (workspaceId: string) => bus.publish({ workspaceId, type: AUTH_CHANGED, internal: true, data: null });

  async function requireMember(workspaceId: string, memberOrUserId: string) {
    const m = memberOrUserId.startsWith('usr_')
      ? await store.getMember(db, workspaceId, memberOrUserId)
      : await store.getMemberById(workspaceId, memberOrUserId);
    if (!m) throw notFound('Member');
    return m;
  }

  async function requireTeam(workspaceId: string, teamId: string) {
    const t = await store.getTeam(db, workspaceId, teamId);
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
      return db.transaction().execute(async (tx) => {
        const ws = await newWorkspace(tx, input.workspaceName);
        const userId = newId('user');
        if (await store.getUserByEmail(tx, input.email)) throw conflict('A user with this email exists');
        await store.insertUser(tx, { id: userId, email: input.email, name: input.name, password_hash: passwordHash, created_at: clock.nowIso() });
        if (mustBeFirst) {
          const again = await tx
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow();
          if (Number(again.n) > 1) throw conflict('This instance is already set up; sign in instead');
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

    /** A user who can sign in right away (demo seed, tests): invite + accept in one step. */
    async addActiveMember(
      auth: AuthContext,
      input: { email: string; name: string; role: Role; password: string; teamIds?: string[]; capacity?: number | null },
    ) {
      const invited = await this.inviteMember(auth, {
        email: input.email,
        name: input.name,
        role: input.role,
        teamIds: input.teamIds,
        capacity: input.capacity,
      });
      await this.acceptInvite({ token: invited.inviteToken, name: input.name, password: input.password }, null);
      return invited.userId;
    },

    async login(input: { email: string; password: string; workspaceId?: string | undefined }, ip: string | null) {
      const keys = [`email:${input.email}`, `ip:${ip ?? '?'}`];
      const wait = Math.max(...keys.map((k) => deps.loginLimiter.retryAfter(k)));
      if (wait > 0) throw new AppError('RATE_LIMITED', `Too many failed sign-ins; try again in ${wait} s`, undefined, { 'retry-after': String(wait) });
      const user = await store.getUserByEmail(db, input.email);
      const ok = user?.password_hash
        ? await verifyPassword(input.password, user.password_hash)
        : (await verifyPassword(input.password, await dummyHash(deps.passwordCost)), false);
      if (!user || !ok) {
        for (const k of keys) deps.loginLimiter.fail(k);
        throw new AppError('UNAUTHENTICATED', 'The email or password is wrong');
      }
      deps.loginLimiter.reset(`email:${input.email}`);
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
      const [user, ws, member, memberships] = await Promise.all([
        store.getUser(auth.userId),
        store.getWorkspace(auth.workspaceId),
        store.getMember(db, auth.workspaceId, auth.userId),
        store.listMemberships(auth.userId),
      ]);
      if (!user || !ws || !member) throw notFound('User');
      return {
        user: { id: user.id, email: user.email, name: user.name },
        workspace: toWorkspace(ws),
        role: auth.role,
        teamIds: auth.teamIds,
        availability: member.availability as Me['availability'],
        workspaces: memberships.map((m) => ({ workspace: toWorkspace(m), role: m.role as Role })),
        authMethod: auth.method,
      };
    },

    async updateMe(auth: AuthContext, patch: { name?: string | undefined; availability?: Me['availability'] | undefined }) {
      await db.transaction().execute(async (tx) => {
        if (patch.name) await store.updateUser(tx, auth.userId, { name: patch.name });
        if (patch.availability) await store.updateMember(tx, auth.workspaceId, auth.userId, { availability: patch.availability });
      });
      if (patch.availability) {
        bus.publish({ workspaceId: auth.workspaceId, type: 'presence.changed', data: { userId: auth.userId, availability: patch.availability } });
      }
      return this.me(auth);
    },

    async createWorkspace(auth: AuthContext, name: string) {
      return db.transaction().execute(async (tx) => {
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

    async inviteMember(
      auth: AuthContext,
      input: { email: string; name?: string | undefined; role: Role; teamIds?: string[] | undefined; capacity?: number | null | undefined },
    ) {
      requirePermission(auth, 'members.manage');
      if (!canAssignRole(auth.role, null, input.role)) throw forbidden('Only an owner may grant that role');
      for (const t of input.teamIds ?? []) await requireTeam(auth.workspaceId, t);
      const inviteToken = randomSecret(24);
      const userId = await db.transaction().execute(async (tx) => {
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
        await addMember(tx, auth.workspaceId, user.id, input.role, 'invited', sha256(inviteToken), input.capacity ?? null);
        for (const t of input.teamIds ?? []) await store.addTeamMember(tx, auth.workspaceId, t, user.id);
        await audit.record(tx, auth, { action: 'member.invited', objectType: 'member', objectId: user.id, data: { email: input.email, role: input.role } });
        return user.id;
      });
      const m = await requireMember(auth.workspaceId, userId);
      return { ...toMember(m, input.teamIds ?? []), inviteToken, inviteUrl: `${deps.publicUrl}/invite/${inviteToken}` };
    },

    async acceptInvite(input: { token: string; name?: string | undefined; password: string }, ip: string | null) {
      const member = await store.getMemberByInvite(sha256(input.token));
      if (!member || member.status !== 'invited') throw notFound('Invitation');
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      await db.transaction().execute(async (tx) => {
        const user = await tx.selectFrom('users').selectAll().where('id', '=', member.user_id).executeTakeFirstOrThrow();
        if (!user.password_hash || input.name) {
          await store.updateUser(tx, user.id, { ...(user.password_hash ? {} : { password_hash: passwordHash }), ...(input.name ? { name: input.name } : {}) });
        }
        await store.updateMember(tx, member.workspace_id, member.user_id, { status: 'active', invite_token_hash: null, availability: 'online' });
        await audit.record(
          tx,
          { workspaceId: member.workspace_id, userId: member.user_id, ip },
          { action: 'member.joined', objectType: 'member', objectId: member.user_id },
        );
      });
      return createSession(member.user_id, member.workspace_id);
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
      if ((patch.role && patch.role !== 'owner' && current === 'owner') || (patch.status === 'deactivated' && current === 'owner')) {
        const owners = (await store.listMembers(auth.workspaceId)).filter((x) => x.role === 'owner' && x.status === 'active');
        if (owners.length <= 1) throw conflict('A workspace keeps at least one active owner');
      }
      await db.transaction().execute(async (tx) => {
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
      await db.transaction().execute(async (tx) => {
        await store.insertTeam(tx, { workspace_id: auth.workspaceId, id, name: input.name, auto_assign: input.autoAssign ? 1 : 0, created_at: clock.nowIso() });
        for (const u of input.memberIds) await store.addTeamMember(tx, auth.workspaceId, id, u);
        await audit.record(tx, auth, { action: 'team.created', objectType: 'team', objectId: id, data: { name: input.name } });
      });
      return this.getTeam(auth, id);
    },

    async updateTeam(auth: AuthContext, id: string, patch: { name?: string | undefined; autoAssign?: boolean | undefined }) {
      requirePermission(auth, 'settings.manage');
      await requireTeam(auth.workspaceId, id);
      await db.transaction().execute(async (tx) => {
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
      await db.transaction().execute(async (tx) => {
        await store.deleteTeam(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'team.deleted', objectType: 'team', objectId: id });
      });
      authChanged(auth.workspaceId);
    },

    async setTeamMember(auth: AuthContext, teamId: string, userId: string, isMember: boolean) {
      requirePermission(auth, 'settings.manage');
      await requireTeam(auth.workspaceId, teamId);
      const m = await requireMember(auth.workspaceId, userId);
      await db.transaction().execute(async (tx) => {
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
      return db.transaction().execute(async (tx) => {
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
      await db.transaction().execute(async (tx) => {
        await store.revokeToken(tx, auth.workspaceId, id, at);
        await audit.record(tx, auth, { action: 'token.revoked', objectType: 'token', objectId: id });
      });
      authChanged(auth.workspaceId);
      return toToken({ ...t, revoked_at: at });
    },

    /** An active member by user id; another workspace's user is simply not found. */
    async requireActiveMember(workspaceId: string, userId: string) {
      const m = await store.getMember(db, workspaceId, userId);
      if (!m) throw notFound('Member');
      if (m.status !== 'active') throw invalid(`${userId} is not an active member`, [{ path: 'assigneeId', message: 'member is not active' }]);
      return m;
    },
    requireTeam,
  };
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>;
