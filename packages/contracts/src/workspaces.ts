// Workspaces, users, members, teams, API tokens and the audit log.
import { z } from 'zod';
import { ROLES, AVAILABILITY, MEMBER_STATUSES } from './values.js';
import { ZIsoTime } from './common.js';

export const ZRole = z.enum(ROLES);
export type Role = z.infer<typeof ZRole>;

export const ZAvailability = z.enum(AVAILABILITY);
export type Availability = z.infer<typeof ZAvailability>;

export const ZWorkspace = z.object({ id: z.string(), name: z.string(), createdAt: ZIsoTime }).meta({ id: 'Workspace' });
export type Workspace = z.infer<typeof ZWorkspace>;

export const ZUser = z.object({ id: z.string(), email: z.string(), name: z.string() }).meta({ id: 'User' });
export type User = z.infer<typeof ZUser>;

const password = z.string().min(8).max(256);
const email = z
  .email()
  .max(254)
  .transform((s) => s.toLowerCase());

export const ZSetup = z.strictObject({
  workspaceName: z.string().trim().min(1).max(120),
  name: z.string().trim().min(1).max(120),
  email,
  password,
});
export const ZSetupResult = z.object({ workspace: ZWorkspace, user: ZUser, token: z.string() });

export const ZSetupStatus = z.object({ needsSetup: z.boolean() });

export const ZLogin = z.strictObject({ email, password: z.string().min(1).max(256), workspaceId: z.string().optional() });
export const ZSwitchWorkspace = z.strictObject({ workspaceId: z.string() });

export const ZMembership = z.object({ workspace: ZWorkspace, role: ZRole });

/** An invitation waiting for the signed-in person (accepted while signed in as themselves). */
export const ZPendingInvitation = z
  .object({ workspace: ZWorkspace, role: ZRole, invitedAt: ZIsoTime, expiresAt: ZIsoTime.nullable() })
  .meta({ id: 'PendingInvitation' });
export type PendingInvitation = z.infer<typeof ZPendingInvitation>;

export const ZMe = z
  .object({
    user: ZUser,
    workspace: ZWorkspace,
    role: ZRole,
    teamIds: z.array(z.string()),
    availability: ZAvailability,
    workspaces: z.array(ZMembership),
    invitations: z.array(ZPendingInvitation),
    authMethod: z.enum(['session', 'token']),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof ZMe>;

export const ZUpdateMe = z.strictObject({
  name: z.string().trim().min(1).max(120).optional(),
  availability: ZAvailability.optional(),
});

export const ZCreateWorkspace = z.strictObject({ name: z.string().trim().min(1).max(120) });
export const ZCreateWorkspaceResult = z.object({ workspace: ZWorkspace, token: z.string() });

export const ZMember = z
  .object({
    id: z.string(),
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    role: ZRole,
    status: z.enum(MEMBER_STATUSES),
    availability: ZAvailability,
    capacity: z.number().int().nullable(),
    teamIds: z.array(z.string()),
    createdAt: ZIsoTime,
  })
  .meta({ id: 'Member' });
export type Member = z.infer<typeof ZMember>;

export const ZInviteMember = z.strictObject({
  email,
  name: z.string().trim().min(1).max(120).optional(),
  role: ZRole.exclude(['owner']).default('agent'),
  teamIds: z.array(z.string()).max(50).optional(),
  capacity: z.number().int().min(0).max(1000).nullable().optional(),
});
/**
 * The invitation link is mailed to the invited address and never returned to the inviter: only
 * whoever reads that mailbox can accept it.
 */
export const ZInviteResult = ZMember.extend({
  invitation: z.object({ sentTo: z.string(), expiresAt: ZIsoTime }),
});
export type InviteResult = z.infer<typeof ZInviteResult>;

const inviteToken = z.string().min(10).max(200);
export const ZInviteToken = z.strictObject({ token: inviteToken });
/** What the invitation page shows before accepting. */
export const ZInvitationPreview = z
  .object({
    workspace: z.object({ id: z.string(), name: z.string() }),
    email: z.string(),
    role: ZRole,
    hasAccount: z.boolean().meta({ description: 'true: sign in as this person and accept from the account; false: choose a password here' }),
    expiresAt: ZIsoTime.nullable(),
  })
  .meta({ id: 'InvitationPreview' });
export type InvitationPreview = z.infer<typeof ZInvitationPreview>;

/** Creates the invited person's account (only for an address without one) and signs them in. */
export const ZAcceptInvite = z.strictObject({
  token: inviteToken,
  name: z.string().trim().min(1).max(120).optional(),
  password,
});

export const ZUpdateMember = z.strictObject({
  role: ZRole.optional(),
  status: z.enum(['active', 'deactivated']).optional(),
  availability: ZAvailability.optional(),
  capacity: z.number().int().min(0).max(1000).nullable().optional(),
});

export const ZTeam = z
  .object({
    id: z.string(),
    name: z.string(),
    autoAssign: z.boolean(),
    memberIds: z.array(z.string()).meta({ description: 'user ids' }),
    createdAt: ZIsoTime,
  })
  .meta({ id: 'Team' });
export type Team = z.infer<typeof ZTeam>;
export const ZCreateTeam = z.strictObject({
  name: z.string().trim().min(1).max(120),
  autoAssign: z.boolean().default(true),
  memberIds: z.array(z.string()).max(500).default([]),
});
export const ZUpdateTeam = z.strictObject({
  name: z.string().trim().min(1).max(120).optional(),
  autoAssign: z.boolean().optional(),
});
export const ZTeamMember = z.strictObject({ userId: z.string() });

export const ZApiToken = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    userId: z.string(),
    createdAt: ZIsoTime,
    lastUsedAt: ZIsoTime.nullable(),
    revokedAt: ZIsoTime.nullable(),
  })
  .meta({ id: 'ApiToken' });
export type ApiToken = z.infer<typeof ZApiToken>;
export const ZCreateToken = z.strictObject({ name: z.string().trim().min(1).max(120) });
export const ZCreateTokenResult = ZApiToken.extend({ token: z.string().meta({ description: 'shown once' }) });
export type CreateTokenResult = z.infer<typeof ZCreateTokenResult>;

export const ZAuditEntry = z
  .object({
    id: z.string(),
    actor: z.object({ type: z.enum(['user', 'system']), id: z.string().nullable(), name: z.string().nullable() }),
    action: z.string(),
    objectType: z.string(),
    objectId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    createdAt: ZIsoTime,
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof ZAuditEntry>;
export const ZAuditQuery = z.object({
  action: z.string().max(100).optional(),
  objectId: z.string().max(64).optional(),
});

export { ROLES, AVAILABILITY, MEMBER_STATUSES };
