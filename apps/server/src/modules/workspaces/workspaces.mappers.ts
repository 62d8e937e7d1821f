// Rows of the workspace modules as the API shows them.
import type { ApiToken, Member, Role, Team, Workspace } from '@rapport/contracts';
import type { ApiTokenRow, TeamRow, WorkspaceRow } from '../../platform/db/schema.js';
import type { MemberWithUser } from './workspaces.store.js';

export const toWorkspace = (w: Pick<WorkspaceRow, 'id' | 'name' | 'created_at'>): Workspace => ({ id: w.id, name: w.name, createdAt: w.created_at });

export function toMember(m: MemberWithUser, teamIds: string[]): Member {
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

export const toToken = (t: ApiTokenRow): ApiToken => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  userId: t.user_id,
  createdAt: t.created_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

export const toTeam = (t: TeamRow, memberIds: string[]): Team => ({
  id: t.id,
  name: t.name,
  autoAssign: t.auto_assign === 1,
  memberIds,
  createdAt: t.created_at,
});
