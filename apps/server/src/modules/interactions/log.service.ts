// The interactions log: the one way rows reach the interactions table in bulk. Ingest appends
// events and journeys append stage changes through it; it depends on nothing, so both can be built
// before the interactions writer (which classifies and moves journeys).
import type { Tx } from '../../platform/db/database.js';
import type { InteractionRow } from '../../platform/db/schema.js';
import type { InteractionsStore } from './interactions.store.js';

export function createInteractionsLog(deps: { store: InteractionsStore }) {
  return {
    /** Appends rows in bulk inside the caller's transaction; returns the source ids stored (repeats are skipped). */
    insertMany: (tx: Tx, rows: InteractionRow[]) => deps.store.insertMany(tx, rows),
  };
}
export type InteractionsLog = ReturnType<typeof createInteractionsLog>;
