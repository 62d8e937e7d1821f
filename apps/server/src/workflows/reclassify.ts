// Reclassification when a workspace's touchpoints change: a workflow across modules. The
// touchpoints module classifies, the interactions module rewrites its rows, the journeys module
// replays the stage history of every customer touched. Runs as a typed job, coalesced per
// workspace (touchpoints enqueue it).
import { z } from 'zod';
import type { Transactions } from '../platform/db/transactions.js';
import type { Jobs } from '../platform/jobs.js';
import { parseJsonObject } from '../platform/json.js';
import type { InteractionsService } from '../modules/interactions/interactions.service.js';
import type { JourneyService } from '../modules/journeys/journey.service.js';
import { pathOf, RECLASSIFY_JOB, type TouchpointsService } from '../modules/touchpoints/touchpoints.service.js';

type Classification = { touchpoint_id: string | null; stage: string | null; department: string | null };

export function createReclassifyWorkflow(deps: {
  jobs: Jobs;
  transactions: Transactions;
  touchpoints: TouchpointsService;
  interactions: InteractionsService;
  journey: JourneyService;
}) {
  const { jobs, transactions, touchpoints, interactions, journey } = deps;
  return jobs.define(RECLASSIFY_JOB, z.object({}), async (job) => {
    const workspaceId = job.workspaceId;
    const classifier = await touchpoints.freshClassifier(transactions.autocommit, workspaceId);
    const touched = new Set<string>();
    let after: string | null = null;
    for (;;) {
      const rows = await interactions.pageOfClassifiable(workspaceId, after, 1000);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]?.id ?? null;
      const groups = new Map<string, { c: Classification; ids: string[] }>();
      for (const r of rows) {
        const props = parseJsonObject(r.properties);
        const c = classifier.classify({ kind: r.kind, name: r.name, channel: r.channel, path: pathOf(props), properties: props });
        const next = { touchpoint_id: c?.touchpointId ?? null, stage: c?.stage ?? null, department: c?.department ?? null };
        if (next.touchpoint_id === r.touchpoint_id && next.stage === r.stage && next.department === r.department) continue;
        const k = JSON.stringify(next);
        const g = groups.get(k) ?? { c: next, ids: [] };
        g.ids.push(r.id);
        groups.set(k, g);
        touched.add(r.customer_id);
      }
      if (groups.size > 0) {
        await transactions.run(async (tx) => {
          for (const g of groups.values()) await interactions.setClassification(tx, workspaceId, g.ids, g.c);
        });
      }
    }
    if (touched.size > 0) await transactions.run(async (tx) => journey.replay(tx, workspaceId, classifier.stages, [...touched].sort()));
  });
}
