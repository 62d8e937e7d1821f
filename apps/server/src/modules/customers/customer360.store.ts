// SQL for the customer 360 and the timeline: reads across the spine's tables, keyed by
// (workspace_id, customer_id).
import type { Db } from '../../platform/db/database.js';

export type TimelineFilter = {
  kinds?: string[] | undefined;
  stage?: string | undefined;
  touchpointId?: string | undefined;
  channel?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
};

export function createCustomer360Store(db: Db) {
  return {
    identities: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('identities')
        .select(['kind', 'value', 'created_at'])
        .where('workspace_id', '=', workspaceId)
        .where('customer_id', '=', customerId)
        .orderBy('kind')
        .orderBy('value')
        .execute(),
    organizations: (workspaceId: string, customerId: string) =>
      db
        .selectFrom('organization_members as m')
        .innerJoin('organizations as o', (j) => j.onRef('o.workspace_id', '=', 'm.workspace_id').onRef('o.id', '=', 'm.organization_id'))
        .selectAll('o')
        .where('m.workspace_id', '=', workspaceId)
        .where('m.customer_id', '=', customerId)
        .orderBy('o.id')
        .execute(),
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
    openConversations: (workspaceId: string, customerId: string) =>
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
    touchpointsByIds: (workspaceId: string, ids: string[]) =>
      ids.length === 0
        ? Promise.resolve([])
        : db.selectFrom('touchpoints').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute(),
    touchpointByKey: (workspaceId: string, key: string) =>
      db.selectFrom('touchpoints').select('id').where('workspace_id', '=', workspaceId).where('key', '=', key).executeTakeFirst(),
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
  };
}
export type Customer360Store = ReturnType<typeof createCustomer360Store>;
