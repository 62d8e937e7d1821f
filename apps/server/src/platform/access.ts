// The one tenancy and permission guard. Every route names the permission it needs; the
// request hook resolves the caller's workspace membership and checks it here, and services
// scope every store call by `auth.workspaceId`. Another workspace's ids are simply not found.
import { permissionsOf, type Permission, type Role } from '@rapport/contracts';
import { forbidden } from './errors.js';

export type AuthContext = {
  workspaceId: string;
  userId: string;
  userName: string;
  role: Role;
  teamIds: string[];
  method: 'session' | 'token';
  tokenId: string | null;
  ip: string | null;
};

export type { Permission };

/** The contract's role table (packages/contracts values.ts), as sets for the guard. */
const granted: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(permissionsOf.owner),
  admin: new Set(permissionsOf.admin),
  agent: new Set(permissionsOf.agent),
  analyst: new Set(permissionsOf.analyst),
  partner: new Set(permissionsOf.partner),
};

export function can(auth: AuthContext, permission: Permission): boolean {
  return granted[auth.role].has(permission);
}

export function requirePermission(auth: AuthContext, permission: Permission): void {
  if (!can(auth, permission)) throw forbidden(`The ${auth.role} role may not do this (${permission})`);
}

/** Which conversations the caller may see: all of the workspace, or only those of its teams. */
export type ConversationScope = { kind: 'all' } | { kind: 'teams'; teamIds: string[] };

export function conversationScope(auth: AuthContext): ConversationScope {
  return auth.role === 'partner' ? { kind: 'teams', teamIds: auth.teamIds } : { kind: 'all' };
}

export function isInScope(scope: ConversationScope, teamId: string | null): boolean {
  return scope.kind === 'all' || (teamId !== null && scope.teamIds.includes(teamId));
}

/** Only owners may grant or take away ownership. */
export function canAssignRole(actor: Role, from: Role | null, to: Role): boolean {
  if (actor === 'owner') return true;
  if (actor !== 'admin') return false;
  return to !== 'owner' && from !== 'owner';
}
