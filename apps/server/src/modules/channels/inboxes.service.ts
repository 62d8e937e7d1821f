// Inboxes: create, list, change and remove them; find one for an inbound message. The routing key
// (`address`) is unique across the server for its channel — mail for help@acme.test can reach only
// one workspace — so the first workspace to claim an address has it (see docs/security.md).
import { INBOX_ADDRESS, INBOX_SECRETS, INBOX_SETTINGS, type CreateInbox, type Inbox, type InboxChannel, type UpdateInbox } from '@rapport/contracts';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, Tx } from '../../platform/db/database.js';
import type { InboxRow } from '../../platform/db/schema.js';
import { conflict, invalid, notFound, type FieldError } from '../../platform/errors.js';
import { newId, randomSecret } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { InboxesStore } from './inboxes.store.js';

/** An inbox as the server uses it: with its secrets (never sent to a client). */
export type InboxRecord = {
  id: string;
  workspaceId: string;
  channel: InboxChannel;
  name: string;
  address: string | null;
  teamId: string | null;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  enabled: boolean;
  isDefault: boolean;
};

const MAX_INBOXES = 100;
const NAMES: Record<InboxChannel, string> = { email: 'Email', chat: 'Chat', sms: 'SMS', whatsapp: 'WhatsApp', messenger: 'Messenger', api: 'API' };

export const toRecord = (r: InboxRow): InboxRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  channel: r.channel as InboxChannel,
  name: r.name,
  address: r.address,
  teamId: r.team_id,
  settings: parseJsonObject(r.settings),
  secrets: parseJsonObject(r.secrets) as Record<string, string>,
  enabled: Number(r.enabled) === 1,
  isDefault: Number(r.is_default) === 1,
});

export const toInbox = (r: InboxRow): Inbox => {
  const rec = toRecord(r);
  return {
    id: rec.id,
    channel: rec.channel,
    name: rec.name,
    address: rec.address,
    teamId: rec.teamId,
    settings: rec.settings,
    secretsSet: Object.keys(rec.secrets).sort(),
    enabled: rec.enabled,
    isDefault: rec.isDefault,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
};

function parseOr(schema: z.ZodType, value: unknown, field: string): Record<string, unknown> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data as Record<string, unknown>;
  const errors: FieldError[] = r.error.issues.map((i) => ({ path: [field, ...i.path].join('.'), message: i.message }));
  throw invalid(`Invalid ${field} for this channel`, errors);
}

const isUniqueViolation = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || (typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT')) || /UNIQUE constraint/.test(e?.message ?? '');
};

/** Mailboxes every mail domain answers for (RFC 2142): mail to them is the operator's, never a tenant's. */
const ROLE_MAILBOXES = ['postmaster', 'abuse', 'hostmaster', 'webmaster', 'mailer-daemon'];

/**
 * The addresses no inbox may claim: the From of Rapport's own mail (invitations, password resets,
 * chat replies mailed to visitors of every workspace — whoever held it would read the answers)
 * and the role mailboxes of its domains.
 */
function serverMailAddresses(mailDomain: string, mailFrom: string | undefined): Set<string> {
  // `Name <address>` or a bare address
  const from = /([^<>\s]+@[^<>\s]+)>?\s*$/.exec(mailFrom ?? '')?.[1];
  const domains = new Set([mailDomain.toLowerCase()]);
  const out = new Set<string>();
  if (from) {
    out.add(from.toLowerCase());
    domains.add(from.slice(from.lastIndexOf('@') + 1).toLowerCase());
  }
  for (const d of domains) for (const m of ROLE_MAILBOXES) out.add(`${m}@${d}`);
  return out;
}

/**
 * A new workspace's email inbox, in the creating transaction: <name>-<random>@<mail domain>. Built
 * before the workspaces service (which provisions every new workspace with it).
 */
export function defaultInboxProvisioner(deps: { store: InboxesStore; clock: Clock; mailDomain: string }) {
  return async (tx: Tx, workspace: { id: string; name: string }) => {
    const slug =
      workspace.name
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 30) || 'support';
    const now = deps.clock.nowIso();
    await deps.store.insert(tx, {
      workspace_id: workspace.id,
      id: newId('inbox'),
      channel: 'email',
      name: 'Email',
      address: `${slug}-${randomBytes(3).toString('hex')}@${deps.mailDomain}`,
      team_id: null,
      settings: '{}',
      secrets: '{}',
      enabled: 1,
      is_default: 1,
      created_at: now,
      updated_at: now,
    });
  };
}

export function createInboxesService(deps: {
  db: Db;
  store: InboxesStore;
  clock: Clock;
  mailDomain: string;
  /** The address Rapport's own mail comes from (RAPPORT_MAIL_FROM): replies to it are the server's. */
  mailFrom?: string | undefined;
  /** A team of the workspace, or NOT_FOUND. */
  requireTeam: (workspaceId: string, teamId: string) => Promise<unknown>;
}) {
  const { store, clock } = deps;
  const serverAddresses = serverMailAddresses(deps.mailDomain, deps.mailFrom);

  function addressOf(channel: InboxChannel, address: string | undefined): string | null {
    const schema = INBOX_ADDRESS[channel];
    if (!schema) {
      if (address !== undefined) throw invalid(`A ${channel} inbox has no address`, [{ path: 'address', message: 'not allowed for this channel' }]);
      return null;
    }
    if (address === undefined) return null;
    const r = schema.safeParse(address);
    if (!r.success) throw invalid('Invalid address', [{ path: 'address', message: r.error.issues[0]?.message ?? 'invalid' }]);
    return r.data;
  }

  /**
   * An email address is unique on the server (mail is routed by it); a number or page id only in
   * its workspace, so no tenant can squat another company's number or learn that it is in use.
   */
  async function claim(insert: () => Promise<unknown>, workspaceId: string, channel: string, address: string | null) {
    if (channel === 'email' && address && serverAddresses.has(address)) throw conflict(`The email address ${address} is this server's own`);
    if (address && (await store.byAddress(channel, address, channel === 'email' ? null : workspaceId)))
      throw conflict(`The ${channel} address ${address} belongs to another inbox`);
    try {
      await insert();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`The ${channel} address ${address ?? ''} belongs to another inbox`.trim());
      throw err;
    }
  }

  function generated(channel: InboxChannel): Record<string, string> {
    return channel === 'chat' ? { identitySecret: randomSecret(32) } : {};
  }

  const service = {
    async create(auth: AuthContext, input: CreateInbox): Promise<Inbox & { generatedSecrets?: Record<string, string> }> {
      requirePermission(auth, 'settings.manage');
      const channel = input.channel;
      const settings = parseOr(INBOX_SETTINGS[channel], input.settings, 'settings');
      const given = parseOr(INBOX_SECRETS[channel], input.secrets, 'secrets') as Record<string, string>;
      const extra = Object.fromEntries(Object.entries(generated(channel)).filter(([k]) => given[k] === undefined));
      const address = addressOf(channel, input.address);
      if (channel === 'email' && !address) throw invalid('An email inbox needs its address', [{ path: 'address', message: 'required' }]);
      if (input.teamId) await deps.requireTeam(auth.workspaceId, input.teamId);
      if ((await store.count(auth.workspaceId)) >= MAX_INBOXES) throw conflict(`A workspace has at most ${MAX_INBOXES} inboxes`);
      const now = clock.nowIso();
      const row: InboxRow = {
        workspace_id: auth.workspaceId,
        id: newId('inbox'),
        channel,
        name: input.name ?? (address ? `${NAMES[channel]} ${address}` : NAMES[channel]),
        address,
        team_id: input.teamId ?? null,
        settings: JSON.stringify(settings),
        secrets: JSON.stringify({ ...given, ...extra }),
        enabled: input.enabled === false ? 0 : 1,
        is_default: 0,
        created_at: now,
        updated_at: now,
      };
      await claim(() => store.insert(deps.db, row), auth.workspaceId, channel, address);
      return { ...toInbox(row), ...(Object.keys(extra).length > 0 ? { generatedSecrets: extra } : {}) };
    },

    async list(auth: AuthContext): Promise<Inbox[]> {
      requirePermission(auth, 'settings.read');
      return (await store.list(auth.workspaceId)).map(toInbox);
    },

    async get(auth: AuthContext, id: string): Promise<Inbox> {
      requirePermission(auth, 'settings.read');
      const row = await store.get(auth.workspaceId, id);
      if (!row) throw notFound('Inbox');
      return toInbox(row);
    },

    async update(auth: AuthContext, id: string, input: UpdateInbox): Promise<Inbox> {
      requirePermission(auth, 'settings.manage');
      const row = await store.get(auth.workspaceId, id);
      if (!row) throw notFound('Inbox');
      const channel = row.channel as InboxChannel;
      const patch: Partial<InboxRow> = { updated_at: clock.nowIso() };
      if (input.name !== undefined) patch.name = input.name;
      if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
      if (input.teamId !== undefined) {
        if (input.teamId) await deps.requireTeam(auth.workspaceId, input.teamId);
        patch.team_id = input.teamId;
      }
      // Settings merge over what is set (a partial update keeps the rest); secrets likewise, and a
      // secret set to "" is removed.
      if (input.settings !== undefined)
        patch.settings = JSON.stringify(parseOr(INBOX_SETTINGS[channel], { ...parseJsonObject(row.settings), ...input.settings }, 'settings'));
      if (input.secrets !== undefined) {
        const kept = Object.fromEntries(Object.entries({ ...parseJsonObject(row.secrets), ...input.secrets }).filter(([, v]) => v !== ''));
        patch.secrets = JSON.stringify(parseOr(INBOX_SECRETS[channel], kept, 'secrets'));
      }
      let address = row.address;
      if (input.address !== undefined && addressOf(channel, input.address) !== row.address) {
        address = addressOf(channel, input.address);
        patch.address = address;
      }
      if (patch.address !== undefined) await claim(() => store.update(auth.workspaceId, id, patch), auth.workspaceId, channel, address);
      else await store.update(auth.workspaceId, id, patch);
      return toInbox({ ...row, ...patch });
    },

    async remove(auth: AuthContext, id: string): Promise<void> {
      requirePermission(auth, 'settings.manage');
      const r = await store.remove(auth.workspaceId, id);
      if (Number(r.numDeletedRows ?? 0) === 0) throw notFound('Inbox');
    },

    // For the channels: routing an inbound message, and delivering a reply.
    /** Email by address on the whole server; other channels' addresses only within a workspace. */
    findByAddress: async (channel: InboxChannel, address: string, workspaceId?: string): Promise<InboxRecord | null> => {
      if (channel !== 'email' && !workspaceId) return null;
      const row = await store.byAddress(channel, channel === 'email' ? address.toLowerCase() : address, channel === 'email' ? null : (workspaceId ?? null));
      return row ? toRecord(row) : null;
    },
    /** An address of the server itself (its From, its postmaster): no workspace may have it. */
    isServerAddress: (address: string) => serverAddresses.has(address.trim().toLowerCase()),
    getRecord: async (id: string): Promise<InboxRecord | null> => {
      if (!/^inb_[0-9a-f]{32}$/.test(id)) return null;
      const row = await store.byId(id);
      return row ? toRecord(row) : null;
    },
    recordOf: async (workspaceId: string, id: string): Promise<InboxRecord | null> => {
      const row = await store.get(workspaceId, id);
      return row ? toRecord(row) : null;
    },
    /** The workspace's inbox of a channel (its default first), if it has an enabled one. */
    inboxOf: async (workspaceId: string, channel: string): Promise<InboxRecord | null> => {
      const row = await store.firstOfChannel(workspaceId, channel);
      return row ? toRecord(row) : null;
    },
    /** The workspace's chat inbox (the widget's), if it has an enabled one. */
    chatInboxOf: async (workspaceId: string): Promise<InboxRecord | null> => {
      const row = await store.firstOfChannel(workspaceId, 'chat');
      return row ? toRecord(row) : null;
    },
  };
  return service;
}
export type InboxesService = ReturnType<typeof createInboxesService>;
