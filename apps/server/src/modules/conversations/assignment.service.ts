// Assignment: claiming (two agents at once: one wins) and round-robin within a team, run after
// commit by the auto-assign job; snoozed conversations wake up by job too.
import type { Conversation } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import { conflict } from '../../platform/errors.js';
import type { ConversationsCore } from './conversations.core.js';

import type { ConversationsDeps } from './conversations.deps.js';

export function createAssignmentService(deps: ConversationsDeps & { core: ConversationsCore }) {
  const { store, clock, audit, core } = deps;
  const transactions = deps.transactions;

  const { toConversation, requireVisible, announce, assignNext } = core;

  return {
    /** Take an unassigned conversation; of two agents claiming at once exactly one wins. */
    async claim(auth: AuthContext, id: string): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      const row = await requireVisible(auth, id);
      if (row.assignee_id === auth.userId) return toConversation(row);
      const now = clock.nowIso();
      const won = await transactions.run(async (tx) => {
        if (!(await store.claim(tx, auth.workspaceId, id, auth.userId, now))) return false;
        await core.recordChange(tx, row, { ...row, assignee_id: auth.userId, updated_at: now }, 'claim');
        await audit.record(tx, auth, {
          action: 'conversation.assigned',
          objectType: 'conversation',
          objectId: id,
          data: { assigneeId: auth.userId, by: 'claim' },
        });
        return true;
      });
      if (!won) throw conflict('Someone else already took this conversation');
      const result = await toConversation({ ...row, assignee_id: auth.userId, updated_at: now });
      announce('conversation.assigned', row, result);
      return result;
    },
    /** Runs round-robin now (the job does this after commit); returns the chosen agent. */
    assignNext,
  };
}
