// API tokens: everyone manages their own; owners and admins see and revoke all. Shown once,
// kept as SHA-256 hashes.
import { requirePermission, type AuthContext } from '../../platform/access.js';
import { notFound } from '../../platform/errors.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import { TOKEN_PREFIX } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/database.js';
import type { ApiTokenRow } from '../../platform/db/schema.js';
import type { WorkspacesDeps } from './workspaces.deps.js';
import { toToken } from './workspaces.mappers.js';

export function createTokensService(deps: Pick<WorkspacesDeps, 'store' | 'transactions' | 'clock' | 'audit'> & { authChanged: (workspaceId: string) => void }) {
  const { store, clock, audit, authChanged } = deps;
  const transactions = deps.transactions;

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

  const service = {
    issueToken,
    // API tokens: everyone manages their own; owners and admins see and revoke all.
    async listTokens(auth: AuthContext) {
      requirePermission(auth, 'tokens.own');
      const all = auth.role === 'owner' || auth.role === 'admin';
      return { data: (await store.listTokens(auth.workspaceId, all ? null : auth.userId)).map(toToken), nextCursor: null };
    },

    async createToken(auth: AuthContext, name: string) {
      requirePermission(auth, 'tokens.own');
      return transactions.run(async (tx) => {
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
      await transactions.run(async (tx) => {
        await store.revokeToken(tx, auth.workspaceId, id, at);
        await audit.record(tx, auth, { action: 'token.revoked', objectType: 'token', objectId: id });
      });
      authChanged(auth.workspaceId);
      return toToken({ ...t, revoked_at: at });
    },
  };
  return service;
}
export type TokensService = ReturnType<typeof createTokensService>;
