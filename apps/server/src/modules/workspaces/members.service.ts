// Members of a workspace: roles, status, availability and capacity.
import type { Me, Role } from '@rapport/contracts';
import { canAssignRole, requirePermission, type AuthContext } from '../../platform/access.js';
import { notFound, forbidden, invalid, conflict } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { hashPassword } from '../../platform/passwords.js';
import type { Tx } from '../../platform/db/database.js';
import type { Executor } from '../../platform/db/transactions.js';
import type { WorkspacesDeps } from './workspaces.deps.js';
import { toMember } from './workspaces.mappers.js';

export function createMembersService(
  deps: Pick<WorkspacesDeps, 'store' | 'transactions' | 'clock' | 'audit' | 'bus' | 'passwordCost' | 'events'> & { authChanged: (workspaceId: string) => void },
) {
  const { store, clock, audit, bus, authChanged } = deps;
  const transactions = deps.transactions;
  const { autocommit } = transactions;

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

  async function requireMember(workspaceId: string, memberOrUserId: string) {
    const m = memberOrUserId.startsWith('usr_')
      ? await store.getMember(autocommit, workspaceId, memberOrUserId)
      : await store.getMemberById(workspaceId, memberOrUserId);
    if (!m) throw notFound('Member');
    return m;
  }

  const service = {
    /** The next conversation number of a workspace (the desk numbers its conversations #1, #2, …). */
    nextConversationNumber: (ex: Executor, workspaceId: string) => store.nextConversationNumber(ex, workspaceId),
    /** Who round-robin may pick in a team: active, online agents, least recently assigned first. */
    async teamAgentsOnline(workspaceId: string, teamId: string) {
      return (await store.teamAgentsOnline(workspaceId, teamId)).sort(
        (a, b) => (a.last_assigned_at ?? '').localeCompare(b.last_assigned_at ?? '') || a.user_id.localeCompare(b.user_id),
      );
    },
    markAssigned: (ex: Executor, workspaceId: string, userId: string, at: string) => store.markAssigned(ex, workspaceId, userId, at),
    addMember,
    requireMember,
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
        await deps.events.emit(tx, auth.workspaceId, [{ type: 'member.joined', data: { userId, role: input.role } }]);
        return userId;
      });
    },

    // Members
    async listMembers(auth: AuthContext) {
      requirePermission(auth, 'members.read');
      const [rows, teams] = await Promise.all([store.listMembers(auth.workspaceId), store.teamIdsByUser(auth.workspaceId)]);
      return { data: rows.map((m) => toMember(m, teams.get(m.user_id) ?? [])), nextCursor: null };
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
        const changed = Object.keys(set).filter((k) => set[k as keyof typeof set] !== (m as Record<string, unknown>)[k]);
        if (changed.length > 0) await deps.events.emit(tx, auth.workspaceId, [{ type: 'member.updated', data: { userId: m.user_id, changed } }]);
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

    /** Who hears about the workspace's operations (a webhook disabled): its name and its active owners' and admins' addresses. */
    async adminContacts(workspaceId: string): Promise<{ workspaceName: string | null; emails: string[] }> {
      const [ws, rows] = await Promise.all([store.getWorkspace(workspaceId), store.listMembers(workspaceId)]);
      const emails = rows.filter((m) => m.status === 'active' && (m.role === 'owner' || m.role === 'admin')).map((m) => m.email);
      return { workspaceName: ws?.name ?? null, emails };
    },

    /** An active member by user id; another workspace's user is simply not found. */
    async requireActiveMember(workspaceId: string, userId: string) {
      const m = await store.getMember(autocommit, workspaceId, userId);
      if (!m) throw notFound('Member');
      if (m.status !== 'active') throw invalid(`${userId} is not an active member`, [{ path: 'assigneeId', message: 'member is not active' }]);
      return m;
    },
  };
  return service;
}
export type MembersService = ReturnType<typeof createMembersService>;
