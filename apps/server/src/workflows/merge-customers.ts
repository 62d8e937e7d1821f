// Merging customers: each merged customer's rows move to its survivor, inside the caller's
// transaction (identity resolution merges during ingest, when an event links two customers).
// Every owner contributes its own part: the customers module fills the survivor's profile, logs
// the merge, moves organization memberships and leaves a merge pointer; identities,
// interactions and conversations re-point their customer ids; journeys keep the stage reached
// last. The statement parts go out together (one round trip on PostgreSQL, which matters on the
// ingest hot path); the journey part reads before it writes, so it runs after them.
import type { Engine, Tx } from '../platform/db/database.js';
import type { CustomerRow } from '../platform/db/schema.js';
import { runStatements } from '../platform/db/statements.js';
import type { Clock } from '../platform/clock.js';
import { parseJsonObject } from '../platform/json.js';
import type { ConversationCustomerLinks } from '../modules/conversations/customer-links.service.js';
import type { CustomersService, ProfileColumns } from '../modules/customers/customers.service.js';
import type { IdentitiesService } from '../modules/identity/identities.service.js';
import type { InteractionsService } from '../modules/interactions/interactions.service.js';
import type { JourneyService } from '../modules/journeys/journey.service.js';

export type MergePair = { survivorId: string; mergedId: string };

/** Pairs per round of statements (the CASE maps and IN lists grow with it). */
const ROUND = 200;

export function createMergeCustomersWorkflow(deps: {
  engine: Engine;
  clock: Clock;
  customers: CustomersService;
  identities: IdentitiesService;
  interactions: InteractionsService;
  conversations: ConversationCustomerLinks;
  journey: JourneyService;
}) {
  const { engine, clock, customers, identities, interactions, conversations, journey } = deps;

  /**
   * Merges each `mergedId` into its `survivorId` (no survivor may itself be merged here).
   * `known` holds rows the caller already read (and share-locked) in this transaction.
   * Returns what the survivors' profiles were set to.
   */
  async function mergeMany(tx: Tx, workspaceId: string, pairs: MergePair[], reason: string, known?: Map<string, CustomerRow>) {
    const real = pairs.filter((p) => p.survivorId !== p.mergedId);
    const filled = new Map<string, ProfileColumns>();
    if (real.length === 0) return filled;
    const ids = [...new Set(real.flatMap((p) => [p.survivorId, p.mergedId]))];
    const rows = known && ids.every((id) => known.has(id)) ? known : new Map((await customers.lockMany(tx, workspaceId, ids)).map((r) => [r.id, r]));
    const now = clock.nowIso();
    const moves: Array<{ from: string; to: string }> = [];
    for (const p of real) {
      const merged = rows.get(p.mergedId);
      const survivor = filled.get(p.survivorId) ?? rows.get(p.survivorId);
      if (!survivor || !merged) continue;
      // The survivor keeps what it has and takes what it lacks; its traits win.
      filled.set(p.survivorId, {
        id: p.survivorId,
        name: survivor.name ?? merged.name,
        email: survivor.email ?? merged.email,
        phone: survivor.phone ?? merged.phone,
        traits: JSON.stringify({ ...parseJsonObject(merged.traits), ...parseJsonObject(survivor.traits) }),
      });
      moves.push({ from: p.mergedId, to: p.survivorId });
    }
    await customers.updateProfiles(tx, workspaceId, [...filled.values()], now);
    for (let i = 0; i < moves.length; i += ROUND) {
      const round = moves.slice(i, i + ROUND);
      await runStatements(tx, engine, [
        identities.reassign(workspaceId, round),
        interactions.reassign(workspaceId, round),
        conversations.reassign(workspaceId, round),
        ...customers.mergeStatements(workspaceId, round, reason, now),
      ]);
      await journey.moveCustomers(tx, workspaceId, round, now);
      await customers.announceMerges(tx, workspaceId, round, reason);
    }
    return filled;
  }

  return { mergeMany };
}
export type MergeCustomersWorkflow = ReturnType<typeof createMergeCustomersWorkflow>;
