// Who is calling: a browser session cookie or a Bearer API token, resolved to the caller's
// membership in one workspace. Secrets are stored as SHA-256 hashes only.
import type { Role } from '@rapport/contracts';
import { ROLES } from '@rapport/contracts';
import type { AuthContext } from './access.js';
import { createAuthStore } from './auth.store.js';
import type { Clock } from './clock.js';
import type { Db } from './db/database.js';
import { unauthenticated } from './errors.js';
import { sha256 } from './ids.js';

export const SESSION_COOKIE = 'rapport_session';
export const TOKEN_PREFIX = 'rpt_';

function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}

export type AuthResolver = {
  fromToken(token: string, ip: string | null): Promise<AuthContext>;
  fromSession(sessionId: string, ip: string | null): Promise<AuthContext>;
  /** Forget every cached credential (after a revocation, role or team change, sign-out). */
  invalidate(): void;
};

/** The bus event that tells every resolver in this process to forget cached credentials. */
export const AUTH_CHANGED = 'auth.changed';

/**
 * Resolving a credential costs three queries; under load that was most of a cheap request. A
 * resolved credential is kept for `cacheMs` (2 s by default). This process forgets it at once on
 * AUTH_CHANGED; other processes sharing one PostgreSQL see a revocation within `cacheMs`.
 */
export function createAuthResolver(deps: { db: Db; clock: Clock; cacheMs?: number }): AuthResolver {
  const { clock } = deps;
  const store = createAuthStore(deps.db);
  const cacheMs = deps.cacheMs ?? 2000;
  const cache = new Map<string, { auth: Omit<AuthContext, 'ip'>; until: number }>();
  // Bumped by invalidate(): a load that began before a change must not cache what it read.
  let generation = 0;
  async function cached(key: string, ip: string | null, load: () => Promise<AuthContext>): Promise<AuthContext> {
    const now = clock.nowMs();
    const hit = cache.get(key);
    if (hit && hit.until > now) return { ...hit.auth, teamIds: [...hit.auth.teamIds], ip };
    const startedIn = generation;
    const auth = await load();
    if (cacheMs > 0 && startedIn === generation) {
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { auth, until: now + cacheMs });
    }
    return auth;
  }
  const refused = (detail: string) => unauthenticated(detail, 'Bearer');

  async function membership(workspaceId: string, userId: string, method: 'session' | 'token', tokenId: string | null, ip: string | null) {
    const m = await store.membership(workspaceId, userId);
    if (!m || m.status !== 'active' || !isRole(m.role)) throw refused('This membership is not active');
    const auth: AuthContext = {
      workspaceId,
      userId,
      userName: m.name,
      role: m.role,
      teamIds: await store.teamIds(workspaceId, userId),
      method,
      tokenId,
      ip,
    };
    return auth;
  }

  return {
    invalidate() {
      generation += 1;
      cache.clear();
    },
    fromToken: (token, ip) => cached(`t:${sha256(token)}`, ip, () => loadToken(token, ip)),
    fromSession: (sessionId, ip) => cached(`s:${sha256(sessionId)}`, ip, () => loadSession(sessionId, ip)),
  };

  async function loadToken(token: string, ip: string | null): Promise<AuthContext> {
    const row = await store.tokenByHash(sha256(token));
    if (!row || row.revoked_at) throw refused('The API token is unknown or revoked');
    const now = clock.nowMs();
    // Record use at most once a minute, so reads do not turn into writes.
    if (!row.last_used_at || now - Date.parse(row.last_used_at) > 60_000) await store.touchToken(row.workspace_id, row.id, new Date(now).toISOString());
    return membership(row.workspace_id, row.user_id, 'token', row.id, ip);
  }

  async function loadSession(sessionId: string, ip: string | null): Promise<AuthContext> {
    const row = await store.sessionByHash(sha256(sessionId));
    if (!row || row.expires_at <= clock.nowIso()) throw refused('The session has expired; sign in again');
    return membership(row.workspace_id, row.user_id, 'session', null, ip);
  }
}
