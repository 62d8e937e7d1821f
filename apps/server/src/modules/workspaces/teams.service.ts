// Teams and who is in them.
import { requirePermission, type AuthContext } from '../../platform/access.js';
import { notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Executor } from '../../platform/db/transactions.js';
import type { WorkspacesDeps } from './workspaces.deps.js';
import { toTeam } from './workspaces.mappers.js';

export function createTeamsService(
  deps: Pick<WorkspacesDeps, 'store' | 'transactions' | 'clock' | 'audit' | 'events'> & {
    authChanged: (workspaceId: string) => void;
    requireMember: (workspaceId: string, memberOrUserId: string) => Promise<{ user_id: string }>;
  },
) {
  const { store, clock, audit, authChanged, requireMember } = deps;
  const transactions = deps.transactions;
  const { autocommit } = transactions;

  async function requireTeam(workspaceId: string, teamId: string) {
    const t = await store.getTeam(autocommit, workspaceId, teamId);
    if (!t) throw notFound('Team');
    return t;
  }

  const service = {
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
        await deps.events.emit(tx, auth.workspaceId, [
          { type: 'team.created', data: { teamId: id, name: input.name } },
          ...input.memberIds.map((userId) => ({ type: 'team.member_added' as const, data: { teamId: id, userId } })),
        ]);
      });
      return service.getTeam(auth, id);
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
        await deps.events.emit(tx, auth.workspaceId, [{ type: 'team.updated', data: { teamId: id, changed: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) } }]);
      });
      return service.getTeam(auth, id);
    },

    async deleteTeam(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.manage');
      await requireTeam(auth.workspaceId, id);
      await transactions.run(async (tx) => {
        await store.deleteTeam(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'team.deleted', objectType: 'team', objectId: id });
        await deps.events.emit(tx, auth.workspaceId, [{ type: 'team.deleted', data: { teamId: id } }]);
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
        await deps.events.emit(tx, auth.workspaceId, [{ type: isMember ? 'team.member_added' : 'team.member_removed', data: { teamId, userId: m.user_id } }]);
      });
      authChanged(auth.workspaceId);
      return service.getTeam(auth, teamId);
    },
    requireTeam,
    /** Whether a team hands its new conversations out round-robin (false for unknown teams). */
    async teamAutoAssigns(ex: Executor, workspaceId: string, teamId: string): Promise<boolean> {
      return (await store.getTeam(ex, workspaceId, teamId))?.auto_assign === 1;
    },
  };
  return service;
}
export type TeamsService = ReturnType<typeof createTeamsService>;
