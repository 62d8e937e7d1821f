// The interactions spine, wired from its modules: write keys, ingest, identity resolution, touchpoints, journey
// stages, customer 360 and timeline. app.ts calls this once (GDPR export and erasure are a workflow: workflows/).
import type { Audit } from './platform/audit.js';
import type { Clock } from './platform/clock.js';
import type { Db, Engine } from './platform/db/database.js';
import type { FastifyZodInstance } from './platform/fastify.js';
import { createTransactions } from './platform/db/transactions.js';
import type { Jobs } from './platform/jobs.js';
import type { Logs } from './platform/logs.js';
import type { DomainEvents } from './platform/domain-events.js';
import { createTokenBucket } from './platform/rate-limit.js';
import type { ConversationCustomerLinks } from './modules/conversations/customer-links.service.js';
import type { CustomersService } from './modules/customers/customers.service.js';
import type { OrganizationsService } from './modules/customers/organizations.service.js';
import type { IdentitiesService } from './modules/identity/identities.service.js';
import { registerCustomer360Routes } from './modules/customers/customer360.routes.js';
import { createCustomer360Service } from './modules/customers/customer360.service.js';
import { createIdentityService } from './modules/identity/identity.service.js';
import type { IdentityStore } from './modules/identity/identity.store.js';
import { registerIngestRoutes } from './modules/ingest/ingest.routes.js';
import { MAX_BATCH_EVENTS } from './modules/ingest/ingest.client.js';
import { createIngestService } from './modules/ingest/ingest.service.js';
import { createIngestStore } from './modules/ingest/ingest.store.js';
import { createInteractionsService } from './modules/interactions/interactions.service.js';
import { createInteractionsLog } from './modules/interactions/log.service.js';
import { createInteractionsStore } from './modules/interactions/interactions.store.js';
import { createJourneyService } from './modules/journeys/journey.service.js';
import { createJourneyStore } from './modules/journeys/journey.store.js';
import type { CustomerPrivacyWorkflow } from './workflows/customer-privacy.js';
import { createMergeCustomersWorkflow } from './workflows/merge-customers.js';
import { createReclassifyWorkflow } from './workflows/reclassify.js';
import { registerTouchpointRoutes } from './modules/touchpoints/touchpoints.routes.js';
import { createTouchpointsService } from './modules/touchpoints/touchpoints.service.js';
import { createTouchpointsStore } from './modules/touchpoints/touchpoints.store.js';
import { registerWriteKeyRoutes } from './modules/ingest/write-keys.routes.js';
import { createWriteKeysService, type IdentitySecrets } from './modules/ingest/write-keys.service.js';
import { createWriteKeysStore } from './modules/ingest/write-keys.store.js';

export function createInteractionsModule(deps: {
  db: Db;
  engine: Engine;
  clock: Clock;
  jobs: Jobs;
  audit: Audit;
  customers: CustomersService;
  organizations: OrganizationsService;
  identityStore: IdentityStore;
  identities: IdentitiesService;
  /** A customer's open conversations and the conversations' part of a customer merge. */
  conversations: ConversationCustomerLinks;
  logs: Logs;
  events: DomainEvents;
  /** The workspace identity secret, kept by the workspaces module. */
  secrets: IdentitySecrets;
  /** Events per second a workspace may send, and the burst above it (429 past them). */
  ingestRate?: number | undefined;
  ingestBurst?: number | undefined;
}) {
  const { db, engine, clock, jobs, audit, customers, organizations, identities, conversations } = deps;
  const transactions = createTransactions(db);
  const interactionsStore = createInteractionsStore(db, engine);
  const log = createInteractionsLog({ store: interactionsStore, events: deps.events });
  const journey = createJourneyService({ store: createJourneyStore(db, engine), transactions, clock, log });
  const touchpoints = createTouchpointsService({ store: createTouchpointsStore(), transactions, clock, audit, jobs });
  // Service-desk interactions are classified and move journey stages like ingested ones.
  const interactions = createInteractionsService({ store: interactionsStore, clock, events: deps.events, classifierFor: touchpoints.classifierFor, journey });
  const merge = createMergeCustomersWorkflow({ engine, clock, customers, identities, interactions, conversations, journey });
  const identity = createIdentityService({ store: deps.identityStore, customers, merge, clock });
  const writeKeys = createWriteKeysService({ store: createWriteKeysStore(db), transactions, clock, audit, secrets: deps.secrets });
  const ingest = createIngestService({
    log,
    store: createIngestStore(db),
    organizations,
    logs: deps.logs,
    transactions,
    engine,
    clock,
    identity,
    touchpoints,
    journey,
    rate: createTokenBucket({
      ratePerSecond: deps.ingestRate ?? 5000,
      burst: Math.max(deps.ingestBurst ?? 50_000, MAX_BATCH_EVENTS),
      now: () => clock.nowMs(),
    }),
  });
  const customer360 = createCustomer360Service({ transactions, customers, organizations, identities, interactions, conversations, touchpoints, journey });
  createReclassifyWorkflow({ jobs, transactions, touchpoints, interactions, journey });

  return {
    interactions,
    journey,
    touchpoints,
    identity,
    writeKeys,
    ingest,
    customer360,
    async registerRoutes(app: FastifyZodInstance, privacy: CustomerPrivacyWorkflow) {
      await registerIngestRoutes(app, { ingest, writeKeys });
      registerWriteKeyRoutes(app, { writeKeys });
      registerTouchpointRoutes(app, { touchpoints });
      registerCustomer360Routes(app, { customer360, privacy });
    },
  };
}
export type InteractionsModule = ReturnType<typeof createInteractionsModule>;
