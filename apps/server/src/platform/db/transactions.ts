// How services run database work without speaking SQL: `run(fn)` hands `fn` a transaction that
// stores accept, committed when `fn` resolves and rolled back when it throws; `autocommit` is
// what a store is given for work outside a transaction. Lint keeps query-builder calls in
// *.store.ts files and platform/db, so a service can hold these but never query with them.
import { insideTransaction, type Db, type Tx } from './database.js';

/** A transaction or the autocommit connection, as services pass them to stores. */
export type Executor = Tx | Db;

export type Transactions = {
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  autocommit: Executor;
};

/** A PostgreSQL deadlock or serialization failure: the transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);
export const isRetryable = (err: unknown) => err !== null && typeof err === 'object' && 'code' in err && RETRYABLE.has(String(err.code));

const beforeCommit = new WeakMap<Tx, Array<() => Promise<void>>>();

/**
 * Runs `fn` in the transaction just before it commits (after the work of `run`'s function, in
 * the order registered; a failure rolls everything back). False for a transaction `run` did not
 * open: the caller then does its work at once.
 */
export function whenCommitting(tx: Tx, fn: () => Promise<void>): boolean {
  const hooks = beforeCommit.get(tx);
  if (!hooks) return false;
  hooks.push(fn);
  return true;
}

export function createTransactions(db: Db): Transactions {
  return {
    run: (fn) =>
      db.transaction().execute(async (tx) => {
        const hooks: Array<() => Promise<void>> = [];
        beforeCommit.set(tx, hooks);
        return insideTransaction.run(true, async () => {
          const result = await fn(tx);
          for (let i = 0; i < hooks.length; i++) await hooks[i]!();
          return result;
        });
      }),
    autocommit: db,
  };
}
