// The workspace services, built in dependency order: tokens, members, teams, sessions,
// invitations, then sign-in; callers see them as one service.
import { AUTH_CHANGED } from '../../platform/auth.js';
import { createAuthService } from './auth.service.js';
import { createInvitationsService } from './invitations.service.js';
import { createMembersService } from './members.service.js';
import { createSessions } from './sessions.js';
import { createTeamsService } from './teams.service.js';
import { createTokensService } from './tokens.service.js';
import type { WorkspacesDeps } from './workspaces.deps.js';

export type { WorkspacesDeps } from './workspaces.deps.js';
export { INVITATION_MAIL_JOB } from './invitations.service.js';

export function createWorkspacesService(deps: WorkspacesDeps) {
  /** Cached credentials must not outlive a revocation, role, status or team change. */
  const authChanged = (workspaceId: string) => deps.bus.publish({ workspaceId, type: AUTH_CHANGED, internal: true, data: null });
  const tokens = createTokensService({ ...deps, authChanged });
  const members = createMembersService({ ...deps, authChanged });
  const teams = createTeamsService({ ...deps, authChanged, requireMember: members.requireMember });
  const sessions = createSessions(deps);
  const invitations = createInvitationsService({ ...deps, authChanged, members, teams, sessions });
  const auth = createAuthService({ ...deps, authChanged, members, tokens, invitations, sessions });
  const { addMember: _addMember, requireMember: _requireMember, ...memberApi } = members;
  const { issueToken: _issueToken, ...tokenApi } = tokens;
  return { ...auth, ...memberApi, ...teams, ...tokenApi, ...invitations };
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>;
