// The interactions log: the one way rows reach the interactions table in bulk. Ingest appends
// events and journeys append stage changes through it; it depends on nothing, so both can be built
// before the interactions writer (which classifies and moves journeys).
import type { Tx } from '../../platform/db/database.js';
import type { InteractionRow } from '../../platform/db/schema.js';
import type { DomainEvents } from '../../platform/domain-events.js';
import { announceInteractions } from './interaction-events.js';
import type { InteractionsStore } from './interactions.store.js';

export function createInteractionsLog(deps: { store: InteractionsStore; events: DomainEvents }) {
  return {
    /** Appends rows in bulk inside the caller's transaction; returns the source ids stored (repeats are skipped). */
    async insertMany(tx: Tx, rows: InteractionRow[]) {
      const stored = await deps.store.insertMany(tx, rows);
      await announceInteractions(
        deps.events,
        tx,
        rows.filter((r) => stored.has(r.source_id)),
      );
      return stored;
    },
    // Journeys keep their history as 'stage_changed' interactions and replay from staged ones.
    /** A customer's interactions that carry a stage, oldest first (stage changes excluded). */
    staged: deps.store.staged,
    /** A customer's stage changes, oldest first. */
    stageHistory: deps.store.stageHistory,
    deleteStageChanges: deps.store.deleteStageChanges,
  };
}
export type InteractionsLog = ReturnType<typeof createInteractionsLog>;
