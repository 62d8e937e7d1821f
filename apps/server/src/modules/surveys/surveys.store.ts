// SQL of surveys, their sends, responses, follow-up cases and link-signing secrets (every function
// runs on the executor its caller hands it).
import type { Db, Tx } from '../../platform/db/database.js';
import type { SurveyFollowUpRow, SurveyResponseRow, SurveyRow, SurveySendRow } from '../../platform/db/schema.js';

type Ex = Tx | Db;

export function createSurveysStore() {
  return {
    list: (ex: Ex, workspaceId: string) => ex.selectFrom('surveys').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    get: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('surveys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    async count(ex: Ex, workspaceId: string): Promise<number> {
      const r = await ex
        .selectFrom('surveys')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Whether any workspace has an enabled survey with this kind of trigger. */
    anyEnabledWithTrigger: async (ex: Ex, triggerType: string) =>
      (await ex.selectFrom('surveys').select('id').where('trigger_type', '=', triggerType).where('enabled', '=', 1).limit(1).executeTakeFirst()) !== undefined,
    /** Enabled surveys of these workspaces with this kind of trigger (a consumer batch's one query). */
    enabledWithTrigger: (ex: Ex, workspaceIds: string[], triggerType: string) =>
      workspaceIds.length === 0
        ? Promise.resolve([])
        : ex
            .selectFrom('surveys')
            .selectAll()
            .where('workspace_id', 'in', workspaceIds)
            .where('trigger_type', '=', triggerType)
            .where('enabled', '=', 1)
            .execute(),
    insert: (ex: Ex, row: SurveyRow) => ex.insertInto('surveys').values(row).execute(),
    update: (ex: Ex, workspaceId: string, id: string, patch: Partial<SurveyRow>) =>
      ex.updateTable('surveys').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    async delete(ex: Ex, workspaceId: string, id: string): Promise<void> {
      for (const table of ['survey_follow_ups', 'survey_responses', 'survey_sends'] as const)
        await ex.deleteFrom(table).where('workspace_id', '=', workspaceId).where('survey_id', '=', id).execute();
      await ex.deleteFrom('surveys').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
      await ex.updateTable('surveys').set({ recovery_survey_id: null }).where('workspace_id', '=', workspaceId).where('recovery_survey_id', '=', id).execute();
    },

    /** Inserts a send unless one exists for the same survey, customer and trigger; true when inserted. */
    async insertSend(ex: Ex, row: SurveySendRow): Promise<boolean> {
      const r = await ex
        .insertInto('survey_sends')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'survey_id', 'customer_id', 'trigger_key']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    getSend: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('survey_sends').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    updateSend: (ex: Ex, workspaceId: string, id: string, patch: Partial<SurveySendRow>) =>
      ex.updateTable('survey_sends').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** The customer's latest survey mailed at or after `since`, of any survey. */
    lastSentSince: (ex: Ex, workspaceId: string, customerId: string, since: string) =>
      ex
        .selectFrom('survey_sends')
        .select(['id', 'sent_at'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('status', '=', 'sent')
        .where('sent_at', '>=', since)
        .orderBy('sent_at', 'desc')
        .limit(1)
        .executeTakeFirst(),
    async countSent(ex: Ex, workspaceId: string, surveyId: string, from: string | null, to: string | null) {
      let q = ex
        .selectFrom('survey_sends')
        .select(['team_id', 'agent_id', 'channel', 'touchpoint_id', 'stage', 'sent_at'])
        .where('workspace_id', '=', workspaceId)
        .where('survey_id', '=', surveyId)
        .where('status', '=', 'sent');
      if (from) q = q.where('sent_at', '>=', from);
      if (to) q = q.where('sent_at', '<', to);
      return q.limit(200_001).execute();
    },

    /** Sends delivered in the chat to these customers, unexpired and not answered yet, oldest first. */
    pendingInChat: (ex: Ex, workspaceId: string, customerIds: string[], now: string, limit: number) =>
      customerIds.length === 0
        ? Promise.resolve([])
        : ex
            .selectFrom('survey_sends as s')
            .selectAll('s')
            .where('s.workspace_id', '=', workspaceId)
            .where('s.customer_id', 'in', customerIds)
            .where('s.delivery', '=', 'chat')
            .where('s.status', '=', 'sent')
            .where('s.expires_at', '>', now)
            .where((eb) =>
              eb.not(
                eb.exists(eb.selectFrom('survey_responses as r').select('r.id').where('r.workspace_id', '=', workspaceId).whereRef('r.send_id', '=', 's.id')),
              ),
            )
            .orderBy('s.sent_at')
            .limit(limit)
            .execute(),

    getResponseBySend: (ex: Ex, workspaceId: string, sendId: string) =>
      ex.selectFrom('survey_responses').selectAll().where('workspace_id', '=', workspaceId).where('send_id', '=', sendId).executeTakeFirst(),
    getResponse: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('survey_responses').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /** Inserts the send's response unless it has one already; true when inserted. */
    async insertResponse(ex: Ex, row: SurveyResponseRow): Promise<boolean> {
      const r = await ex
        .insertInto('survey_responses')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'send_id']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    updateResponse: (ex: Ex, workspaceId: string, id: string, patch: Partial<SurveyResponseRow>) =>
      ex.updateTable('survey_responses').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    /** One page of a survey's responses, newest first (ids are time-ordered), before the cursor's id. */
    listResponses(
      ex: Ex,
      workspaceId: string,
      surveyId: string,
      q: { limit: number; beforeId?: string | undefined; from?: string | undefined; to?: string | undefined },
    ) {
      let query = ex.selectFrom('survey_responses').selectAll().where('workspace_id', '=', workspaceId).where('survey_id', '=', surveyId);
      if (q.beforeId) query = query.where('id', '<', q.beforeId);
      if (q.from) query = query.where('created_at', '>=', q.from);
      if (q.to) query = query.where('created_at', '<', q.to);
      return query
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
    },
    responsesIn(ex: Ex, workspaceId: string, surveyId: string, from: string | null, to: string | null, limit: number) {
      let query = ex.selectFrom('survey_responses').selectAll().where('workspace_id', '=', workspaceId).where('survey_id', '=', surveyId);
      if (from) query = query.where('created_at', '>=', from);
      if (to) query = query.where('created_at', '<', to);
      return query.orderBy('id', 'desc').limit(limit).execute();
    },

    async insertFollowUp(ex: Ex, row: SurveyFollowUpRow): Promise<boolean> {
      const r = await ex
        .insertInto('survey_follow_ups')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'response_id']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    followUpOfResponse: (ex: Ex, workspaceId: string, responseId: string) =>
      ex.selectFrom('survey_follow_ups').selectAll().where('workspace_id', '=', workspaceId).where('response_id', '=', responseId).executeTakeFirst(),
    followUpsOfConversations: (ex: Ex, workspaceId: string, conversationIds: string[]) =>
      conversationIds.length === 0
        ? Promise.resolve([])
        : ex.selectFrom('survey_follow_ups').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', 'in', conversationIds).execute(),
    getFollowUp: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('survey_follow_ups').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    updateFollowUp: (ex: Ex, workspaceId: string, id: string, patch: Partial<SurveyFollowUpRow>) =>
      ex.updateTable('survey_follow_ups').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    followUpsOfSurvey: (ex: Ex, workspaceId: string, surveyId: string) =>
      ex.selectFrom('survey_follow_ups').selectAll().where('workspace_id', '=', workspaceId).where('survey_id', '=', surveyId).limit(200_000).execute(),

    secret: (ex: Ex, workspaceId: string) => ex.selectFrom('survey_secrets').select('secret').where('workspace_id', '=', workspaceId).executeTakeFirst(),
    insertSecret: (ex: Ex, workspaceId: string, secret: string, at: string) =>
      ex
        .insertInto('survey_secrets')
        .values({ workspace_id: workspaceId, secret, created_at: at })
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .execute(),

    /** A merge: the merged customer's survey rows follow the survivor. */
    async reassignCustomer(ex: Ex, workspaceId: string, from: string, to: string): Promise<void> {
      // A send the survivor already has for the same trigger stays with the merged id (one send per trigger).
      await ex
        .updateTable('survey_sends as s')
        .set({ customer_id: to })
        .where('s.workspace_id', '=', workspaceId)
        .where('s.customer_id', '=', from)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('survey_sends as o')
                .select('o.id')
                .where('o.workspace_id', '=', workspaceId)
                .where('o.customer_id', '=', to)
                .whereRef('o.survey_id', '=', 's.survey_id')
                .whereRef('o.trigger_key', '=', 's.trigger_key'),
            ),
          ),
        )
        .execute();
      for (const table of ['survey_responses', 'survey_follow_ups'] as const)
        await ex.updateTable(table).set({ customer_id: to }).where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
    },
    /** GDPR erasure: everything surveys kept of these customers. */
    async eraseCustomers(ex: Ex, workspaceId: string, customerIds: string[]): Promise<void> {
      if (customerIds.length === 0) return;
      for (const table of ['survey_follow_ups', 'survey_responses', 'survey_sends'] as const)
        await ex.deleteFrom(table).where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
    },
  };
}
export type SurveysStore = ReturnType<typeof createSurveysStore>;
