// SQL of the SLA module: calendars, policies, each conversation's SLA and its measured targets,
// the sweep's look-ups of what has come due, and attainment counts. Functions run on the
// executor their caller hands them; the read side for the desk (createSlaReads) on the database.
import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.js';
import type { SlaCalendarRow, SlaConversationRow, SlaMetricRow, SlaPolicyRow } from '../../platform/db/schema.js';

type Ex = Tx | Db;
type MetricKey = { workspace_id: string; conversation_id: string; metric: string; seq: number };

export function createSlaStore() {
  return {
    // Calendars
    listCalendars: (ex: Ex, workspaceId: string) =>
      ex.selectFrom('sla_calendars').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute(),
    getCalendar: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('sla_calendars').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    insertCalendar: (ex: Ex, row: SlaCalendarRow) => ex.insertInto('sla_calendars').values(row).execute(),
    updateCalendar: (ex: Ex, workspaceId: string, id: string, patch: Partial<SlaCalendarRow>) =>
      ex.updateTable('sla_calendars').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    deleteCalendar: (ex: Ex, workspaceId: string, id: string) =>
      ex.deleteFrom('sla_calendars').where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** Unsets the workspace's default calendar (before another becomes it). */
    clearDefault: (ex: Ex, workspaceId: string) =>
      ex.updateTable('sla_calendars').set({ is_default: 0 }).where('workspace_id', '=', workspaceId).where('is_default', '=', 1).execute(),
    /** Unsets any calendar's team (before another calendar takes the team). */
    clearTeam: (ex: Ex, workspaceId: string, teamId: string) =>
      ex.updateTable('sla_calendars').set({ team_id: null }).where('workspace_id', '=', workspaceId).where('team_id', '=', teamId).execute(),
    async policiesUsing(ex: Ex, workspaceId: string, calendarId: string): Promise<number> {
      const r = await ex
        .selectFrom('sla_policies')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('calendar_id', '=', calendarId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    // Policies
    listPolicies: (ex: Ex, workspaceId: string) =>
      ex.selectFrom('sla_policies').selectAll().where('workspace_id', '=', workspaceId).orderBy('position').orderBy('id').execute(),
    getPolicy: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('sla_policies').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    insertPolicy: (ex: Ex, row: SlaPolicyRow) => ex.insertInto('sla_policies').values(row).execute(),
    updatePolicy: (ex: Ex, workspaceId: string, id: string, patch: Partial<SlaPolicyRow>) =>
      ex.updateTable('sla_policies').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    deletePolicy: (ex: Ex, workspaceId: string, id: string) =>
      ex.deleteFrom('sla_policies').where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),

    // A conversation's SLA and its targets
    getConversation: (ex: Ex, workspaceId: string, conversationId: string) =>
      ex.selectFrom('sla_conversations').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).executeTakeFirst(),
    insertConversation: (ex: Ex, row: SlaConversationRow) => ex.insertInto('sla_conversations').values(row).execute(),
    updateConversation: (ex: Ex, workspaceId: string, conversationId: string, patch: Partial<SlaConversationRow>) =>
      ex.updateTable('sla_conversations').set(patch).where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).execute(),
    metricsOf: (ex: Ex, workspaceId: string, conversationId: string) =>
      ex
        .selectFrom('sla_metrics')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('conversation_id', '=', conversationId)
        .where((eb) => eb.or([eb('status', '=', 'open'), eb('metric', '<>', 'next_response')]))
        .execute(),
    async nextSeq(ex: Ex, workspaceId: string, conversationId: string, metric: string): Promise<number> {
      const r = await ex
        .selectFrom('sla_metrics')
        .select((eb) => eb.fn.max('seq').as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('conversation_id', '=', conversationId)
        .where('metric', '=', metric)
        .executeTakeFirst();
      return Number(r?.n ?? 0) + 1;
    },
    insertMetric: (ex: Ex, row: SlaMetricRow) => ex.insertInto('sla_metrics').values(row).execute(),
    updateMetric: (ex: Ex, k: MetricKey, patch: Partial<SlaMetricRow>) =>
      ex
        .updateTable('sla_metrics')
        .set(patch)
        .where('workspace_id', '=', k.workspace_id)
        .where('conversation_id', '=', k.conversation_id)
        .where('metric', '=', k.metric)
        .where('seq', '=', k.seq)
        .execute(),

    // The sweep, over every workspace
    dueWarnings: (ex: Ex, nowMs: number, limit: number) =>
      ex
        .selectFrom('sla_metrics')
        .selectAll()
        .where('status', '=', 'open')
        .where('paused', '=', 0)
        .where('warned_at', 'is', null)
        .where('warn_ms', '<=', nowMs)
        .orderBy('warn_ms')
        .limit(limit)
        .execute(),
    dueBreaches: (ex: Ex, nowMs: number, limit: number) =>
      ex
        .selectFrom('sla_metrics')
        .selectAll()
        .where('status', '=', 'open')
        .where('paused', '=', 0)
        .where('breached_at', 'is', null)
        .where('due_ms', '<=', nowMs)
        .orderBy('due_ms')
        .limit(limit)
        .execute(),
    /** Marks a warning as emitted unless it already was (by another process); true when this call did. */
    async markWarned(ex: Ex, k: MetricKey, at: string): Promise<boolean> {
      const r = await ex
        .updateTable('sla_metrics')
        .set({ warned_at: at })
        .where('workspace_id', '=', k.workspace_id)
        .where('conversation_id', '=', k.conversation_id)
        .where('metric', '=', k.metric)
        .where('seq', '=', k.seq)
        .where('status', '=', 'open')
        .where('paused', '=', 0)
        .where('warned_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Marks a breach (and its verdict) unless it already was; true when this call did. */
    async markBreached(ex: Ex, k: MetricKey, at: string, decidedAt: string): Promise<boolean> {
      const r = await ex
        .updateTable('sla_metrics')
        .set({ breached_at: at, outcome: 'breached', decided_at: decidedAt })
        .where('workspace_id', '=', k.workspace_id)
        .where('conversation_id', '=', k.conversation_id)
        .where('metric', '=', k.metric)
        .where('seq', '=', k.seq)
        .where('status', '=', 'open')
        .where('paused', '=', 0)
        .where('breached_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Decided targets of a period, counted by a column (or the UTC day of the verdict). */
    attainment: (ex: Ex, workspaceId: string, from: string, to: string, by: 'team_id' | 'assignee_id' | 'channel' | 'day', metric: string | undefined) => {
      const key = by === 'day' ? sql<string | null>`substr(decided_at, 1, 10)` : sql<string | null>`${sql.ref(by)}`;
      let q = ex
        .selectFrom('sla_metrics')
        .select([
          key.as('key'),
          sql<number>`count(*)`.as('total'),
          sql<number>`sum(case when outcome = 'met' then 1 else 0 end)`.as('met'),
          sql<number>`sum(case when outcome = 'breached' then 1 else 0 end)`.as('breached'),
        ])
        .where('workspace_id', '=', workspaceId)
        .where('outcome', 'is not', null)
        .where('decided_at', '>=', from)
        .where('decided_at', '<', to);
      if (metric) q = q.where('metric', '=', metric);
      return q.groupBy(key).orderBy(key).execute();
    },

    eraseByCustomers: async (tx: Tx, workspaceId: string, customerIds: string[]) => {
      if (customerIds.length === 0) return;
      await tx.deleteFrom('sla_metrics').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
      await tx.deleteFrom('sla_conversations').where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
    },
  };
}
export type SlaStore = ReturnType<typeof createSlaStore>;

export type SlaReadRow = Pick<SlaConversationRow, 'conversation_id' | 'policy_id' | 'paused_since'> & {
  metric: string | null;
  status: string | null;
  due_ms: number | string | null;
  breached_at: string | null;
};

/** What the desk reads of SLAs: one query for a page of conversations, and the inbox's due order. */
export function createSlaReads(db: Db) {
  return {
    /** Each conversation's SLA with its running or breached targets (one statement for the page). */
    rowsOf: (workspaceId: string, conversationIds: string[]): Promise<SlaReadRow[]> =>
      conversationIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('sla_conversations as c')
            .leftJoin('sla_metrics as m', (j) =>
              j
                .onRef('m.workspace_id', '=', 'c.workspace_id')
                .onRef('m.conversation_id', '=', 'c.conversation_id')
                .on((eb) => eb.or([eb('m.status', '=', 'open'), eb('m.breached_at', 'is not', null)])),
            )
            .select(['c.conversation_id', 'c.policy_id', 'c.paused_since', 'm.metric', 'm.status', 'm.due_ms', 'm.breached_at'])
            .where('c.workspace_id', '=', workspaceId)
            .where('c.conversation_id', 'in', conversationIds)
            .where('c.policy_id', 'is not', null)
            .execute(),
    /** The inbox's `sort=due`: the nearest running due instant, paused or without SLA last. */
    dueOrder: (): RawBuilder<number> =>
      sql<number>`COALESCE((SELECT sc.next_due_ms FROM sla_conversations sc WHERE sc.workspace_id = conversations.workspace_id AND sc.conversation_id = conversations.id), 9000000000000000)`,
  };
}
export type SlaReads = ReturnType<typeof createSlaReads>;
