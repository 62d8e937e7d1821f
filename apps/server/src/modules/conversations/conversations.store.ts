// SQL for conversations, messages, tags, search, custom fields and canned responses.
import { sql } from 'kysely';
import type { ConversationScope } from '../../platform/access.js';
import { reassignCustomerColumn, type Statement } from '../../platform/db/statements.js';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { CannedResponseRow, ConversationRow, CustomFieldRow, MessageRow } from '../../platform/db/schema.js';

export type ConversationFilter = {
  statuses?: string[];
  assigneeId?: string | null;
  teamId?: string;
  tag?: string;
  channel?: string;
  category?: string;
  priority?: string;
  customerId?: string;
  updatedSince?: string;
  q?: string;
};

/** FTS5 query: every word must match, the last one as a prefix ("parc" finds "parcel"). */
export function toFtsQuery(q: string): string | null {
  const words = q
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}_]+/gu, ''))
    .filter(Boolean)
    .slice(0, 12);
  if (words.length === 0) return null;
  return words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

/** PostgreSQL tsquery with the same meaning as toFtsQuery. */
export function toTsQuery(q: string): string | null {
  const words = q
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}_]+/gu, '').toLowerCase())
    .filter(Boolean)
    .slice(0, 12);
  if (words.length === 0) return null;
  return words.map((w, i) => `${w}${i === words.length - 1 ? ':*' : ''}`).join(' & ');
}

export function createConversationsStore(db: Db, engine: Engine) {
  const searchIds = (workspaceId: string, q: string) => {
    if (engine === 'sqlite') {
      const fts = toFtsQuery(q);
      if (!fts) return null;
      return sql<string>`(SELECT conversation_id FROM message_search WHERE message_search MATCH ${fts} AND workspace_id = ${workspaceId})`;
    }
    const ts = toTsQuery(q);
    if (!ts) return null;
    return sql<string>`(SELECT conversation_id FROM message_search WHERE workspace_id = ${workspaceId} AND tsv @@ to_tsquery('simple', ${ts}))`;
  };

  return {
    insert: (tx: Tx, row: ConversationRow) => tx.insertInto('conversations').values(row).execute(),
    // GDPR (through the customer privacy workflow)
    /** The conversations' part of a customer merge. */
    reassignCustomers: (workspaceId: string, pairs: Array<{ from: string; to: string }>): Statement => reassignCustomerColumn('conversations', workspaceId, pairs),
    openOf: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('conversations')
        .select(['id', 'number', 'subject', 'status', 'channel', 'last_activity_at'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('merged_into_id', 'is', null)
        .where('status', 'not in', ['resolved', 'closed'])
        .orderBy('last_activity_at', 'desc')
        .limit(50)
        .execute(),
    listByCustomers: (ex: Tx | Db, workspaceId: string, customerIds: string[]) =>
      ex
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', 'in', customerIds)
        .orderBy('created_at')
        .execute(),
    messagesOf: (workspaceId: string, conversationIds: string[]) =>
      conversationIds.length === 0
        ? Promise.resolve([])
        : db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).orderBy('id').execute(),
    async eraseConversations(tx: Tx, workspaceId: string, conversationIds: string[]) {
      if (conversationIds.length === 0) return { messages: 0, conversations: 0 };
      const deleted = (r: { numDeletedRows: bigint } | undefined) => Number(r?.numDeletedRows ?? 0);
      const messages = deleted(
        await tx.deleteFrom('messages').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).executeTakeFirst(),
      );
      await tx.deleteFrom('message_search').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute();
      await tx.deleteFrom('conversation_tags').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute();
      const conversations = deleted(
        await tx.deleteFrom('conversations').where('workspace_id', '=', workspaceId).where('id', 'in', conversationIds).executeTakeFirst(),
      );
      return { messages, conversations };
    },
    async customerHasConversationInTeams(tx: Tx | Db, workspaceId: string, customerId: string, teamIds: string[]): Promise<boolean> {
      if (teamIds.length === 0) return false;
      const r = await tx
        .selectFrom('conversations')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('team_id', 'in', teamIds)
        .limit(1)
        .executeTakeFirst();
      return r !== undefined;
    },
    get: (tx: Tx | Db, workspaceId: string, id: string) =>
      tx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    update: (tx: Tx | Db, workspaceId: string, id: string, patch: Partial<ConversationRow>) =>
      tx.updateTable('conversations').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** Sets the assignee only if nobody holds the conversation: the loser of a race changes nothing. */
    async claim(tx: Tx | Db, workspaceId: string, id: string, userId: string, now: string): Promise<boolean> {
      const r = await tx
        .updateTable('conversations')
        .set({ assignee_id: userId, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('assignee_id', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async setTags(tx: Tx, workspaceId: string, conversationId: string, tags: string[], isNew = false) {
      if (!isNew) await tx.deleteFrom('conversation_tags').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).execute();
      if (tags.length > 0) {
        await tx
          .insertInto('conversation_tags')
          .values(tags.map((tag) => ({ workspace_id: workspaceId, conversation_id: conversationId, tag })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },
    async insertMessage(tx: Tx, row: MessageRow) {
      await tx.insertInto('messages').values(row).execute();
      await tx
        .insertInto('message_search')
        .values({ body: row.body, workspace_id: row.workspace_id, conversation_id: row.conversation_id, ref_id: row.id })
        .execute();
    },
    /** `replace` drops the old subject row first; FTS5 cannot index ref_id, so that is a scan: only on subject edits. */
    async indexSubject(tx: Tx, workspaceId: string, conversationId: string, subject: string | null, replace: boolean) {
      if (replace) await tx.deleteFrom('message_search').where('workspace_id', '=', workspaceId).where('ref_id', '=', conversationId).execute();
      if (subject)
        await tx
          .insertInto('message_search')
          .values({ body: subject, workspace_id: workspaceId, conversation_id: conversationId, ref_id: conversationId })
          .execute();
    },
    async moveMessages(tx: Tx, workspaceId: string, from: string, to: string) {
      await tx.updateTable('messages').set({ conversation_id: to }).where('workspace_id', '=', workspaceId).where('conversation_id', '=', from).execute();
      await tx.updateTable('message_search').set({ conversation_id: to }).where('workspace_id', '=', workspaceId).where('conversation_id', '=', from).execute();
    },
    getMessage: (workspaceId: string, id: string) =>
      db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    listMessages: (workspaceId: string, conversationId: string, opts: { after: string | null; limit: number; includeNotes: boolean }) => {
      let q = db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
      if (!opts.includeNotes) q = q.where('kind', '=', 'reply');
      if (opts.after) q = q.where('id', '>', opts.after);
      return q
        .orderBy('id')
        .limit(opts.limit + 1)
        .execute();
    },
    list(workspaceId: string, scope: ConversationScope, f: ConversationFilter, opts: { after: [string, string] | null; limit: number }) {
      let q = db.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('merged_into_id', 'is', null);
      if (scope.kind === 'teams') {
        if (scope.teamIds.length === 0) return Promise.resolve([]);
        q = q.where('team_id', 'in', scope.teamIds);
      }
      if (f.statuses && f.statuses.length > 0) q = q.where('status', 'in', f.statuses);
      if (f.assigneeId === null) q = q.where('assignee_id', 'is', null);
      else if (f.assigneeId) q = q.where('assignee_id', '=', f.assigneeId);
      if (f.teamId) q = q.where('team_id', '=', f.teamId);
      if (f.channel) q = q.where('channel', '=', f.channel);
      if (f.category) q = q.where('category', '=', f.category);
      if (f.priority) q = q.where('priority', '=', f.priority);
      if (f.customerId) q = q.where('customer_id', '=', f.customerId);
      if (f.updatedSince) q = q.where('updated_at', '>=', f.updatedSince);
      if (f.tag) {
        const tag = f.tag;
        q = q.where('id', 'in', (eb) =>
          eb.selectFrom('conversation_tags').select('conversation_id').where('workspace_id', '=', workspaceId).where('tag', '=', tag),
        );
      }
      if (f.q) {
        const ids = searchIds(workspaceId, f.q);
        if (!ids) return Promise.resolve([]);
        q = q.where('id', 'in', ids);
      }
      if (opts.after) {
        const [at, id] = opts.after;
        q = q.where((eb) => eb.or([eb('last_activity_at', '<', at), eb.and([eb('last_activity_at', '=', at), eb('id', '<', id)])]));
      }
      return q
        .orderBy('last_activity_at', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit + 1)
        .execute();
    },
    /** Active, online members of a team with room under their capacity, least recently assigned first. */
    /** Open and pending conversations per assignee (round-robin's capacity check). */
    async openCountByAssignee(workspaceId: string, userIds: string[]): Promise<Map<string, number>> {
      if (userIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('conversations')
        .select(['assignee_id', (e) => e.fn.countAll().as('n')])
        .where('workspace_id', '=', workspaceId)
        .where('assignee_id', 'in', userIds)
        .where('status', 'in', ['open', 'pending'])
        .groupBy('assignee_id')
        .execute();
      return new Map(rows.map((r) => [r.assignee_id ?? '', Number(r.n)]));
    },
    // Custom fields
    listCustomFields: (workspaceId: string) => db.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId).orderBy('key').execute(),
    insertCustomField: (row: CustomFieldRow) => db.insertInto('custom_fields').values(row).execute(),
    getCustomField: (workspaceId: string, id: string) =>
      db.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    deleteCustomField: (workspaceId: string, id: string) =>
      db.deleteFrom('custom_fields').where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    // Canned responses
    listCanned: (workspaceId: string) => db.selectFrom('canned_responses').selectAll().where('workspace_id', '=', workspaceId).orderBy('shortcut').execute(),
    insertCanned: (row: CannedResponseRow) => db.insertInto('canned_responses').values(row).execute(),
    getCanned: (workspaceId: string, id: string) =>
      db.selectFrom('canned_responses').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    getCannedByShortcut: (workspaceId: string, shortcut: string) =>
      db.selectFrom('canned_responses').selectAll().where('workspace_id', '=', workspaceId).where('shortcut', '=', shortcut).executeTakeFirst(),
    updateCanned: (workspaceId: string, id: string, patch: Partial<CannedResponseRow>) =>
      db.updateTable('canned_responses').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    deleteCanned: (workspaceId: string, id: string) => db.deleteFrom('canned_responses').where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
  };
}
export type ConversationsStore = ReturnType<typeof createConversationsStore>;
