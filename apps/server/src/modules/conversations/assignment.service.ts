// Assignment: claiming (two agents at once: one wins) and round-robin within a team, run after
// commit by the auto-assign job; snoozed conversations wake up by job too.
import type { Conversation } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import { conflict } from '../../platform/errors.js';
import type { ConversationsCore } from './conversations.core.js';
import { AUTO_ASSIGN_JOB, UNSNOOZE_JOB } from './conversations.core.js';
import type { ConversationsDeps } from './conversations.deps.js';

export function createAssignmentService(deps: ConversationsDeps & { core: ConversationsCore }) {
  const { store, clock, jobs, audit, core } = deps;
  const transactions = deps.transactions;
  const { autocommit } = transactions;
  const { toConversation, requireVisible, announce } = core;

  async function assignNext(workspaceId: string, conversationId: string): Promise<string | null> {
    const row = await store.get(autocommit, workspaceId, conversationId);
    if (!row || row.assignee_id || !row.team_id || row.merged_into_id || !['open', 'pending'].includes(row.status)) return null;
    for (const agent of await store.eligibleAgents(workspaceId, row.team_id)) {
      const now = clock.nowIso();
      const won = await transactions.run(async (tx) => {
        if (!(await store.claim(tx, workspaceId, row.id, agent.user_id, now))) return false;
        await store.markAssigned(tx, workspaceId, agent.user_id, now);
        await audit.record(
          tx,
          { workspaceId, userId: null, ip: null },
          {
            action: 'conversation.assigned',
            objectType: 'conversation',
            objectId: row.id,
            data: { assigneeId: agent.user_id, by: 'round_robin', teamId: row.team_id },
          },
        );
        return true;
      });
      if (won) {
        announce('conversation.assigned', row, { id: row.id, assigneeId: agent.user_id, teamId: row.team_id });
        return agent.user_id;
      }
      return null; // someone else took it in the meantime
    }
    return null;
  }

  jobs.register(AUTO_ASSIGN_JOB, async (job) => {
    const { conversationId } = job.payload as { conversationId: string };
    await assignNext(job.workspaceId, conversationId);
  });
  jobs.register(UNSNOOZE_JOB, async (job) => {
    const { conversationId, until } = job.payload as { conversationId: string; until: string };
    const row = await store.get(autocommit, job.workspaceId, conversationId);
    if (!row || row.status !== 'snoozed' || row.snoozed_until !== until) return;
    const now = clock.nowIso();
    await store.update(autocommit, job.workspaceId, row.id, { status: 'open', snoozed_until: null, updated_at: now, last_activity_at: now });
    announce('conversation.updated', row, { id: row.id, status: 'open' });
  });

  return {
    /** Take an unassigned conversation; of two agents claiming at once exactly one wins. */
    async claim(auth: AuthContext, id: string): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      const row = await requireVisible(auth, id);
      if (row.assignee_id === auth.userId) return toConversation(row);
      const now = clock.nowIso();
      const won = await transactions.run(async (tx) => {
        if (!(await store.claim(tx, auth.workspaceId, id, auth.userId, now))) return false;
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
