// SQL behind credential resolution: memberships, API tokens and sessions (read-mostly).
import type { Db } from './db/database.js';

export function createAuthStore(db: Db) {
  return {
    membership: (workspaceId: string, userId: string) =>
      db
        .selectFrom('members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['m.role', 'm.status', 'u.name'])
        .where('m.workspace_id', '=', workspaceId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst(),
    teamIds: async (workspaceId: string, userId: string) =>
      (await db.selectFrom('team_members').select('team_id').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute()).map(
        (t) => t.team_id,
      ),
    tokenByHash: (hash: string) =>
      db.selectFrom('api_tokens').select(['id', 'workspace_id', 'user_id', 'revoked_at', 'last_used_at']).where('token_hash', '=', hash).executeTakeFirst(),
    touchToken: (workspaceId: string, id: string, at: string) =>
      db.updateTable('api_tokens').set({ last_used_at: at }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    sessionByHash: (hash: string) => db.selectFrom('sessions').select(['user_id', 'workspace_id', 'expires_at']).where('id_hash', '=', hash).executeTakeFirst(),
  };
}
