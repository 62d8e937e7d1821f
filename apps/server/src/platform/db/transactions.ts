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

export function createTransactions(db: Db): Transactions {
  return { run: (fn) => db.transaction().execute((tx) => insideTransaction.run(true, () => fn(tx))), autocommit: db };
}
