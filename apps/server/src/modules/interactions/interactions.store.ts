// SQL for the interactions timeline (the spine every module appends to).
import { bulkInsert, type BulkInsert } from '../../platform/db/bulk-insert.js';
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { InteractionRow } from '../../platform/db/schema.js';
import { reassignCustomerColumn, type Statement } from '../../platform/db/statements.js';

export type TimelineFilter = {
  kinds?: string[] | undefined;
  stage?: string | undefined;
  touchpointId?: string | undefined;
  channel?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
};

/** Kinds of interactions that touchpoint rules classify (service-desk ones are classified when written). */
export const RECLASSIFIABLE_KINDS = ['event', 'page', 'screen'];

const INTERACTION_INSERT: BulkInsert<InteractionRow> = {
  table: 'interactions',
  columns: [
    'workspace_id',
    'id',
    'customer_id',
    'occurred_at',
    'received_at',
    'kind',
    'name',
    'channel',
    'touchpoint_id',
    'stage',
    'department',
    'origin',
    'conversation_id',
    'sentiment',
    'emotion',
    'source_id',
    'properties',
  ],
  onConflict: 'on conflict (workspace_id, source_id) do nothing',
  returning: 'source_id',
};

export function createInteractionsStore(db: Db, engine: Engine) {
  return {
    /** Bulk-appends rows, skipping repeated source ids; returns the source ids stored. */
    async insertMany(tx: Tx, rows: InteractionRow[]): Promise<Set<string>> {
      const stored = await bulkInsert<InteractionRow, { source_id: string }>(tx, engine, INTERACTION_INSERT, rows);
      return new Set(stored.map((r) => r.source_id));
    },
    /** Appends rows; a repeated source_id (dedupe key) is ignored. */
    append: async (tx: Tx | Db, rows: InteractionRow[]) => {
      if (rows.length === 0) return;
      await tx
        .insertInto('interactions')
        .values(rows)
        .onConflict((oc) => oc.columns(['workspace_id', 'source_id']).doNothing())
        .execute();
    },
    /** The sentiment of the interaction a message recorded (its source id is the message id). */
    /** A later answer to the same survey: the interaction's properties and sentiment follow it. */
    setAnswer: (tx: Tx, workspaceId: string, sourceId: string, properties: string, sentiment: number | null, emotion: string | null) =>
      tx
        .updateTable('interactions')
        .set({ properties, sentiment, emotion })
        .where('workspace_id', '=', workspaceId)
        .where('source_id', '=', sourceId)
        .execute(),
    /** Interactions by id (a rule's matches need their properties). */
    byIds: (ex: Tx | Db, workspaceId: string, ids: string[]) =>
      ids.length === 0 ? Promise.resolve([] as InteractionRow[]) : ex.selectFrom('interactions').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute(),
    /** Whether the customer had an interaction of this name (or, with `origin`, of this origin and kind) after `since`. */
    async anyAfter(ex: Tx | Db, workspaceId: string, customerId: string, since: string, until: string, f: { name?: string; kind?: string; origin?: string; conversationId?: string }) {
      let q = ex.selectFrom('interactions').select('id').where('workspace_id', '=', workspaceId).where('customer_id', '=', customerId).where('occurred_at', '>', since).where('occurred_at', '<=', until);
      if (f.name) q = q.where('name', '=', f.name);
      if (f.kind) q = q.where('kind', '=', f.kind);
      if (f.origin) q = q.where('origin', '=', f.origin);
      if (f.conversationId) q = q.where('conversation_id', '=', f.conversationId);
      return (await q.limit(1).executeTakeFirst()) !== undefined;
    },
    setSentiment: (tx: Tx, workspaceId: string, sourceId: string, sentiment: number, emotion: string) =>
      tx.updateTable('interactions').set({ sentiment, emotion }).where('workspace_id', '=', workspaceId).where('source_id', '=', sourceId).execute(),
    listByCustomers: (workspaceId: string, customerIds: string[]) =>
      db
        .selectFrom('interactions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', 'in', customerIds)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute(),
    eraseByCustomers: async (tx: Tx, workspaceId: string, customerIds: string[]) =>
      Number(
        (await tx.deleteFrom('interactions').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).executeTakeFirst()).numDeletedRows,
      ),
    // Reclassification (the reclassify workflow, when a workspace's touchpoints change)
    pageOfClassifiable: (workspaceId: string, afterId: string | null, limit: number) => {
      let q = db
        .selectFrom('interactions')
        .select(['id', 'customer_id', 'kind', 'name', 'channel', 'touchpoint_id', 'stage', 'department', 'properties', 'occurred_at', 'source_id'])
        .where('workspace_id', '=', workspaceId)
        .where('kind', 'in', RECLASSIFIABLE_KINDS);
      if (afterId) q = q.where('id', '>', afterId);
      return q.orderBy('id').limit(limit).execute();
    },
    setClassification: (
      ex: Tx | Db,
      workspaceId: string,
      ids: string[],
      c: { touchpoint_id: string | null; stage: string | null; department: string | null },
    ) => ex.updateTable('interactions').set(c).where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute(),
    moveConversation: (tx: Tx | Db, workspaceId: string, from: string, to: string) =>
      tx.updateTable('interactions').set({ conversation_id: to }).where('workspace_id', '=', workspaceId).where('conversation_id', '=', from).execute(),
    /** Every interaction with a stage, oldest first (stage changes themselves excluded). */
    staged: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex
        .selectFrom('interactions')
        .select(['stage', 'occurred_at', 'source_id'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('stage', 'is not', null)
        .where('kind', '!=', 'stage_changed')
        .orderBy('occurred_at')
        .orderBy('id')
        .execute(),
    stageHistory: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('interactions')
        .select(['stage', 'occurred_at', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('kind', '=', 'stage_changed')
        .orderBy('occurred_at')
        .orderBy('id')
        .execute(),
    deleteStageChanges: (ex: Tx | Db, workspaceId: string, customerId: string) =>
      ex.deleteFrom('interactions').where('workspace_id', '=', workspaceId).where('customer_id', '=', customerId).where('kind', '=', 'stage_changed').execute(),
    /** The interactions' part of a customer merge. */
    reassign: (workspaceId: string, pairs: Array<{ from: string; to: string }>): Statement => reassignCustomerColumn('interactions', workspaceId, pairs),
    countsBy: (workspaceId: string, customerId: string, column: 'stage' | 'channel') =>
      db
        .selectFrom('interactions')
        .select([column, (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('kind', '!=', 'stage_changed')
        .groupBy(column)
        .execute(),
    seen: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('interactions')
        .select([(eb) => eb.fn.min('occurred_at').as('first'), (eb) => eb.fn.max('occurred_at').as('last'), (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('kind', '!=', 'stage_changed')
        .executeTakeFirst(),
    timeline: (workspaceId: string, customerId: string, f: TimelineFilter, opts: { after: [string, string] | null; limit: number }) => {
      let q = db.selectFrom('interactions').selectAll().where('workspace_id', '=', workspaceId).where('customer_id', '=', customerId);
      if (f.kinds && f.kinds.length > 0) q = q.where('kind', 'in', f.kinds);
      if (f.stage) q = q.where('stage', '=', f.stage);
      if (f.touchpointId) q = q.where('touchpoint_id', '=', f.touchpointId);
      if (f.channel) q = q.where('channel', '=', f.channel);
      if (f.from) q = q.where('occurred_at', '>=', f.from);
      if (f.to) q = q.where('occurred_at', '<', f.to);
      if (opts.after) {
        const [at, id] = opts.after;
        q = q.where((eb) => eb.or([eb('occurred_at', '<', at), eb.and([eb('occurred_at', '=', at), eb('id', '<', id)])]));
      }
      return q
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit + 1)
        .execute();
    },
    listByCustomer: (workspaceId: string, customerId: string, limit: number) =>
      db
        .selectFrom('interactions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute(),
  };
}
export type InteractionsStore = ReturnType<typeof createInteractionsStore>;
