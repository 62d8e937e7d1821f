// What the workspace services are built from.
import type { Audit } from '../../platform/audit.js';
import type { DomainEvents } from '../../platform/domain-events.js';
import type { Bus } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { Transactions } from '../../platform/db/transactions.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Mailer } from '../../platform/mailer.js';
import type { RateLimiter } from '../../platform/rate-limit.js';
import type { WorkspacesStore } from './workspaces.store.js';

export type WorkspacesDeps = {
  store: WorkspacesStore;
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  bus: Bus;
  loginLimiter: RateLimiter;
  /** Invitations a workspace may send per hour (each one is a mail to a stranger's address). */
  inviteLimiter: RateLimiter;
  jobs: Jobs;
  mailer: Mailer;
  inviteDays: number;
  passwordCost: number;
  sessionDays: number;
  publicUrl: string;
  /** Member and team changes append domain events in their transaction. */
  events: DomainEvents;
  /** What every new workspace starts with beyond its own rows (a default email inbox), in the creating transaction. */
  provision?: (tx: Tx, workspace: { id: string; name: string }) => Promise<void>;
};
