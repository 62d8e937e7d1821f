// Setup, sign-in and sign-out, the session's workspace, the caller's own profile, and new workspaces.
import type { Me, Role } from '@rapport/contracts';
import { type AuthContext } from '../../platform/access.js';
import { notFound, conflict, unauthenticated, rateLimited } from '../../platform/errors.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import { dummyHash, hashPassword, verifyPassword } from '../../platform/passwords.js';
import type { Tx } from '../../platform/db/database.js';
import type { WorkspaceRow } from '../../platform/db/schema.js';
import { clientKey } from '../../platform/rate-limit.js';
import type { WorkspacesDeps } from './workspaces.deps.js';
import { toWorkspace } from './workspaces.mappers.js';
import type { InvitationsService } from './invitations.service.js';
import type { MembersService } from './members.service.js';
import type { Sessions } from './sessions.js';
import type { TokensService } from './tokens.service.js';

export function createAuthService(
  deps: Pick<WorkspacesDeps, 'store' | 'transactions' | 'clock' | 'audit' | 'bus' | 'loginLimiter' | 'passwordCost' | 'provision'> & {
    authChanged: (workspaceId: string) => void;
    members: MembersService;
    tokens: TokensService;
    invitations: InvitationsService;
    sessions: Sessions;
  },
) {
  const { store, clock, audit, bus, authChanged, members, tokens, invitations, sessions } = deps;
  const { addMember } = members;
  const { issueToken } = tokens;
  const { createSession } = sessions;
  const transactions = deps.transactions;
  const { autocommit } = transactions;

  async function newWorkspace(tx: Tx, name: string): Promise<WorkspaceRow> {
    const row: WorkspaceRow = { id: newId('workspace'), name, conversation_seq: 0, created_at: clock.nowIso(), identity_secret: randomSecret(32) };
    await store.insertWorkspace(tx, row);
    await deps.provision?.(tx, { id: row.id, name });
    return row;
  }

  const service = {
    /** The workspace's identity-verification secret (write keys and the widget sign user ids with it). */
    identitySecret: (workspaceId: string) => store.identitySecret(workspaceId),
    setIdentitySecret: (ex: Tx, workspaceId: string, secret: string) => store.setIdentitySecret(ex, workspaceId, secret),
    async needsSetup() {
      return (await store.countUsers()) === 0;
    },

    async setup(input: { workspaceName: string; name: string; email: string; password: string }, ip: string | null) {
      if ((await store.countUsers()) > 0) throw conflict('This instance is already set up; sign in instead');
      const result = await service.createOwner(input, ip, true);
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

    async login(input: { email: string; password: string; workspaceId?: string | undefined }, ip: string | null) {
      const keys = [`email:${input.email}`, `ip:${clientKey(ip)}`];
      const wait = Math.max(...keys.map((k) => deps.loginLimiter.retryAfter(k)));
      if (wait > 0) throw rateLimited(`Too many failed sign-ins; try again in ${wait} s`, wait);
      // Counted before the slow hash, in the same tick as the check: parallel guesses cannot all
      // pass the check while the first ones are still hashing. A right password takes it back.
      for (const k of keys) deps.loginLimiter.fail(k);
      const user = await store.getUserByEmail(autocommit, input.email);
      const ok = user?.password_hash
        ? await verifyPassword(input.password, user.password_hash)
        : (await verifyPassword(input.password, await dummyHash(deps.passwordCost)), false);
      if (!user || !ok) throw unauthenticated('The email or password is wrong');
      deps.loginLimiter.reset(`email:${input.email}`);
      deps.loginLimiter.forgive(`ip:${clientKey(ip)}`);
      const memberships = await store.listMemberships(user.id);
      const chosen = input.workspaceId ? memberships.find((m) => m.id === input.workspaceId) : memberships[0];
      if (!chosen) throw unauthenticated('You are not an active member of that workspace');
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
      const [user, ws, member, memberships, pending] = await Promise.all([
        store.getUser(auth.userId),
        store.getWorkspace(auth.workspaceId),
        store.getMember(autocommit, auth.workspaceId, auth.userId),
        store.listMemberships(auth.userId),
        invitations.listInvitations(auth.userId),
      ]);
      if (!user || !ws || !member) throw notFound('User');
      return {
        user: { id: user.id, email: user.email, name: user.name },
        workspace: toWorkspace(ws),
        role: auth.role,
        teamIds: auth.teamIds,
        availability: member.availability as Me['availability'],
        workspaces: memberships.map((m) => ({ workspace: toWorkspace(m), role: m.role as Role })),
        invitations: pending,
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
      return service.me(auth);
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
  };
  return service;
}
export type AuthService = ReturnType<typeof createAuthService>;
