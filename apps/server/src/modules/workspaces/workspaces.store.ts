// SQL for workspaces, users, members, teams, sessions and API tokens.
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { ApiTokenRow, MemberRow, TeamRow, UserRow, WorkspaceRow } from '../../platform/db/schema.js';

export type MemberWithUser = MemberRow & { email: string; name: string };

export function createWorkspacesStore(db: Db, engine: Engine) {
  return {
    async countUsers(ex: Tx | Db = db): Promise<number> {
      const r = await ex
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    insertWorkspace: (tx: Tx | Db, row: WorkspaceRow) => tx.insertInto('workspaces').values(row).execute(),
    insertUser: (tx: Tx | Db, row: UserRow) => tx.insertInto('users').values(row).execute(),
    insertMember: (tx: Tx | Db, row: MemberRow) => tx.insertInto('members').values(row).execute(),
    getWorkspace: (id: string) => db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst(),
    getUserByEmail: (tx: Tx | Db, email: string) => tx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst(),
    getUser: (id: string) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
    updateUser: (tx: Tx | Db, id: string, patch: Partial<Pick<UserRow, 'name' | 'password_hash'>>) =>
      tx.updateTable('users').set(patch).where('id', '=', id).execute(),
    listMemberships: (userId: string) =>
      db
        .selectFrom('members as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select(['w.id', 'w.name', 'w.created_at', 'm.role'])
        .where('m.user_id', '=', userId)
        .where('m.status', '=', 'active')
        .orderBy('w.created_at')
        .execute(),
    memberQuery: (tx: Tx | Db, workspaceId: string) =>
      tx
        .selectFrom('members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .selectAll('m')
        .select(['u.email', 'u.name'])
        .where('m.workspace_id', '=', workspaceId),
    async getMember(tx: Tx | Db, workspaceId: string, userId: string): Promise<MemberWithUser | undefined> {
      return this.memberQuery(tx, workspaceId).where('m.user_id', '=', userId).executeTakeFirst();
    },
    async getMemberById(workspaceId: string, memberId: string): Promise<MemberWithUser | undefined> {
      return this.memberQuery(db, workspaceId).where('m.id', '=', memberId).executeTakeFirst();
    },
    async listMembers(workspaceId: string): Promise<MemberWithUser[]> {
      return this.memberQuery(db, workspaceId).orderBy('m.created_at').execute();
    },
    getMemberByInvite: (hash: string) => db.selectFrom('members').selectAll().where('invite_token_hash', '=', hash).executeTakeFirst(),
    /** Marks an invitation used; false when another request used it first. */
    async claimInvitation(tx: Tx, workspaceId: string, userId: string, tokenHash: string): Promise<boolean> {
      const r = await tx
        .updateTable('members')
        .set({ status: 'active', invite_token_hash: null, invite_expires_at: null, availability: 'online' })
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .where('status', '=', 'invited')
        .where('invite_token_hash', '=', tokenHash)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Sets the first password of an account that has none; false when it already has one. */
    async setPasswordIfUnset(tx: Tx, userId: string, passwordHash: string, name: string | null): Promise<boolean> {
      const r = await tx
        .updateTable('users')
        .set({ password_hash: passwordHash, ...(name ? { name } : {}) })
        .where('id', '=', userId)
        .where('password_hash', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Active owners of a workspace, row-locked on PostgreSQL (SQLite runs one writer at a time). */
    lockActiveOwners: (tx: Tx, workspaceId: string) => {
      const q = tx.selectFrom('members').select('user_id').where('workspace_id', '=', workspaceId).where('role', '=', 'owner').where('status', '=', 'active');
      return (engine === 'postgres' ? q.forUpdate() : q).execute();
    },
    listInvitations: (userId: string) =>
      db
        .selectFrom('members as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select(['m.workspace_id', 'w.name as workspace_name', 'w.created_at as workspace_created_at', 'm.role', 'm.created_at', 'm.invite_expires_at'])
        .where('m.user_id', '=', userId)
        .where('m.status', '=', 'invited')
        .orderBy('m.created_at')
        .execute(),
    deleteInvitedMember: async (tx: Tx, workspaceId: string, userId: string) => {
      await tx.deleteFrom('team_members').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
      await tx.deleteFrom('members').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).where('status', '=', 'invited').execute();
    },
    updateMember: (tx: Tx | Db, workspaceId: string, userId: string, patch: Partial<MemberRow>) =>
      tx.updateTable('members').set(patch).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute(),
    teamIdsByUser: async (workspaceId: string): Promise<Map<string, string[]>> => {
      const rows = await db.selectFrom('team_members').select(['user_id', 'team_id']).where('workspace_id', '=', workspaceId).execute();
      const map = new Map<string, string[]>();
      for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), r.team_id]);
      return map;
    },
    // Teams
    insertTeam: (tx: Tx | Db, row: TeamRow) => tx.insertInto('teams').values(row).execute(),
    getTeam: (tx: Tx | Db, workspaceId: string, id: string) =>
      tx.selectFrom('teams').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    listTeams: (workspaceId: string) => db.selectFrom('teams').selectAll().where('workspace_id', '=', workspaceId).orderBy('name').execute(),
    updateTeam: (tx: Tx | Db, workspaceId: string, id: string, patch: Partial<TeamRow>) =>
      tx.updateTable('teams').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    deleteTeam: async (tx: Tx | Db, workspaceId: string, id: string) => {
      await tx.deleteFrom('team_members').where('workspace_id', '=', workspaceId).where('team_id', '=', id).execute();
      await tx.deleteFrom('teams').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    },
    addTeamMember: (tx: Tx | Db, workspaceId: string, teamId: string, userId: string) =>
      tx
        .insertInto('team_members')
        .values({ workspace_id: workspaceId, team_id: teamId, user_id: userId })
        .onConflict((oc) => oc.doNothing())
        .execute(),
    removeTeamMember: (tx: Tx | Db, workspaceId: string, teamId: string, userId: string) =>
      tx.deleteFrom('team_members').where('workspace_id', '=', workspaceId).where('team_id', '=', teamId).where('user_id', '=', userId).execute(),
    teamMemberIds: async (workspaceId: string): Promise<Map<string, string[]>> => {
      const rows = await db.selectFrom('team_members').select(['team_id', 'user_id']).where('workspace_id', '=', workspaceId).orderBy('user_id').execute();
      const map = new Map<string, string[]>();
      for (const r of rows) map.set(r.team_id, [...(map.get(r.team_id) ?? []), r.user_id]);
      return map;
    },
    // The desk's per-workspace conversation numbers (a counter on the workspace row).
    async nextConversationNumber(ex: Tx | Db, workspaceId: string): Promise<number> {
      const r = await ex
        .updateTable('workspaces')
        .set((eb) => ({ conversation_seq: eb('conversation_seq', '+', 1) }))
        .where('id', '=', workspaceId)
        .returning('conversation_seq')
        .executeTakeFirstOrThrow();
      return Number(r.conversation_seq);
    },
    /** Active, online members of a team who can take conversations, least recently assigned first. */
    teamAgentsOnline: (workspaceId: string, teamId: string) =>
      db
        .selectFrom('team_members as tm')
        .innerJoin('members as m', (j) => j.onRef('m.workspace_id', '=', 'tm.workspace_id').onRef('m.user_id', '=', 'tm.user_id'))
        .select(['m.user_id', 'm.capacity', 'm.last_assigned_at'])
        .where('tm.workspace_id', '=', workspaceId)
        .where('tm.team_id', '=', teamId)
        .where('m.status', '=', 'active')
        .where('m.availability', '=', 'online')
        .where('m.role', 'in', ['owner', 'admin', 'agent', 'partner'])
        .execute(),
    markAssigned: (ex: Tx | Db, workspaceId: string, userId: string, at: string) =>
      ex.updateTable('members').set({ last_assigned_at: at }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute(),
    identitySecret: async (workspaceId: string) =>
      (await db.selectFrom('workspaces').select('identity_secret').where('id', '=', workspaceId).executeTakeFirst())?.identity_secret ?? null,
    setIdentitySecret: (ex: Tx | Db, workspaceId: string, secret: string) =>
      ex.updateTable('workspaces').set({ identity_secret: secret }).where('id', '=', workspaceId).execute(),
    // Sessions
    insertSession: (row: { id_hash: string; user_id: string; workspace_id: string; created_at: string; expires_at: string }) =>
      db.insertInto('sessions').values(row).execute(),
    deleteSession: (hash: string) => db.deleteFrom('sessions').where('id_hash', '=', hash).execute(),
    setSessionWorkspace: (hash: string, workspaceId: string) =>
      db.updateTable('sessions').set({ workspace_id: workspaceId }).where('id_hash', '=', hash).execute(),
    // Tokens
    insertToken: (tx: Tx | Db, row: ApiTokenRow) => tx.insertInto('api_tokens').values(row).execute(),
    listTokens: (workspaceId: string, userId: string | null) => {
      let q = db.selectFrom('api_tokens').selectAll().where('workspace_id', '=', workspaceId);
      if (userId) q = q.where('user_id', '=', userId);
      return q.orderBy('created_at', 'desc').execute();
    },
    getToken: (workspaceId: string, id: string) =>
      db.selectFrom('api_tokens').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    revokeToken: (tx: Tx | Db, workspaceId: string, id: string, at: string) =>
      tx.updateTable('api_tokens').set({ revoked_at: at }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
  };
}
export type WorkspacesStore = ReturnType<typeof createWorkspacesStore>;
