// Replies, internal notes and customer messages of a conversation.
import type { Message, Page } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { ConversationRow, MessageRow } from '../../platform/db/schema.js';
import { notFound, conflict, invalid } from '../../platform/errors.js';

import type { ConversationsCore } from './conversations.core.js';
import type { MessageInput } from './conversations.core.js';
import type { ConversationsDeps } from './conversations.deps.js';
import { toMessage } from './messages.mappers.js';

/** A collision lists at most this many of the replies its author has not seen. */
const MAX_NEWER = 20;

export function createMessagesService(deps: ConversationsDeps & { core: ConversationsCore }) {
  const { store, customers, workspaces, core } = deps;
  const transactions = deps.transactions;
  const { autocommit } = transactions;
  const { requireVisible, announce, insertMessage } = core;
  /** The 409 of a reply written against an older thread: what was said since, in the thread's words. */
  async function collision(auth: AuthContext, row: ConversationRow, rows: MessageRow[], count: number) {
    const names = await workspaces.memberNames(auth.workspaceId);
    const customer = await customers.getRow(autocommit, auth.workspaceId, row.customer_id);
    const nameOf = (r: MessageRow) =>
      r.author_type === 'agent' ? (names.get(r.author_id ?? '') ?? null) : r.author_type === 'customer' ? (customer?.name ?? customer?.email ?? null) : null;
    const newerMessages = rows.map((r) => toMessage(r, nameOf(r)));
    const who = [...new Set(newerMessages.map((m) => (m.author.type === 'customer' ? 'the customer' : (m.author.name ?? 'a colleague'))))].join(', ');
    return conflict(
      `${count} new ${count === 1 ? 'reply' : 'replies'} since you started typing (from ${who}): read ${count === 1 ? 'it' : 'them'}, then send again with the latest afterMessageId, or with force: true`,
      { newerMessages, newerCount: count },
    );
  }

  return {
    async addMessage(auth: AuthContext, id: string, input: MessageInput): Promise<Message> {
      requirePermission(auth, 'conversations.write');
      const row = await requireVisible(auth, id);
      if (row.merged_into_id) throw conflict(`This conversation was merged into ${row.merged_into_id}; write there`);
      const outcome = await transactions.run(async (tx) => {
        const current = input.afterMessageId ? await store.getForUpdate(tx, auth.workspaceId, id) : await store.get(tx, auth.workspaceId, id);
        if (!current) throw notFound('Conversation');
        if (input.afterMessageId) {
          const seen = await store.messageById(tx, auth.workspaceId, input.afterMessageId);
          if (!seen || seen.conversation_id !== id)
            throw invalid('afterMessageId names no message of this conversation', [
              { path: 'body.afterMessageId', message: 'not a message of this conversation' },
            ]);
          if (!input.force) {
            const newer = await store.repliesAfter(tx, auth.workspaceId, id, seen.id, MAX_NEWER);
            if (newer.count > 0) return { collision: newer };
          }
        }
        const authorType = input.kind === 'note' ? 'agent' : input.author;
        return insertMessage(tx, current, {
          body: input.body,
          kind: input.kind,
          authorType,
          authorId: authorType === 'agent' ? auth.userId : current.customer_id,
        });
      });
      if ('collision' in outcome) throw await collision(auth, row, outcome.collision.rows, outcome.collision.count);
      const { msg, row: after } = outcome;
      const message = toMessage(msg, msg.author_type === 'agent' ? auth.userName : null);
      announce('message.created', after, message, message.kind === 'note');
      if (after.status !== row.status) announce('conversation.updated', after, { id: after.id, status: after.status });
      return message;
    },
    async getMessage(auth: AuthContext, messageId: string): Promise<Message> {
      requirePermission(auth, 'conversations.read');
      const msg = await store.getMessage(auth.workspaceId, messageId);
      if (!msg) throw notFound('Message');
      await requireVisible(auth, msg.conversation_id).catch(() => {
        throw notFound('Message');
      });
      return toMessage(msg, null, await store.attachmentsOf(auth.workspaceId, [msg.id]));
    },
    async listMessages(auth: AuthContext, id: string, q: { limit: number; cursor?: string | undefined }): Promise<Page<Message>> {
      const row = await requireVisible(auth, id);
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listMessages(auth.workspaceId, row.id, { after: after ? String(after[0]) : null, limit: q.limit, includeNotes: true });
      const names = await workspaces.memberNames(auth.workspaceId);
      const customer = await customers.getRow(autocommit, auth.workspaceId, row.customer_id);
      const files = await store.attachmentsOf(
        auth.workspaceId,
        rows.map((r) => r.id),
      );
      const nameOf = (r: MessageRow) =>
        r.author_type === 'agent' ? (names.get(r.author_id ?? '') ?? null) : r.author_type === 'customer' ? (customer?.name ?? customer?.email ?? null) : null;
      return toPage(
        rows,
        q.limit,
        (r) => [r.id],
        (r) => toMessage(r, nameOf(r), files),
      );
    },
  };
}
