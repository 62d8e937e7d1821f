// SQL for conversations, messages, tags, search, custom fields and canned responses.
import { sql, type RawBuilder } from 'kysely';
import type { ConversationScope } from '../../platform/access.js';
import { reassignCustomerColumn, runStatements, statement, type Statement } from '../../platform/db/statements.js';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { CannedResponseRow, ConversationRow, CustomFieldRow, MessageAttachmentRow, MessageRow } from '../../platform/db/schema.js';

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
  /** With q: conversations of these customers (their name, email or phone matched) match too. */
  alsoCustomerIds?: string[];
  /** With q: the conversation of this number matches too ("#30", "F-30"). */
  alsoNumber?: number;
  /** A subquery of customer ids, written by the customers module (e.g. customers by feeling). */
  customerIn?: RawBuilder<unknown>;
  /** Order by this per-row value, ascending, instead of latest activity (e.g. the customer's feeling). */
  sortBy?: RawBuilder<number>;
};

const searchWords = (q: string) =>
  q
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}_]+/gu, ''))
    .filter(Boolean)
    .slice(0, 12);

/**
 * FTS5 query: every word must match the body, the last one as a prefix ("parc" finds "parcel").
 * Words keep letters, digits and `_` only and are quoted, so the query is never FTS5 syntax.
 * `expansion`, the indexed words the last one starts with, replaces the prefix when given.
 */
export function toFtsQuery(q: string, expansion?: string[]): string | null {
  const words = searchWords(q);
  if (words.length === 0) return null;
  const last = expansion && expansion.length > 0 ? `(${expansion.map((w) => `"${w}"`).join(' OR ')})` : `"${words[words.length - 1]}"*`;
  return `body : (${[...words.slice(0, -1).map((w) => `"${w}"`), last].join(' AND ')})`;
}

/** The indexed words the query's last word may stand for are looked up only for plain ASCII words (their folding is lowercase). */
const expandablePrefix = (q: string) => {
  const last = searchWords(q).at(-1)?.toLowerCase();
  return last && /^[a-z0-9]+$/.test(last) ? last : null;
};
const MAX_EXPANSION = 32;

/** PostgreSQL tsquery with the same meaning as toFtsQuery. */
export function toTsQuery(q: string): string | null {
  const words = searchWords(q).map((w) => w.toLowerCase());
  if (words.length === 0) return null;
  return words.map((w, i) => `${w}${i === words.length - 1 ? ':*' : ''}`).join(' & ');
}

/** The FTS5 term that finds a conversation's rows: its id's suffix (ids are `prefix_` + hex), else the whole id as a phrase. */
const conversationTerm = (id: string) => {
  const tail = id.slice(id.indexOf('_') + 1);
  return /^[\p{L}\p{N}]+$/u.test(tail) ? `"${tail}"` : `"${id.replaceAll('"', '""')}"`;
};

// How search finds a page on SQLite (conversations with a match, newest activity first). Walking
// the conversations in activity order and asking the index which of each chunk match costs per
// conversation walked, so it suits words found in many conversations: it stops once the page is
// full. Reading every match from the index costs per match, so it suits rare words. The word's
// rows are counted first (the doclist alone); up to `indexFirstCap` the index is read, past it the
// conversations are walked. A walk stops once it has cost what reading the matches would, or once
// the density it has seen says the page would not fit in that, and reads the rest of the page
// from the index, from where it stopped. Costs measured with bench/api.ts over 1 M messages: a
// walk about 14 µs per conversation, reading the index about 3 µs per match. Tests shrink the
// figures to reach every path with a few rows.
export const searchTuning = {
  indexFirstCap: 5000,
  countCap: 50_000,
  walkBudget: 3000,
  firstChunk: 100,
  maxChunk: 400,
  costPerMatch: 3,
  costPerConversation: 14,
};

export function createConversationsStore(db: Db, engine: Engine) {
  /**
   * FTS5 merges every row of a prefix's words into one list before it can answer, whatever the
   * LIMIT (24 ms for a common word's prefix over a million rows, per statement); the words
   * themselves it can seek. So a prefix standing for at most MAX_EXPANSION indexed words is
   * searched as those words (one look-up in the index's term list).
   */
  const spelledOut = async (q: string, plain: string) => {
    const prefix = expandablePrefix(q);
    if (!prefix) return plain;
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const r = await sql<{
      term: string;
    }>`SELECT term FROM message_search_terms WHERE col = 'body' AND term >= ${prefix} AND term < ${upper} LIMIT ${MAX_EXPANSION + 1}`.execute(db);
    const terms = r.rows.map((x) => x.term);
    return terms.length > 0 && terms.length <= MAX_EXPANSION ? (toFtsQuery(q, terms) ?? plain) : plain;
  };

  /** The user's words compiled for this engine: the matching conversations' ids as a subquery, and the probes a walk uses. */
  const searchOf = async (q: string) => {
    if (engine === 'sqlite') {
      const plain = toFtsQuery(q);
      if (!plain) return null;
      const fts = await spelledOut(q, plain);
      return {
        matches: (workspaceId: string) =>
          sql<boolean>`conversations.id IN (SELECT conversation_id FROM message_search WHERE message_search MATCH ${fts} AND workspace_id = ${workspaceId})`,
        /** How many rows match, in any workspace, up to `countCap` (counting reads the doclist, never a row: 0.07 µs a row). */
        async matchingRows() {
          const r = await sql<{
            n: number;
          }>`SELECT count(*) AS n FROM (SELECT 1 FROM message_search WHERE message_search MATCH ${fts} LIMIT ${searchTuning.countCap})`.execute(db);
          return Number(r.rows[0]?.n ?? 0);
        },
        async hitsAmong(workspaceId: string, rows: Array<{ id: string }>) {
          const probe = `conversation_id : (${rows.map((r) => conversationTerm(r.id)).join(' OR ')}) AND ${fts}`;
          const r = await sql<{
            conversation_id: string;
          }>`SELECT DISTINCT conversation_id FROM message_search WHERE message_search MATCH ${probe} AND workspace_id = ${workspaceId}`.execute(db);
          return new Set(r.rows.map((x) => x.conversation_id));
        },
      };
    }
    const ts = toTsQuery(q);
    if (!ts) return null;
    return {
      // PostgreSQL's planner has the statistics to choose between walking conversations_activity
      // with a probe of (workspace_id, conversation_id) per conversation and reading every match
      // from the GIN index (bench/api.ts: p95 well under 50 ms over 1 M messages either way).
      matches: (workspaceId: string) =>
        sql<boolean>`conversations.id IN (SELECT conversation_id FROM message_search WHERE workspace_id = ${workspaceId} AND tsv @@ to_tsquery('simple', ${ts}))`,
      matchingRows: () => Promise.resolve(0),
      hitsAmong: () => Promise.resolve(new Set<string>()),
    };
  };

  /** A customer's conversations still open (open, pending or snoozed). */
  async function openCountOf(tx: Tx | Db, workspaceId: string, customerId: string): Promise<number> {
    const r = await tx
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('customer_id', '=', customerId)
      .where('status', 'in', ['open', 'pending', 'snoozed'])
      .where('merged_into_id', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  return {
    /**
     * On SQLite writers queue for one lock anyway, so the conversation number is taken inside the
     * creating transaction (one commit instead of two, and no gap on failure); on PostgreSQL in a
     * statement of its own, so the workspace row is not locked until commit.
     */
    numbersInTransaction: engine === 'sqlite',
    insert: (tx: Tx, row: ConversationRow) => tx.insertInto('conversations').values(row).execute(),
    /**
     * A new conversation with its tags, first message and search rows (subject and message):
     * on PostgreSQL one statement (data-modifying CTEs), on SQLite one per table.
     */
    async insertCreated(tx: Tx, row: ConversationRow, tags: string[], msg: MessageRow | null) {
      const search = [
        ...(row.subject ? [{ body: row.subject, workspace_id: row.workspace_id, conversation_id: row.id, ref_id: row.id }] : []),
        ...(msg ? [{ body: msg.body, workspace_id: msg.workspace_id, conversation_id: msg.conversation_id, ref_id: msg.id }] : []),
      ];
      const parts: Statement[] = [statement(sql`${tx.insertInto('conversations').values(row)}`)];
      if (tags.length > 0)
        parts.push(
          statement(
            sql`${tx
              .insertInto('conversation_tags')
              .values(tags.map((tag) => ({ workspace_id: row.workspace_id, conversation_id: row.id, tag })))
              .onConflict((oc) => oc.doNothing())}`,
          ),
        );
      if (msg) parts.push(statement(sql`${tx.insertInto('messages').values(msg)}`));
      if (search.length > 0) parts.push(statement(sql`${tx.insertInto('message_search').values(search)}`));
      await runStatements(tx, engine, parts);
    },
    // GDPR (through the customer privacy workflow)
    /** The conversations' part of a customer merge. */
    reassignCustomers: (workspaceId: string, pairs: Array<{ from: string; to: string }>): Statement =>
      reassignCustomerColumn('conversations', workspaceId, pairs),
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
      if (conversationIds.length === 0) return { messages: 0, conversations: 0, files: [] as string[] };
      const deleted = (r: { numDeletedRows: bigint } | undefined) => Number(r?.numDeletedRows ?? 0);
      const messages = deleted(
        await tx.deleteFrom('messages').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).executeTakeFirst(),
      );
      await tx.deleteFrom('message_search').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute();
      await tx.deleteFrom('conversation_tags').where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute();
      const files = (
        await tx
          .deleteFrom('message_attachments')
          .where('workspace_id', '=', workspaceId)
          .where('conversation_id', 'in', conversationIds)
          .returning('storage_key')
          .execute()
      ).map((r) => r.storage_key);
      const conversations = deleted(
        await tx.deleteFrom('conversations').where('workspace_id', '=', workspaceId).where('id', 'in', conversationIds).executeTakeFirst(),
      );
      return { messages, conversations, files };
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
    openCountOf,
    async hasOpenConversation(workspaceId: string, customerId: string): Promise<boolean> {
      return (await openCountOf(db, workspaceId, customerId)) > 0;
    },
    latestOpenOf: (tx: Tx | Db, workspaceId: string, customerId: string) =>
      tx
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('status', 'in', ['open', 'pending', 'snoozed'])
        .where('merged_into_id', 'is', null)
        .orderBy('last_activity_at', 'desc')
        .limit(1)
        .executeTakeFirst(),
    get: (tx: Tx | Db, workspaceId: string, id: string) =>
      tx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /**
     * The conversation, locked until the transaction ends on PostgreSQL (SQLite's one writer holds
     * the database already): two replies checked against the thread go one after the other.
     */
    getForUpdate: (tx: Tx, workspaceId: string, id: string) => {
      const q = tx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id);
      return (engine === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
    },
    /** Customer-visible replies of a conversation after one of its messages, oldest first, and how many there are. */
    async repliesAfter(tx: Tx | Db, workspaceId: string, conversationId: string, afterId: string, limit: number) {
      const base = tx
        .selectFrom('messages')
        .where('workspace_id', '=', workspaceId)
        .where('conversation_id', '=', conversationId)
        .where('kind', '=', 'reply')
        .where('author_type', '<>', 'system')
        .where('id', '>', afterId);
      const rows = await base.selectAll().orderBy('id').limit(limit).execute();
      const count =
        rows.length < limit ? rows.length : Number((await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst())?.n ?? 0);
      return { rows, count };
    },
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
      await tx
        .updateTable('message_attachments')
        .set({ conversation_id: to })
        .where('workspace_id', '=', workspaceId)
        .where('conversation_id', '=', from)
        .execute();
    },
    // Channels: threading keys, attachments and outbound delivery state.
    /** The conversation an external system knows by its own id, in one inbox. */
    byExternalId: (tx: Tx | Db, workspaceId: string, inboxId: string, externalId: string) =>
      tx
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('inbox_id', '=', inboxId)
        .where('external_id', '=', externalId)
        .executeTakeFirst(),
    byNumber: (tx: Tx | Db, workspaceId: string, number: number) =>
      tx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('number', '=', number).executeTakeFirst(),
    /** The customer's most recently active conversation in an inbox. */
    latestInInbox: (tx: Tx | Db, workspaceId: string, inboxId: string, customerId: string) =>
      tx
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('inbox_id', '=', inboxId)
        .where('customer_id', '=', customerId)
        .where('merged_into_id', 'is', null)
        .orderBy('last_activity_at', 'desc')
        .limit(1)
        .executeTakeFirst(),
    /** The messages any of these provider ids name (Message-IDs of In-Reply-To/References), oldest first. */
    messagesByExternalIds: (tx: Tx | Db, workspaceId: string, externalIds: string[]) =>
      externalIds.length === 0
        ? Promise.resolve([])
        : tx
            .selectFrom('messages')
            .select(['id', 'conversation_id', 'external_id'])
            .where('workspace_id', '=', workspaceId)
            .where('external_id', 'in', externalIds.slice(0, 100))
            .orderBy('id')
            .execute(),
    messageByChannelExternalId: (tx: Tx | Db, workspaceId: string, channel: string, externalId: string) =>
      tx
        .selectFrom('messages')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('channel', '=', channel)
        .where('external_id', '=', externalId)
        .executeTakeFirst(),
    /** Provider ids of a conversation's messages, oldest first (an email's References). */
    externalIdsOf: async (workspaceId: string, conversationId: string, before: string) =>
      (
        await db
          .selectFrom('messages')
          .select('external_id')
          .where('workspace_id', '=', workspaceId)
          .where('conversation_id', '=', conversationId)
          .where('external_id', 'is not', null)
          .where('id', '<', before)
          .orderBy('id')
          .execute()
      ).map((r) => r.external_id as string),
    /** The provider id of the customer's latest message before `before` (an email's In-Reply-To). */
    lastCustomerExternalId: async (workspaceId: string, conversationId: string, before: string) =>
      (
        await db
          .selectFrom('messages')
          .select('external_id')
          .where('workspace_id', '=', workspaceId)
          .where('conversation_id', '=', conversationId)
          .where('author_type', '=', 'customer')
          .where('external_id', 'is not', null)
          .where('id', '<', before)
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst()
      )?.external_id ?? null,
    lastCustomerMessageAt: async (workspaceId: string, conversationId: string) =>
      (
        await db
          .selectFrom('messages')
          .select('created_at')
          .where('workspace_id', '=', workspaceId)
          .where('conversation_id', '=', conversationId)
          .where('author_type', '=', 'customer')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst()
      )?.created_at ?? null,
    setDelivery: (tx: Tx | Db, workspaceId: string, messageId: string, patch: Partial<MessageRow>) =>
      tx.updateTable('messages').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', messageId).execute(),
    insertAttachments: (tx: Tx, rows: MessageAttachmentRow[]) =>
      rows.length === 0 ? Promise.resolve() : tx.insertInto('message_attachments').values(rows).execute(),
    attachmentsOf: (workspaceId: string, messageIds: string[]) =>
      messageIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('message_attachments')
            .selectAll()
            .where('workspace_id', '=', workspaceId)
            .where('message_id', 'in', messageIds)
            .orderBy('id')
            .execute(),
    /** Bytes of a workspace's attachments (its share of the data folder). */
    attachmentBytes: async (workspaceId: string) =>
      Number(
        (
          await db
            .selectFrom('message_attachments')
            .select((eb) => eb.fn.sum<number | string>('size').as('n'))
            .where('workspace_id', '=', workspaceId)
            .executeTakeFirst()
        )?.n ?? 0,
      ),
    getAttachment: (workspaceId: string, id: string) =>
      db.selectFrom('message_attachments').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    messageById: (tx: Tx | Db, workspaceId: string, id: string) =>
      tx.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    getMessage: (workspaceId: string, id: string) =>
      db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /** The analyser's reading of a customer message (the feelings consumer). */
    setMessageSentiment: (tx: Tx, workspaceId: string, messageId: string, s: { score: number; label: string; signals: string[] }) =>
      tx
        .updateTable('messages')
        .set({ sentiment_score: s.score, sentiment_label: s.label, sentiment_signals: JSON.stringify(s.signals) })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', messageId)
        .executeTakeFirst()
        .then((r) => Number(r.numUpdatedRows) > 0),
    listMessages: (workspaceId: string, conversationId: string, opts: { after: string | null; limit: number; includeNotes: boolean }) => {
      let q = db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
      if (!opts.includeNotes) q = q.where('kind', '=', 'reply');
      if (opts.after) q = q.where('id', '>', opts.after);
      return q
        .orderBy('id')
        .limit(opts.limit + 1)
        .execute();
    },
    async list(workspaceId: string, scope: ConversationScope, f: ConversationFilter, opts: { after: [string, string] | null; limit: number }) {
      if (scope.kind === 'teams' && scope.teamIds.length === 0) return [];
      const filtered = () => {
        let q = db.selectFrom('conversations').where('workspace_id', '=', workspaceId).where('merged_into_id', 'is', null);
        if (scope.kind === 'teams') q = q.where('team_id', 'in', scope.teamIds);
        if (f.statuses && f.statuses.length > 0) q = q.where('status', 'in', f.statuses);
        if (f.assigneeId === null) q = q.where('assignee_id', 'is', null);
        else if (f.assigneeId) q = q.where('assignee_id', '=', f.assigneeId);
        if (f.teamId) q = q.where('team_id', '=', f.teamId);
        if (f.channel) q = q.where('channel', '=', f.channel);
        if (f.category) q = q.where('category', '=', f.category);
        if (f.priority) q = q.where('priority', '=', f.priority);
        if (f.customerId) q = q.where('customer_id', '=', f.customerId);
        if (f.updatedSince) q = q.where('updated_at', '>=', f.updatedSince);
        if (f.customerIn) q = q.where(sql<boolean>`customer_id IN (${f.customerIn})`);
        if (f.tag) {
          const tag = f.tag;
          q = q.where('id', 'in', (eb) =>
            eb.selectFrom('conversation_tags').select('conversation_id').where('workspace_id', '=', workspaceId).where('tag', '=', tag),
          );
        }
        return q;
      };
      /** A page in activity order, newest first, after a keyset position. */
      const ordered = (q: ReturnType<typeof filtered>, after: [string, string] | null, limit: number) => {
        if (after) {
          const [at, id] = after;
          q = q.where((eb) => eb.or([eb('last_activity_at', '<', at), eb.and([eb('last_activity_at', '=', at), eb('id', '<', id)])]));
        }
        return q.orderBy('last_activity_at', 'desc').orderBy('id', 'desc').limit(limit);
      };
      const want = opts.limit + 1;
      if (f.sortBy && !f.q) {
        const by = f.sortBy;
        let q = filtered();
        if (opts.after) {
          const [value, id] = opts.after;
          q = q.where(sql<boolean>`(${by} > ${Number(value)} OR (${by} = ${Number(value)} AND id > ${id}))`);
        }
        return q.selectAll().select(by.as('sort_value')).orderBy(by).orderBy('id').limit(want).execute();
      }
      if (!f.q) return ordered(filtered(), opts.after, want).selectAll().execute();
      // Conversations of matching customers, or of the number asked for, join the text's matches:
      // both in activity order after the same position, merged into one page.
      const customerIds = f.alsoCustomerIds ?? [];
      const number = f.alsoNumber;
      const [direct, text] = await Promise.all([
        customerIds.length > 0 || number !== undefined
          ? ordered(
              filtered().where((eb) =>
                eb.or([
                  ...(customerIds.length > 0 ? [eb('customer_id', 'in', customerIds)] : []),
                  ...(number !== undefined ? [eb('number', '=', number)] : []),
                ]),
              ),
              opts.after,
              want,
            )
              .selectAll()
              .execute()
          : Promise.resolve([]),
        searchText(f.q, want),
      ]);
      if (direct.length === 0) return text;
      const byId = new Map([...text, ...direct].map((r) => [r.id, r]));
      return [...byId.values()]
        .sort((a, b) => (a.last_activity_at === b.last_activity_at ? (a.id < b.id ? 1 : -1) : a.last_activity_at < b.last_activity_at ? 1 : -1))
        .slice(0, want);

      /** The page of conversations whose messages or subject hold the words. */
      async function searchText(q: string, want: number) {
        const search = await searchOf(q);
        if (!search) return [];
        const fromIndex = (after: [string, string] | null, limit: number) =>
          ordered(filtered().where(search.matches(workspaceId)), after, limit)
            .selectAll()
            .execute();
        if (engine === 'postgres') return fromIndex(opts.after, want);
        const matching = await search.matchingRows();
        if (matching <= searchTuning.indexFirstCap) return fromIndex(opts.after, want);

        // The walk reads keys only; the page's rows are read once it is known.
        const found: string[] = [];
        let after = opts.after;
        let walked = 0;
        const { firstChunk, maxChunk, costPerMatch, costPerConversation } = searchTuning;
        // Walking costs at most what reading every match would (then it reads them): never more than twice the better of the two.
        const walkBudget = Math.max(searchTuning.walkBudget, Math.floor((matching * costPerMatch) / costPerConversation));
        let chunk = firstChunk;
        let exhausted = false;
        walk: while (walked < walkBudget) {
          const keys = await ordered(filtered(), after, chunk).select(['id', 'last_activity_at']).execute();
          walked += keys.length;
          const hits = keys.length === 0 ? new Set<string>() : await search.hitsAmong(workspaceId, keys);
          for (const k of keys) {
            if (!hits.has(k.id)) continue;
            found.push(k.id);
            if (found.length === want) break walk;
          }
          if (keys.length < chunk) {
            exhausted = true;
            break;
          }
          const last = keys[keys.length - 1]!;
          after = [last.last_activity_at, last.id];
          // What the page still needs at the density seen so far; once a third of the budget is
          // walked (a sample worth trusting), a page that would not fit in it is read from the index.
          const needed = Math.ceil(((want - found.length) / ((found.length + 1) / walked)) * 1.25);
          if (walked * 3 >= walkBudget && needed > walkBudget - walked) break;
          chunk = Math.min(maxChunk, walkBudget - walked, Math.max(firstChunk, needed));
        }
        const rest = found.length === want || exhausted ? [] : await fromIndex(after, want - found.length);
        const rows =
          found.length === 0
            ? []
            : await ordered(filtered().where('id', 'in', found), null, found.length)
                .selectAll()
                .execute();
        return [...rows, ...rest];
      }
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
