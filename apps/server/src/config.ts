// Configuration from flags and environment, validated with zod at start.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { allowEntryProblem } from './platform/ssrf.js';

/** An address or CIDR that proxy-addr accepts (or one of its names), checked here rather than failing at start-up. */
function isProxyAddress(a: string): boolean {
  if (a === 'loopback' || a === 'linklocal' || a === 'uniquelocal') return true;
  const [ip = '', bits, ...rest] = a.split('/');
  const version = isIP(ip);
  if (version === 0 || rest.length > 0) return false;
  // A /0 range trusts every address, which is trusting every hop.
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) > 0 && Number(bits) <= (version === 4 ? 32 : 128));
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

export const ZConfig = z.object({
  port: z.coerce.number({ message: 'must be a number' }).int().min(0).max(65535, 'must be a port number (0-65535)'),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  bodyLimit: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(1024)
    .max(64 * 1024 * 1024),
  cookieSecure: bool.optional(),
  sessionDays: z.coerce.number({ message: 'must be a number of days' }).int().min(1).max(365),
  passwordCost: z.coerce.number({ message: 'must be a number' }).int().min(10).max(20),
  loginMaxAttempts: z.coerce.number({ message: 'must be a number' }).int().min(1).max(1000),
  trustProxy: z
    .string()
    .trim()
    .refine((v) => v !== 'true', 'trusting every X-Forwarded-For hop lets any client choose its IP: give the number of proxies (1) or their addresses')
    .refine(
      (v) => v === 'false' || /^\d{1,2}$/.test(v) || v.split(',').every((a) => isProxyAddress(a.trim())),
      'must be false, a number of proxy hops, or comma-separated proxy addresses/CIDRs',
    )
    .transform((v): false | number | string => (v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  runWorker: bool,
  publicUrl: z.url({ message: 'must be a URL such as http://localhost:3000' }),
  smtpRelayUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps:// (smtp://user:pass@host:587)')
    .optional(),
  mailFrom: z.string().min(3),
  inviteDays: z.coerce.number({ message: 'must be a number of days' }).int().min(1).max(90),
  ingestRate: z.coerce.number({ message: 'must be a number of events per second' }).int().min(1).max(1_000_000),
  ingestBurst: z.coerce.number({ message: 'must be a number of events' }).int().min(2500, 'must be at least 2500 (one full batch)').max(10_000_000),
  webDir: z.string().optional(),
  mailDomain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'must be a domain name such as mail.example.com')
    .transform((s) => s.toLowerCase()),
  attachmentMaxBytes: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024),
  attachmentQuotaBytes: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(1024 * 1024)
    .max(2 ** 50),
  sweepIntervalMs: z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(50).max(3_600_000),
  smtpPort: z
    .string()
    .trim()
    .refine((v) => v === 'off' || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), 'must be a port number (0-65535) or off')
    .transform((v) => (v === 'off' ? null : Number(v))),
  smtpHost: z.string().min(1),
  smtpMaxBytes: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(10 * 1024)
    .max(1024 * 1024 * 1024),
  smtpSenderLimit: z.coerce.number({ message: 'must be a number of mails' }).int().min(1).max(1_000_000),
  smtpTlsKey: z.string().min(1).optional(),
  smtpTlsCert: z.string().min(1).optional(),
  dkimDomain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'must be a domain name such as example.com')
    .optional(),
  dkimSelector: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9._-]{0,62})$/i, 'must be a DKIM selector such as rapport')
    .optional(),
  dkimPrivateKey: z.string().min(1).optional(),
  twilioApiUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://api.twilio.com' }).optional(),
  metaGraphUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://graph.facebook.com/v21.0' }).optional(),
  webhookAllowHosts: z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      for (const entry of v
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const problem = allowEntryProblem(entry.toLowerCase());
        if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: give comma-separated host names, addresses or CIDR ranges (127.0.0.0/8)` });
      }
    })
    .optional(),
});
export type Config = z.infer<typeof ZConfig>;

export const SETTINGS: Array<{ key: keyof Config; env: string; flag?: string; default: string; doc: string }> = [
  { key: 'port', env: 'PORT', flag: '--port', default: '3000', doc: 'HTTP port' },
  { key: 'host', env: 'HOST', flag: '--host', default: '127.0.0.1', doc: 'address to listen on (0.0.0.0 for all interfaces)' },
  { key: 'dataDir', env: 'RAPPORT_DATA_DIR', flag: '--data', default: './data', doc: 'folder of the SQLite database (rapport.db)' },
  { key: 'databaseUrl', env: 'DATABASE_URL', default: '', doc: 'postgres://… switches storage to PostgreSQL' },
  { key: 'logLevel', env: 'LOG_LEVEL', default: 'info', doc: 'pino log level' },
  { key: 'bodyLimit', env: 'RAPPORT_BODY_LIMIT', default: '1048576', doc: 'largest accepted request body in bytes (413 above)' },
  {
    key: 'cookieSecure',
    env: 'RAPPORT_COOKIE_SECURE',
    default: '',
    doc: 'mark the session cookie Secure; by default on when RAPPORT_PUBLIC_URL is https',
  },
  { key: 'sessionDays', env: 'RAPPORT_SESSION_DAYS', default: '14', doc: 'how long a browser session lasts' },
  { key: 'passwordCost', env: 'RAPPORT_PASSWORD_COST', default: '15', doc: 'scrypt cost, log2(N); 15 uses 32 MiB per hash' },
  { key: 'loginMaxAttempts', env: 'RAPPORT_LOGIN_MAX_ATTEMPTS', default: '10', doc: 'failed logins per email and per IP in 15 minutes before 429' },
  {
    key: 'trustProxy',
    env: 'RAPPORT_TRUST_PROXY',
    default: 'false',
    doc: 'client IPs from X-Forwarded-For: the number of proxies in front (1) or their addresses/CIDRs (10.0.0.0/8,…); false: the socket address',
  },
  { key: 'runWorker', env: 'RAPPORT_RUN_WORKER', default: 'true', doc: 'run the background job worker in this process' },
  {
    key: 'publicUrl',
    env: 'RAPPORT_PUBLIC_URL',
    default: 'http://localhost:3000',
    doc: 'base URL used in invitation links, Twilio status callbacks and Twilio signature checks (the URL providers call)',
  },
  {
    key: 'smtpRelayUrl',
    env: 'RAPPORT_SMTP_RELAY_URL',
    default: '',
    doc: "smtp://user:pass@host:587 relay for all outgoing mail (agents' email replies, invitations, resets); unset: Rapport's own mail is written to <data>/mail/*.eml and email replies fail with that reason",
  },
  { key: 'mailFrom', env: 'RAPPORT_MAIL_FROM', default: 'Rapport <rapport@localhost>', doc: 'From address of mail Rapport sends' },
  { key: 'inviteDays', env: 'RAPPORT_INVITE_DAYS', default: '7', doc: 'how long an invitation link works' },
  { key: 'ingestRate', env: 'RAPPORT_INGEST_RATE', default: '5000', doc: 'ingest events per second per workspace (429 with Retry-After above the burst)' },
  { key: 'ingestBurst', env: 'RAPPORT_INGEST_BURST', default: '50000', doc: 'ingest events a workspace may send at once above its rate' },
  {
    key: 'mailDomain',
    env: 'RAPPORT_MAIL_DOMAIN',
    default: 'rapport.localhost',
    doc: "domain of the workspaces' default email inboxes (<name>-<random>@domain) and of outgoing Message-IDs",
  },
  {
    key: 'attachmentMaxBytes',
    env: 'RAPPORT_ATTACHMENT_MAX_BYTES',
    default: '26214400',
    doc: "largest total of one inbound message's attachments, in bytes (stored under <data>/attachments)",
  },
  {
    key: 'attachmentQuotaBytes',
    env: 'RAPPORT_ATTACHMENT_QUOTA_BYTES',
    default: '10737418240',
    doc: "attachment storage of one workspace, in bytes: an inbound message whose attachments would pass it is refused (552 by SMTP, 413 from webhooks)",
  },
  {
    key: 'smtpPort',
    env: 'RAPPORT_SMTP_PORT',
    flag: '--smtp-port',
    default: '2525',
    doc: 'port of the inbound SMTP server (the MX of the email inboxes); off: no SMTP server',
  },
  { key: 'smtpHost', env: 'RAPPORT_SMTP_HOST', default: '127.0.0.1', doc: 'address the SMTP server listens on (0.0.0.0 for all interfaces)' },
  { key: 'smtpMaxBytes', env: 'RAPPORT_SMTP_MAX_BYTES', default: '26214400', doc: 'largest inbound mail in bytes (advertised as SIZE; 552 above)' },
  {
    key: 'smtpSenderLimit',
    env: 'RAPPORT_SMTP_SENDER_LIMIT',
    default: '10',
    doc: 'mails one sender may send one inbox per 10 minutes (451 4.7.1 above)',
  },
  {
    key: 'smtpTlsKey',
    env: 'RAPPORT_SMTP_TLS_KEY',
    default: '',
    doc: 'PEM private key (or its file) for STARTTLS on the SMTP server; STARTTLS is off without key and certificate',
  },
  { key: 'smtpTlsCert', env: 'RAPPORT_SMTP_TLS_CERT', default: '', doc: 'PEM certificate chain (or its file) for STARTTLS' },
  { key: 'dkimDomain', env: 'RAPPORT_DKIM_DOMAIN', default: '', doc: 'DKIM-sign outgoing mail for this domain (d=); needs the selector and the private key' },
  { key: 'dkimSelector', env: 'RAPPORT_DKIM_SELECTOR', default: '', doc: 'DKIM selector (s=): the key is published at <selector>._domainkey.<domain>' },
  { key: 'dkimPrivateKey', env: 'RAPPORT_DKIM_PRIVATE_KEY', default: '', doc: 'DKIM private key: PEM text or the path of a PEM file' },
  {
    key: 'twilioApiUrl',
    env: 'RAPPORT_TWILIO_API_URL',
    default: 'https://api.twilio.com',
    doc: "Twilio's REST API base URL (SMS inboxes send through {url}/2010-04-01/Accounts/{sid}/Messages.json)",
  },
  {
    key: 'metaGraphUrl',
    env: 'RAPPORT_META_GRAPH_URL',
    default: 'https://graph.facebook.com/v21.0',
    doc: "Meta's Graph API base URL with its version (WhatsApp and Messenger inboxes send through it)",
  },
  {
    key: 'sweepIntervalMs',
    env: 'RAPPORT_SWEEP_INTERVAL_MS',
    default: '1000',
    doc: 'how often rules close absence and idle windows that ended and start due schedules, in milliseconds',
  },
  {
    key: 'webhookAllowHosts',
    env: 'RAPPORT_WEBHOOK_ALLOW_HOSTS',
    default: '',
    doc: 'host names or CIDR ranges (comma-separated, e.g. 127.0.0.0/8) webhooks may reach although private, loopback or link-local; unset: public addresses only',
  },
];

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

export function loadConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const raw: Record<string, string | undefined> = {};
  for (const s of SETTINGS) {
    const fromFlag = s.flag ? flags[s.flag.slice(2)] : undefined;
    const value = fromFlag ?? env[s.env] ?? (s.default === '' ? undefined : s.default);
    raw[s.key] = value;
  }
  const parsed = ZConfig.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => {
        const s = SETTINGS.find((x) => x.key === i.path[0]);
        const name = s ? [s.flag, s.env].filter(Boolean).join(' / ') : String(i.path[0]);
        return `${name}: ${i.message} (got ${JSON.stringify(raw[String(i.path[0])])})`;
      }),
    };
  }
  const dkim = [parsed.data.dkimDomain, parsed.data.dkimSelector, parsed.data.dkimPrivateKey];
  if (dkim.some(Boolean) && !dkim.every(Boolean))
    return { ok: false, errors: ['RAPPORT_DKIM_DOMAIN / RAPPORT_DKIM_SELECTOR / RAPPORT_DKIM_PRIVATE_KEY: set all three to sign outgoing mail, or none'] };
  if (Boolean(parsed.data.smtpTlsKey) !== Boolean(parsed.data.smtpTlsCert))
    return { ok: false, errors: ['RAPPORT_SMTP_TLS_KEY / RAPPORT_SMTP_TLS_CERT: set both to offer STARTTLS, or neither'] };
  const cookieSecure = parsed.data.cookieSecure ?? new URL(parsed.data.publicUrl).protocol === 'https:';
  return { ok: true, config: { ...parsed.data, cookieSecure, dataDir: path.resolve(parsed.data.dataDir) } };
}
