#!/usr/bin/env node
// The `rapport` CLI: start | migrate | seed --demo.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { loadConfig, SETTINGS, type Config } from './config.js';
import { openDatabase, type DbHandle } from './platform/db/database.js';
import { createLogger } from './platform/log.js';
import { migrate } from './platform/db/migrations.js';
import { readPrivateKey } from './platform/mailer.js';
import { seedDemo, DEMO_LOGIN } from './seed.js';

const USAGE = `Usage: rapport <command> [options]

Commands:
  start [--port N] [--host H] [--data DIR] [--smtp-port N] [--demo]
                                                      migrate, then serve the API, the web app and the
                                                      inbound SMTP server (--demo seeds the demo workspace
                                                      on an empty database)
  migrate [--data DIR]                                apply pending database migrations
  seed --demo [--data DIR]                            create the deterministic demo workspace
  openapi                                             print the OpenAPI 3.1 document (JSON) and exit

Settings (flag / environment variable, default):
${SETTINGS.map((s) => `  ${[s.flag, s.env].filter(Boolean).join(' / ').padEnd(40)} ${s.doc} (default ${s.default || 'unset'})`).join('\n')}
`;

/** PEM text as given, or read from the file it names. */
function readPem(value: string): string {
  return value.trim().startsWith('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFileSync(value, 'utf8');
}

function openFromConfig(config: Config): DbHandle {
  return config.databaseUrl
    ? openDatabase({ engine: 'postgres', url: config.databaseUrl })
    : openDatabase({ engine: 'sqlite', file: path.join(config.dataDir, 'rapport.db') });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      demo: { type: 'boolean' },
      'smtp-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || !['start', 'migrate', 'seed', 'openapi'].includes(command)) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'openapi') {
    // The document the server serves at /api/v1/openapi.json, without a database or a port: the
    // web app's client types are generated from it (apps/web/scripts/api-types.mjs).
    const memory = openDatabase({ engine: 'sqlite', file: ':memory:' });
    await migrate(memory.db, memory.engine);
    const { app } = await buildApp({ handle: memory, logger: false, webDir: null, runWorker: false });
    await app.ready();
    const doc = `${JSON.stringify(app.swagger(), null, 2)}\n`;
    // A pipe takes large writes asynchronously: exit only once it has all of it.
    await new Promise<void>((resolve, reject) => process.stdout.write(doc, (err) => (err ? reject(err) : resolve())));
    await app.close();
    await memory.close();
    return 0;
  }
  const loaded = loadConfig({ port: values.port, host: values.host, data: values.data, 'smtp-port': values['smtp-port'] });
  if (!loaded.ok) {
    process.stderr.write(`rapport: invalid configuration\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return 2;
  }
  const config = loaded.config;
  const logger = createLogger(config.logLevel);
  const handle = openFromConfig(config);
  try {
    const applied = await migrate(handle.db, handle.engine);
    if (applied.length > 0) logger.info({ applied, engine: handle.engine }, 'migrations applied');
  } catch (err) {
    logger.fatal({ err }, 'could not migrate the database');
    await handle.close();
    return 1;
  }

  if (command === 'migrate') {
    process.stdout.write(`Database (${handle.engine}) is up to date.\n`);
    await handle.close();
    return 0;
  }
  if (command === 'seed') {
    if (!values.demo) {
      process.stderr.write('rapport seed: pass --demo to create the demo workspace\n');
      await handle.close();
      return 2;
    }
    const result = await seedDemo(handle, { passwordCost: config.passwordCost, attachmentsDir: path.join(config.dataDir, 'attachments') });
    process.stdout.write(result.created ? `Demo workspace created.\n` : `Demo workspace already exists.\n`);
    process.stdout.write(`Sign in at ${config.publicUrl} as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}\n`);
    await handle.close();
    return 0;
  }

  if (values.demo) {
    const result = await seedDemo(handle, { passwordCost: config.passwordCost, onlyIfEmpty: true, attachmentsDir: path.join(config.dataDir, 'attachments') });
    if (result.created) logger.info('demo workspace created');
  }
  const rapport = await buildApp({
    handle,
    logger,
    bodyLimit: config.bodyLimit,
    cookieSecure: config.cookieSecure,
    sessionDays: config.sessionDays,
    passwordCost: config.passwordCost,
    loginMaxAttempts: config.loginMaxAttempts,
    trustProxy: config.trustProxy,
    publicUrl: config.publicUrl,
    smtpRelayUrl: config.smtpRelayUrl,
    mailFrom: config.mailFrom,
    mailDir: path.join(config.dataDir, 'mail'),
    inviteDays: config.inviteDays,
    ingestRate: config.ingestRate,
    ingestBurst: config.ingestBurst,
    webhookAllowHosts: config.webhookAllowHosts,
    runWorker: config.runWorker,
    mailDomain: config.mailDomain,
    attachmentsDir: path.join(config.dataDir, 'attachments'),
    attachmentMaxBytes: config.attachmentMaxBytes,
    attachmentQuotaBytes: config.attachmentQuotaBytes,
    sweepIntervalMs: config.sweepIntervalMs,
    dkim:
      config.dkimDomain && config.dkimSelector && config.dkimPrivateKey
        ? { domain: config.dkimDomain, selector: config.dkimSelector, privateKey: readPrivateKey(config.dkimPrivateKey) }
        : null,
    smtp: {
      maxBytes: config.smtpMaxBytes,
      senderLimit: config.smtpSenderLimit,
      tls: config.smtpTlsKey && config.smtpTlsCert ? { key: readPem(config.smtpTlsKey), cert: readPem(config.smtpTlsCert) } : null,
    },
    ...(config.twilioApiUrl ? { twilioApiUrl: config.twilioApiUrl } : {}),
    ...(config.metaGraphUrl ? { metaGraphUrl: config.metaGraphUrl } : {}),
  });
  const { app } = rapport;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await app.close();
      await handle.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ engine: handle.engine, url: `http://${config.host}:${port}` }, 'Rapport is running');
  if (config.smtpPort !== null) {
    try {
      const smtpPort = await rapport.services.email.smtp.listen(config.smtpPort, config.smtpHost);
      logger.info({ smtp: `${config.smtpHost}:${smtpPort}` }, 'SMTP server is receiving mail');
    } catch (err) {
      // A port asked for must be had; the default one, taken by another process on the machine
      // (a second instance), leaves this one serving HTTP, saying so loudly.
      if (values['smtp-port'] !== undefined || process.env.RAPPORT_SMTP_PORT !== undefined) throw err;
      logger.error({ err, smtp: `${config.smtpHost}:${config.smtpPort}` }, 'SMTP server not started: the default port is taken (set RAPPORT_SMTP_PORT)');
    }
  }
  if (values.demo)
    process.stdout.write(
      `\nRapport: http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}  (demo login ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password})\n\n`,
    );
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`rapport: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
