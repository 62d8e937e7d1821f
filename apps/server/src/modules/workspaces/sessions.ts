// Browser sessions: a random id in an HttpOnly cookie, stored as its SHA-256 hash.
import { randomSecret, sha256 } from '../../platform/ids.js';
import type { WorkspacesDeps } from './workspaces.deps.js';

export function createSessions(deps: Pick<WorkspacesDeps, 'store' | 'clock' | 'sessionDays'>) {
  const { store, clock } = deps;
  async function createSession(userId: string, workspaceId: string) {
    const sessionId = randomSecret(32);
    const now = clock.nowMs();
    await store.insertSession({
      id_hash: sha256(sessionId),
      user_id: userId,
      workspace_id: workspaceId,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + deps.sessionDays * 86_400_000).toISOString(),
    });
    return { sessionId, maxAgeSeconds: deps.sessionDays * 86_400 };
  }

  return { createSession };
}
export type Sessions = ReturnType<typeof createSessions>;
