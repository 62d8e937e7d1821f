// What the service desk is built from.
import type { Audit } from '../../platform/audit.js';
import type { DomainEvents } from '../../platform/domain-events.js';
import type { Bus } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import type { Transactions } from '../../platform/db/transactions.js';
import type { FileStore } from '../../platform/files.js';
import type { Jobs } from '../../platform/jobs.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import type { SlaView } from '../sla/sla.service.js';
import type { WorkspacesService } from '../workspaces/workspaces.service.js';
import type { ConversationsStore } from './conversations.store.js';

export type ConversationsDeps = {
  store: ConversationsStore;
  transactions: Transactions;
  clock: Clock;
  jobs: Jobs;
  bus: Bus;
  audit: Audit;
  customers: CustomersService;
  workspaces: WorkspacesService;
  interactions: InteractionsService;
  /** Every change appends its domain events in its own transaction. */
  events: DomainEvents;
  /** Attachments' bytes, under the data folder. */
  files: FileStore;
  /** Each conversation's SLA (read a page at a time) and the inbox's due order; without it, none. */
  sla?: SlaView;
};
