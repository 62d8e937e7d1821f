// What the company's own automations do to conversations (the rules engine's actions), in the
// caller's transaction so that an action and the record that it happened commit together: open a
// proactive conversation with a first message, reply, add a note, and change status, priority,
// category, team, assignee or tags. They go through the same rows, events and interactions as an
// agent's change; the author is the bot (replies) or the system (notes).
import type { Category, Priority, Status } from '@rapport/contracts';
import type { Tx } from '../../platform/db/database.js';
import type { ConversationRow } from '../../platform/db/schema.js';
import { notFound } from '../../platform/errors.js';
import { parseJsonStringArray } from '../../platform/json.js';
import type { createConversationsCore } from './conversations.core.js';
import type { ConversationsDeps } from './conversations.deps.js';
import { newConversationRow, openedInteraction } from './conversation-rows.js';

export type SystemPatch = {
  status?: Exclude<Status, 'snoozed'>;
  priority?: Priority;
  category?: Category;
  teamId?: string | null;
  assigneeId?: string | null;
  addTags?: string[];
};

export function createSystemActions(deps: ConversationsDeps & { core: ReturnType<typeof createConversationsCore> }) {
  const { store, clock, workspaces, interactions, core } = deps;

  async function live(tx: Tx, workspaceId: string, id: string): Promise<ConversationRow> {
    const row = await store.get(tx, workspaceId, id);
    if (!row || row.merged_into_id) throw notFound('Conversation');
    return row;
  }

  return {
    /** A conversation the company opens (origin proactive) with a first message from the bot, delivered on its inbox. */
    async openProactive(
      tx: Tx,
      workspaceId: string,
      input: { customerId: string; channel: string; inboxId: string | null; subject: string; body: string; teamId: string | null; priority?: Priority; tags: string[] },
    ): Promise<ConversationRow> {
      const now = clock.nowIso();
      const tags = [...new Set(input.tags)];
      const conv = newConversationRow(
        {
          workspace_id: workspaceId,
          number: await workspaces.nextConversationNumber(tx, workspaceId),
          customer_id: input.customerId,
          channel: input.channel,
          subject: input.subject.slice(0, 500),
          category: 'inquiry',
          // Waiting on the customer: it is the company that wrote first.
          status: 'pending',
          priority: input.priority ?? 'normal',
          team_id: input.teamId,
          tags: JSON.stringify(tags),
          origin: 'proactive',
          inbox_id: input.inboxId,
        },
        now,
      );
      await store.insertCreated(tx, conv, tags, null);
      await core.recordChange(tx, null, conv);
      await interactions.append(tx, [openedInteraction(conv, 'company')]);
      const { row } = await core.insertMessage(tx, conv, { body: input.body, kind: 'reply', authorType: 'bot', authorId: null });
      return row;
    },
    async reply(tx: Tx, workspaceId: string, conversationId: string, body: string) {
      const row = await live(tx, workspaceId, conversationId);
      return (await core.insertMessage(tx, row, { body, kind: 'reply', authorType: 'bot', authorId: null })).msg;
    },
    async note(tx: Tx, workspaceId: string, conversationId: string, body: string) {
      const row = await live(tx, workspaceId, conversationId);
      return (await core.insertMessage(tx, row, { body, kind: 'note', authorType: 'system', authorId: null })).msg;
    },
    async apply(tx: Tx, workspaceId: string, conversationId: string, change: SystemPatch): Promise<ConversationRow> {
      const current = await live(tx, workspaceId, conversationId);
      const now = clock.nowIso();
      const patch: Partial<ConversationRow> = { updated_at: now };
      if (change.status && change.status !== current.status) Object.assign(patch, await core.applyStatus(tx, current, change.status, null, now));
      if (change.priority) patch.priority = change.priority;
      if (change.category) patch.category = change.category;
      // The team and the assignee are checked by the caller before its transaction (they are the workspace module's reads).
      if (change.teamId !== undefined) patch.team_id = change.teamId;
      if (change.assigneeId !== undefined) patch.assignee_id = change.assigneeId;
      if (change.addTags?.length) {
        const tags = [...new Set([...parseJsonStringArray(current.tags), ...change.addTags])];
        patch.tags = JSON.stringify(tags);
        await store.setTags(tx, workspaceId, conversationId, tags);
      }
      await store.update(tx, workspaceId, conversationId, patch);
      const next = { ...current, ...patch };
      await core.recordChange(tx, current, next);
      if (change.teamId && change.teamId !== current.team_id) await core.enqueueAutoAssign(tx, next, `team:${now}`);
      return next;
    },
    /** The conversation as rules read it (in the caller's transaction). */
    rowOf: (tx: Tx, workspaceId: string, id: string) => store.get(tx, workspaceId, id),
    /** Conversations of the customer still open (open, pending or snoozed). */
    openCountOf: (tx: Tx, workspaceId: string, customerId: string) => store.openCountOf(tx, workspaceId, customerId),
    /** The customer's latest conversation still open, if any (where "send a message" goes without one). */
    latestOpenOf: (tx: Tx, workspaceId: string, customerId: string) => store.latestOpenOf(tx, workspaceId, customerId),
  };
}
export type SystemActions = ReturnType<typeof createSystemActions>;
