// Builds the Fastify app from a database handle, a clock and the modules.
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAudit } from './platform/audit.js';
import { AUTH_CHANGED, createAuthResolver } from './platform/auth.js';
import { createBus, createPostgresBus, type Bus } from './platform/bus.js';
import { systemClock, type Clock } from './platform/clock.js';
import { currentSchema, ping, type DbHandle } from './platform/db/database.js';
import { installAccessGuard, installErrorHandling, installIdempotency, problem, requireAuth } from './platform/http.js';
import { ZConsumerLagList, ZProblem } from '@rapport/contracts';
import { runHousekeeping } from './platform/housekeeping.js';
import { createJobs } from './platform/jobs.js';
import { createTransactions } from './platform/db/transactions.js';
import { createMailer, createMailTransport, type DkimConfig, type Mailer } from './platform/mailer.js';
import { createRateLimiter } from './platform/rate-limit.js';
import { createCannedService } from './modules/conversations/canned.service.js';
import { registerConversationRoutes } from './modules/conversations/conversations.routes.js';
import { createConversationsService } from './modules/conversations/conversations.service.js';
import { createConversationsStore } from './modules/conversations/conversations.store.js';
import { registerCustomerRoutes } from './modules/customers/customers.routes.js';
import { registerLiveRoutes } from './modules/live/live.routes.js';
import { createCustomersService } from './modules/customers/customers.service.js';
import { createCustomersStore } from './modules/customers/customers.store.js';
import { createConversationCustomerLinks } from './modules/conversations/customer-links.service.js';
import { createOrganizationsService } from './modules/customers/organizations.service.js';
import { createIdentitiesService } from './modules/identity/identities.service.js';
import { createIdentityStore } from './modules/identity/identity.store.js';
import { createInteractionsModule } from './spine.js';
import { createLogs } from './platform/logs.js';
import { createFeelings, registerFeelingsRoutes } from './modules/feelings/feelings.js';
import { createLogTail } from './platform/log-tail.js';
import { createDomainEvents } from './platform/domain-events.js';
import { createCustomerPrivacyWorkflow } from './workflows/customer-privacy.js';
import { registerWorkspaceRoutes } from './modules/workspaces/workspaces.routes.js';
import { createWorkspacesService } from './modules/workspaces/workspaces.service.js';
import { createWorkspacesStore } from './modules/workspaces/workspaces.store.js';
import { createChannels, createInboxesService, createInboxesStore, defaultInboxProvisioner } from './modules/channels/channels.js';
import { registerChannelRoutes } from './modules/channels/channels.routes.js';
import { createEmailChannel, type SmtpOptions } from './modules/channels/email/email.js';
import { installMessagingChannels } from './modules/channels/messaging.js';
import type { Sender } from './modules/channels/outbound.js';
import type { InboxChannel } from '@rapport/contracts';
import { createFileStore } from './platform/files.js';
import { registerWebhookRoutes } from './modules/webhooks/webhooks.routes.js';
import { createWebhooksService } from './modules/webhooks/webhooks.service.js';
import { createWebhooksStore } from './modules/webhooks/webhooks.store.js';
import { createEgressGuard } from './platform/ssrf.js';
import { registerWidgetRoutes } from './modules/widget/widget.routes.js';
import { createWidgetService } from './modules/widget/widget.service.js';
import { createWidgetStore } from './modules/widget/widget.store.js';
import { registerSurveyRoutes } from './modules/surveys/surveys.routes.js';
import { createContactPolicy } from './modules/rules/contact-policy.js';
import { createRulesEngine } from './modules/rules/engine.js';
import { registerRulesRoutes } from './modules/rules/rules.routes.js';
import { createRulesService } from './modules/rules/rules.service.js';
import { createRulesStore } from './modules/rules/rules.store.js';
import { createSurveysService } from './modules/surveys/surveys.service.js';
import { createSurveysStore } from './modules/surveys/surveys.store.js';
import { registerSlaRoutes } from './modules/sla/sla.routes.js';
import { createSlaService, createSlaView } from './modules/sla/sla.service.js';
import { createSlaReads, createSlaStore } from './modules/sla/sla.store.js';

export type AppOptions = {
  handle: DbHandle;
  clock?: Clock;
  logger?: FastifyBaseLogger | boolean;
  bodyLimit?: number;
  /** Default: on when `publicUrl` is https. */
  cookieSecure?: boolean;
  sessionDays?: number;
  passwordCost?: number;
  loginMaxAttempts?: number;
  /** false, a number of proxy hops, or comma-separated proxy addresses/CIDRs (never every hop). */
  trustProxy?: false | number | string;
  publicUrl?: string;
  /** Outgoing mail (invitations); by default through `smtpRelayUrl`, else written under `mailDir`. */
  mailer?: Mailer;
  /** The one relay for all outgoing mail: Rapport's own and agents' email replies. */
  smtpRelayUrl?: string;
  /** DKIM signing of outgoing mail (RAPPORT_DKIM_*). */
  dkim?: DkimConfig | null;
  /** The inbound SMTP server (size limit, per-sender limit, greeting name, STARTTLS key and certificate). */
  smtp?: Partial<SmtpOptions>;
  mailFrom?: string;
  mailDir?: string | null;
  inviteDays?: number;
  /** Ingest events per second per workspace, and the burst above it. */
  ingestRate?: number;
  ingestBurst?: number;
  /** Hosts and CIDR ranges webhooks may reach although not public (RAPPORT_WEBHOOK_ALLOW_HOSTS). */
  webhookAllowHosts?: string | undefined;
  webDir?: string | null;
  runWorker?: boolean;
  /** How often the worker sweeps due timers (SLA warnings and breaches, rules' windows and schedules); RAPPORT_SWEEP_INTERVAL_MS. */
  sweepIntervalMs?: number;
  /** Domain of default email inboxes and Message-IDs. */
  mailDomain?: string;
  /** Where attachments are stored; by default a temporary folder (tests). */
  attachmentsDir?: string;
  attachmentMaxBytes?: number;
  /** Attachment storage per workspace (bytes). */
  attachmentQuotaBytes?: number;
  /** Twilio's REST API base (RAPPORT_TWILIO_API_URL); tests point it at a fake. */
  twilioApiUrl?: string;
  /** Meta's Graph API base with its version (RAPPORT_META_GRAPH_URL). */
  metaGraphUrl?: string;
  /** Senders replacing the built-in ones of these channels (tests). */
  channelSenders?: Partial<Record<InboxChannel, Sender>>;
  version?: string;
  /** The built chat widget served at /widget.js; null serves none. Default: apps/widget/dist/widget.js. */
  widgetFile?: string | null;
};

function trustHops(n: number) {
  return (_address: string, hop: number) => hop < n;
}

export function defaultWebDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidate = path.resolve(here, '../../web/dist');
  return existsSync(path.join(candidate, 'index.html')) ? candidate : null;
}

export function defaultWidgetFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../widget/dist/widget.js');
}

export async function buildApp(opts: AppOptions) {
  const { handle } = opts;
  const { db, engine } = handle;
  const clock = opts.clock ?? systemClock;
  const app = Fastify({
    loggerInstance: typeof opts.logger === 'object' ? opts.logger : undefined,
    logger: typeof opts.logger === 'boolean' ? opts.logger : undefined,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // A hop count trusts only that many proxies in front (proxy-addr's rule: hop i < n).
    trustProxy: typeof opts.trustProxy === 'number' ? trustHops(opts.trustProxy) : (opts.trustProxy ?? false),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : `req_${Math.random().toString(36).slice(2, 12)}`;
    },
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  // Several processes on one PostgreSQL share live events through LISTEN/NOTIFY.
  const pgBus = handle.postgres
    ? await createPostgresBus({
        url: handle.postgres.url,
        schema: handle.postgres.schema ?? (await currentSchema(db)) ?? 'public',
        onError: (err) => app.log.warn({ err }, 'event bus (PostgreSQL) error'),
      })
    : null;
  const bus: Bus = pgBus ?? createBus();
  const transactions = createTransactions(db);
  const audit = createAudit({ db, clock });
  const jobs = createJobs({ db, engine, clock, logger: app.log });
  const logs = createLogs({ db, engine, clock, logger: app.log });
  const events = createDomainEvents({ logs });
  const mailFrom = opts.mailFrom ?? 'Rapport <rapport@localhost>';
  const mailTransport = createMailTransport({ relayUrl: opts.smtpRelayUrl, dkim: opts.dkim });
  const mailer =
    opts.mailer ??
    createMailer({
      transport: mailTransport,
      dkim: opts.dkim,
      from: mailFrom,
      dir: opts.mailDir ?? null,
      logger: app.log,
    });
  // Inboxes come before workspaces: a new workspace is provisioned with its default email inbox.
  const mailDomain = opts.mailDomain ?? 'rapport.localhost';
  const inboxesStore = createInboxesStore(db);
  const files = createFileStore(opts.attachmentsDir ?? path.join(tmpdir(), `rapport-attachments-${process.pid}`));
  const workspaces = createWorkspacesService({
    store: createWorkspacesStore(db, engine),
    transactions,
    clock,
    audit,
    bus,
    jobs,
    mailer,
    inviteDays: opts.inviteDays ?? 7,
    inviteLimiter: createRateLimiter({ max: 100, windowMs: 3_600_000, now: () => clock.nowMs() }),
    loginLimiter: createRateLimiter({ max: opts.loginMaxAttempts ?? 10, windowMs: 15 * 60_000, now: () => clock.nowMs() }),
    passwordCost: opts.passwordCost ?? 15,
    sessionDays: opts.sessionDays ?? 14,
    publicUrl: opts.publicUrl ?? 'http://localhost:3000',
    events,
    provision: defaultInboxProvisioner({ store: inboxesStore, clock, mailDomain }),
  });
  const inboxes = createInboxesService({ db, store: inboxesStore, clock, mailDomain, mailFrom, requireTeam: workspaces.requireTeam });
  // Modules in dependency order: the identities table first (customers link emails and phones
  // through it), then customers, then the interactions spine (the desk writes interactions
  // through it), whose customer merges and 360 reach conversations through their customer links.
  const identityStore = createIdentityStore(db, engine);
  const identities = createIdentitiesService({ store: identityStore });
  const customersStore = createCustomersStore(db, engine);
  const customers = createCustomersService({ store: customersStore, identities, transactions, clock, events });
  const organizations = createOrganizationsService({ store: customersStore, clock });
  const conversationsStore = createConversationsStore(db, engine);
  // The desk shows each conversation's SLA (one query a page) and sorts the inbox by due time.
  const slaView = createSlaView(createSlaReads(db));
  const spine = createInteractionsModule({
    db,
    engine,
    clock,
    jobs,
    audit,
    customers,
    organizations,
    identityStore,
    identities,
    conversations: createConversationCustomerLinks({ store: conversationsStore }),
    logs,
    events,
    secrets: workspaces,
    ingestRate: opts.ingestRate,
    ingestBurst: opts.ingestBurst,
  });
  const { interactions } = spine;
  const conversations = createConversationsService({
    store: conversationsStore,
    transactions,
    clock,
    jobs,
    bus,
    audit,
    customers,
    workspaces,
    interactions,
    events,
    files,
    sla: slaView,
  });
  const channels = createChannels({
    db,
    clock,
    jobs,
    logs,
    files,
    inboxes,
    messages: conversations.channels,
    maxAttachmentBytes: opts.attachmentMaxBytes ?? 25 * 1024 * 1024,
    attachmentQuotaBytes: opts.attachmentQuotaBytes ?? 10 * 1024 ** 3,
    logger: app.log,
  });
  const email = createEmailChannel({
    channels,
    clock,
    logger: app.log,
    transport: mailTransport,
    mailDomain,
    workspaceName: async (workspaceId) => (await workspaces.adminContacts(workspaceId)).workspaceName,
    smtp: opts.smtp,
  });
  const webhooks = createWebhooksService({
    store: createWebhooksStore(),
    transactions,
    clock,
    audit,
    jobs,
    logs,
    mailer,
    admins: workspaces,
    guard: createEgressGuard({ allow: opts.webhookAllowHosts }),
    publicUrl: opts.publicUrl ?? 'http://localhost:3000',
  });
  // Text analytics: a consumer of the domain events (customer messages), just behind the write.
  const feelings = createFeelings({ db, clock, logs, events, conversations, interactions, customers });
  // Surveys: triggers are a consumer of the domain events; sends and follow-ups are jobs.
  const surveys = createSurveysService({
    store: createSurveysStore(),
    transactions,
    clock,
    audit,
    jobs,
    logs,
    mailer,
    customers,
    conversations,
    interactions,
    workspaces,
    // The widget is built just below; a send reaches it only once the app runs.
    chat: {
      hasVisitor: (workspaceId, customerId) => widget.hasVisitor(workspaceId, customerId),
      push: (workspaceId, customerId, survey) => widget.pushSurvey(workspaceId, customerId, survey),
    },
    publicUrl: opts.publicUrl ?? 'http://localhost:3000',
  });
  // The proactive engine: a consumer of the domain events, a sweep of windows and schedules, and
  // jobs that execute firings under the one contact policy.
  const rulesStore = createRulesStore(engine);
  const contactPolicy = createContactPolicy({ store: rulesStore, openCountOf: conversations.system.openCountOf });
  const ruleDeps = {
    requireTeam: workspaces.requireTeam,
    requireActiveMember: workspaces.requireActiveMember,
    workspaceName: async (workspaceId: string) => (await workspaces.adminContacts(workspaceId)).workspaceName,
  };
  const rulesEngine = createRulesEngine({
    store: rulesStore,
    transactions,
    clock,
    jobs,
    logs,
    logger: app.log,
    policy: contactPolicy,
    customers,
    journey: spine.journey,
    interactions,
    conversations,
    inboxOf: inboxes.inboxOf,
    guard: createEgressGuard({ allow: opts.webhookAllowHosts }),
    surveys,
    ...ruleDeps,
  });
  const rules = createRulesService({
    store: rulesStore,
    transactions,
    clock,
    policy: contactPolicy,
    customers,
    interactions,
    surveyExists: surveys.exists,
    poke: () => jobs.poke(),
    ...ruleDeps,
  });
  // SLA policies: a consumer of the domain events keeps each conversation's due times; the worker's sweep warns and breaches.
  const sla = createSlaService({
    store: createSlaStore(),
    transactions,
    clock,
    audit,
    logs,
    events,
    customers,
    journey: spine.journey,
    workspaces,
  });
  // The chat widget: its sender delivers agent replies on chat inboxes to the visitors' sockets.
  let live: Awaited<ReturnType<typeof registerLiveRoutes>> | null = null;
  const widget = createWidgetService({
    store: createWidgetStore(db),
    transactions,
    clock,
    audit,
    bus,
    mailer,
    logger: app.log,
    inboxes,
    inbound: channels.inbound,
    outbound: channels.outbound,
    messages: conversations.channels,
    customers,
    identities,
    ingest: spine.ingest,
    surveys,
    agentsOnline: (workspaceId) => live?.agentsOnline(workspaceId) ?? 0,
  });
  channels.outbound.registerSender('chat', widget.deliver);
  const canned = createCannedService({ store: conversationsStore, transactions, clock, audit, conversations, customers });

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Rapport API', version: opts.version ?? '0.1.0', description: 'Customer service and customer experience in one platform.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'rapport_session' },
          basic: { type: 'http', scheme: 'basic', description: 'ingest: the write key as user name' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });
  installErrorHandling(app);
  const authResolver = createAuthResolver({ db, clock });
  bus.subscribe((e) => e.type === AUTH_CHANGED && authResolver.invalidate());
  installAccessGuard(app, authResolver);
  installIdempotency(app, { db, clock });

  app.get('/health', { config: { access: 'public' }, schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  // /ready is public and polled: how long each consumer's oldest waiting entry has waited, in
  // whole seconds, counted at most every 5 s (no counts, nothing of any one workspace).
  let health: { at: number; value: Promise<Array<{ name: string; ageSeconds: number; failing: boolean }>> } | null = null;
  const consumerHealth = () => {
    if (!health || clock.nowMs() - health.at > 5_000 || clock.nowMs() < health.at) {
      const value = logs.lag().then((all) => all.map((c) => ({ name: c.name, ageSeconds: Math.round(c.ageSeconds), failing: c.failing !== null })));
      health = { at: clock.nowMs(), value };
      value.catch(() => (health = null));
    }
    return health.value;
  };
  app.get('/ready', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await ping(db);
      return { status: 'ready', engine, consumers: await consumerHealth() };
    } catch {
      return problem(reply, { status: 503, title: 'Not ready', detail: 'The database does not answer' });
    }
  });
  app.get(
    '/api/v1/system/consumers',
    {
      config: { access: 'settings.manage' },
      schema: {
        tags: ['system'],
        summary: "How far each log consumer is behind on this workspace's entries (ingest processing, event consumers)",
        response: { 200: ZConsumerLagList, 401: ZProblem, 403: ZProblem },
      },
    },
    async (req) => {
      const { workspaceId } = requireAuth(req);
      return { data: (await logs.lag(workspaceId)).map(({ failing: _f, ...c }) => c) };
    },
  );
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // Secure by default behind an https public URL, whoever builds the app (not only the CLI's config).
  const cookieSecure = opts.cookieSecure ?? /^https:/i.test(opts.publicUrl ?? '');
  registerWorkspaceRoutes(app, { workspaces, audit, cookieSecure });
  registerCustomerRoutes(app, { customers, organizations, profile: spine.customer360.get });
  registerConversationRoutes(app, { conversations, canned });
  registerWebhookRoutes(app, { webhooks });
  registerSurveyRoutes(app, { surveys });
  registerRulesRoutes(app, { rules });
  registerFeelingsRoutes(app, { feelings });
  registerSlaRoutes(app, { sla });
  registerChannelRoutes(app, { inboxes, messages: conversations.channels, files });
  const messaging = await installMessagingChannels(app, {
    channels,
    conversations,
    identities,
    autocommit: transactions.autocommit,
    clock,
    publicUrl: opts.publicUrl ?? null,
    twilioApiUrl: opts.twilioApiUrl,
    metaGraphUrl: opts.metaGraphUrl,
    senders: opts.channelSenders,
  });
  const privacy = createCustomerPrivacyWorkflow({
    transactions,
    clock,
    audit,
    customers,
    customer360: spine.customer360,
    conversations,
    interactions,
    identity: spine.identity,
    identities,
    ingest: spine.ingest,
    journey: spine.journey,
    logs,
    webhooks,
    widget,
    feelings,
    sla,
  });
  await spine.registerRoutes(app, privacy);
  // Every process tails the domain-events log for its sockets (a tail, not a shared consumer).
  const liveTail = createLogTail({ store: logs.store, log: 'domain_events', logger: app.log });
  live = await registerLiveRoutes(app, { db, bus, clock, conversations, tail: liveTail });
  registerWidgetRoutes(app, { widget, bus, widgetFile: opts.widgetFile === undefined ? defaultWidgetFile() : opts.widgetFile });

  const webDir = opts.webDir === undefined ? defaultWebDir() : opts.webDir;
  if (webDir) {
    // serve:false: @fastify/static's own routes carry no access rule (the guard refuses them at
    // start-up), so this one public route serves the built files and falls back to index.html.
    await app.register(fastifyStatic, { root: webDir, serve: false, preCompressed: true });
    const root = path.resolve(webDir);
    app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
      if (req.url.startsWith('/api/') || req.url.startsWith('/v1/') || req.url.startsWith('/widget/') || req.url.startsWith('/s/')) return reply.callNotFound();
      const rel = (req.url.split('?')[0] ?? '/').replace(/^\/+/, '');
      const file = path.resolve(root, rel);
      if (rel && file.startsWith(root + path.sep) && existsSync(file) && statSync(file).isFile()) {
        // Vite names assets by content hash: cache them for good; index.html is always revalidated.
        return reply.sendFile(path.relative(root, file), rel.startsWith('assets/') ? { maxAge: '365d', immutable: true } : { cacheControl: false });
      }
      return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    });
  }

  let housekeeping: NodeJS.Timeout | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  let sweeping: Promise<unknown> | null = null;
  if (opts.runWorker) {
    app.addHook('onReady', async () => {
      jobs.start();
      logs.start();
      // Due timers, one sweep for both: SLA warnings and breaches first (rules act on them), then
      // rules' absence and idle windows and schedules; a sweep still running is not started twice.
      sweeper = setInterval(() => {
        if (sweeping) return;
        sweeping = sla
          .sweep()
          .catch((err: unknown) => app.log.error({ err }, 'SLA sweep failed'))
          .then(() => rulesEngine.sweep())
          .catch((err: unknown) => app.log.error({ err }, 'rules sweep failed'))
          .finally(() => (sweeping = null));
      }, opts.sweepIntervalMs ?? 1000);
      sweeper.unref();
      const sweep = () =>
        void runHousekeeping(db, clock)
          // Log retention: what every consumer has passed and is older than its log keeps.
          .then(() => logs.trim())
          .then(() => webhooks.prune())
          .then(() => widget.prune())
          .catch((err: unknown) => app.log.error({ err }, 'housekeeping failed'));
      sweep();
      housekeeping = setInterval(sweep, 3_600_000);
      housekeeping.unref();
    });
  }
  app.addHook('onClose', async () => {
    if (housekeeping) clearInterval(housekeeping);
    if (sweeper) clearInterval(sweeper);
    await sweeping;
    await email.smtp.close();
    await jobs.stop();
    await logs.stop();
    mailTransport?.close();
    await pgBus?.close();
  });

  return {
    app,
    db,
    engine,
    clock,
    bus,
    jobs,
    logs,
    audit,
    services: {
      workspaces,
      customers,
      conversations,
      canned,
      interactions,
      spine,
      channels,
      email,
      webhooks,
      widget,
      messaging,
      feelings,
      surveys,
      rules,
      rulesEngine,
      sla,
    },
  };
}
export type Rapport = Awaited<ReturnType<typeof buildApp>>;
