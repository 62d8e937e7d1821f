// SQL of rules, their firings, the windows they wait on, customer-condition readings, contacts,
// contact policies and breached SLAs (every function runs on the executor its caller hands it).
import type { Db, Engine, Tx } from '../../platform/db/database.js';
import type { RuleFiringRow, RuleRow, RuleWaitRow } from '../../platform/db/schema.js';

type Ex = Tx | Db;
const CHUNK = 400;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createRulesStore(engine: Engine) {
  const pg = engine === 'postgres';
  return {
    list: (ex: Ex, workspaceId: string) => ex.selectFrom('rules').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    get: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('rules').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    async count(ex: Ex, workspaceId: string): Promise<number> {
      const r = await ex
        .selectFrom('rules')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Enabled rules of these workspaces (a consumer batch's one query). */
    enabledOf: (ex: Ex, workspaceIds: string[]) =>
      workspaceIds.length === 0
        ? Promise.resolve([] as RuleRow[])
        : ex.selectFrom('rules').selectAll().where('workspace_id', 'in', workspaceIds).where('enabled', '=', 1).execute(),
    /** Whether any workspace has an enabled rule with one of these triggers (none: the consumer leaves the firehose unread). */
    async anyEnabledOf(ex: Ex, triggerTypes: string[]): Promise<boolean> {
      return (
        (await ex.selectFrom('rules').select('id').where('enabled', '=', 1).where('trigger_type', 'in', triggerTypes).limit(1).executeTakeFirst()) !== undefined
      );
    },
    insert: (ex: Ex, row: RuleRow) => ex.insertInto('rules').values(row).execute(),
    update: (ex: Ex, workspaceId: string, id: string, patch: Partial<RuleRow>) =>
      ex.updateTable('rules').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    async delete(ex: Ex, workspaceId: string, id: string) {
      for (const table of ['rule_waits', 'rule_states'] as const)
        await ex.deleteFrom(table).where('workspace_id', '=', workspaceId).where('rule_id', '=', id).execute();
      await ex.deleteFrom('rules').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    },
    /** Scheduled rules whose next run is due. */
    dueSchedules: (ex: Ex, now: string, limit: number) =>
      ex
        .selectFrom('rules')
        .selectAll()
        .where('trigger_type', '=', 'schedule')
        .where('enabled', '=', 1)
        .where('next_run_at', '<=', now)
        .orderBy('next_run_at')
        .limit(limit)
        .execute(),
    /** Moves a schedule on from the run it read (true for the one process that did). */
    async advanceSchedule(ex: Ex, workspaceId: string, id: string, from: string, to: string | null): Promise<boolean> {
      const r = await ex
        .updateTable('rules')
        .set({ next_run_at: to })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('next_run_at', '=', from)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Inserts the firings that do not exist yet (one per rule, customer and key); returns those inserted. */
    async insertFirings(ex: Ex, rows: RuleFiringRow[]): Promise<RuleFiringRow[]> {
      const inserted: RuleFiringRow[] = [];
      for (const part of chunks(rows, 200)) {
        const got = await ex
          .insertInto('rule_firings')
          .values(part)
          .onConflict((oc) => oc.columns(['workspace_id', 'rule_id', 'customer_id', 'fire_key']).doNothing())
          .returning('id')
          .execute();
        const ids = new Set(got.map((r) => r.id));
        inserted.push(...part.filter((r) => ids.has(r.id)));
      }
      return inserted;
    },
    /** Firings since `since` about one conversation or one customer (the loop guard's count). */
    async recentFirings(ex: Ex, workspaceId: string, of: { conversationId: string } | { customerId: string }, since: string): Promise<number> {
      const q = ex
        .selectFrom('rule_firings')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('created_at', '>', since);
      const r = await (
        'conversationId' in of ? q.where('conversation_id', '=', of.conversationId) : q.where('customer_id', '=', of.customerId)
      ).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    getFiring: (ex: Ex, workspaceId: string, id: string) =>
      ex.selectFrom('rule_firings').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    /** A firing, locked for its execution on PostgreSQL. */
    lockFiring(ex: Ex, workspaceId: string, id: string) {
      const q = ex.selectFrom('rule_firings').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id);
      return (pg ? q.forUpdate() : q).executeTakeFirst();
    },
    updateFiring: (ex: Ex, workspaceId: string, id: string, patch: Partial<RuleFiringRow>) =>
      ex.updateTable('rule_firings').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    listFirings(ex: Ex, workspaceId: string, ruleId: string, q: { status?: string | undefined; beforeId?: string | undefined; limit: number }) {
      let query = ex.selectFrom('rule_firings').selectAll().where('workspace_id', '=', workspaceId).where('rule_id', '=', ruleId);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.beforeId) query = query.where('id', '<', q.beforeId);
      return query.orderBy('id', 'desc').limit(q.limit).execute();
    },
    async firingCounts(ex: Ex, workspaceId: string): Promise<Array<{ rule_id: string; status: string; n: number }>> {
      const rows = await ex
        .selectFrom('rule_firings')
        .select(['rule_id', 'status', (eb) => eb.fn.countAll().as('n')])
        .where('workspace_id', '=', workspaceId)
        .groupBy(['rule_id', 'status'])
        .execute();
      return rows.map((r) => ({ rule_id: r.rule_id, status: r.status, n: Number(r.n) }));
    },
    async waitCounts(ex: Ex, workspaceId: string): Promise<Map<string, number>> {
      const rows = await ex
        .selectFrom('rule_waits')
        .select(['rule_id', (eb) => eb.fn.countAll().as('n')])
        .where('workspace_id', '=', workspaceId)
        .groupBy('rule_id')
        .execute();
      return new Map(rows.map((r) => [r.rule_id, Number(r.n)]));
    },

    /** Opens windows (one per rule, customer and starting interaction). */
    async insertWaits(ex: Ex, rows: RuleWaitRow[]) {
      for (const part of chunks(rows, 200))
        await ex
          .insertInto('rule_waits')
          .values(part)
          .onConflict((oc) => oc.columns(['workspace_id', 'rule_id', 'customer_id', 'start_ref']).doNothing())
          .execute();
    },
    /** Clears a customer's (or a conversation's) windows of a rule that started at or before `at`. */
    async clearWaits(
      ex: Ex,
      w: { workspaceId: string; ruleId: string; customerId: string; conversationId?: string | null; at: string; correlation?: string | null },
    ) {
      let q = ex
        .deleteFrom('rule_waits')
        .where('workspace_id', '=', w.workspaceId)
        .where('rule_id', '=', w.ruleId)
        .where('customer_id', '=', w.customerId)
        .where('started_at', '<=', w.at);
      if (w.conversationId) q = q.where('conversation_id', '=', w.conversationId);
      if (w.correlation !== undefined) q = q.where('correlation', w.correlation === null ? 'is' : '=', w.correlation);
      const r = await q.executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /** Windows that have ended, oldest first, locked so that processes share them (PostgreSQL). */
    dueWaits(ex: Ex, now: string, limit: number) {
      const q = ex.selectFrom('rule_waits').selectAll().where('due_at', '<=', now).orderBy('due_at').limit(limit);
      return (pg ? q.forUpdate().skipLocked() : q).execute();
    },
    async deleteWaits(ex: Ex, rows: Array<Pick<RuleWaitRow, 'workspace_id' | 'id'>>) {
      const byWs = new Map<string, string[]>();
      for (const r of rows) byWs.set(r.workspace_id, [...(byWs.get(r.workspace_id) ?? []), r.id]);
      for (const [ws, ids] of byWs)
        for (const part of chunks(ids)) await ex.deleteFrom('rule_waits').where('workspace_id', '=', ws).where('id', 'in', part).execute();
    },
    waitsOfRule: (ex: Ex, workspaceId: string, ruleId: string, limit: number) =>
      ex.selectFrom('rule_waits').selectAll().where('workspace_id', '=', workspaceId).where('rule_id', '=', ruleId).orderBy('due_at').limit(limit).execute(),

    async states(ex: Ex, workspaceId: string, ruleIds: string[], customerIds: string[]): Promise<Map<string, number>> {
      if (ruleIds.length === 0 || customerIds.length === 0) return new Map();
      const rows = await ex
        .selectFrom('rule_states')
        .select(['rule_id', 'customer_id', 'matched'])
        .where('workspace_id', '=', workspaceId)
        .where('rule_id', 'in', ruleIds)
        .where('customer_id', 'in', customerIds)
        .execute();
      return new Map(rows.map((r) => [`${r.rule_id}\u0000${r.customer_id}`, Number(r.matched)]));
    },
    setState: (ex: Ex, row: { workspace_id: string; rule_id: string; customer_id: string; matched: number; updated_at: string }) =>
      ex
        .insertInto('rule_states')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'rule_id', 'customer_id']).doUpdateSet({ matched: row.matched, updated_at: row.updated_at }))
        .execute(),

    insertContact: (ex: Ex, row: { workspace_id: string; customer_id: string; at: string; source: string; ref: string }) =>
      ex.insertInto('rule_contacts').values(row).execute(),
    async contactsSince(ex: Ex, workspaceId: string, customerId: string, since: string): Promise<number> {
      const r = await ex
        .selectFrom('rule_contacts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .where('at', '>', since)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    getPolicy: (ex: Ex, workspaceId: string) => ex.selectFrom('contact_policies').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst(),
    putPolicy: (ex: Ex, workspaceId: string, policy: string, now: string) =>
      ex
        .insertInto('contact_policies')
        .values({ workspace_id: workspaceId, policy, updated_at: now })
        .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ policy, updated_at: now }))
        .execute(),

    markBreach: (ex: Ex, row: { workspace_id: string; conversation_id: string; customer_id: string; at: string }) =>
      ex
        .insertInto('rule_sla_breaches')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'conversation_id']).doNothing())
        .execute(),
    clearBreach: (ex: Ex, workspaceId: string, conversationId: string) =>
      ex.deleteFrom('rule_sla_breaches').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).execute(),
    async hasBreach(ex: Ex, workspaceId: string, customerId: string): Promise<boolean> {
      return (
        (await ex
          .selectFrom('rule_sla_breaches')
          .select('conversation_id')
          .where('workspace_id', '=', workspaceId)
          .where('customer_id', '=', customerId)
          .limit(1)
          .executeTakeFirst()) !== undefined
      );
    },

    /** A merge: what waited on or was counted for the merged customer now belongs to the survivor. */
    async reassignCustomer(ex: Ex, workspaceId: string, from: string, to: string) {
      for (const table of ['rule_waits', 'rule_contacts', 'rule_sla_breaches'] as const)
        await ex.updateTable(table).set({ customer_id: to }).where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
      await ex.deleteFrom('rule_states').where('workspace_id', '=', workspaceId).where('customer_id', '=', from).execute();
    },
    async eraseCustomers(ex: Ex, workspaceId: string, customerIds: string[]) {
      if (customerIds.length === 0) return;
      for (const table of ['rule_firings', 'rule_waits', 'rule_states', 'rule_contacts', 'rule_sla_breaches'] as const)
        await ex.deleteFrom(table).where('workspace_id', '=', workspaceId).where('customer_id', 'in', customerIds).execute();
    },
  };
}
export type RulesStore = ReturnType<typeof createRulesStore>;
