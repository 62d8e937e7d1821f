// A module's tables are its own (issue 9): each store may name only the tables its module owns.
// The table map is the one place that says who owns what; a store that reaches another
// module's table (in the query builder or in raw SQL) fails here, so a cross-module change goes
// through the owner's service or a workflow (workflows/).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.resolve(import.meta.dirname, '../..');

const OWNERS: Record<string, string[]> = {
  workspaces: ['workspaces', 'users', 'sessions', 'members', 'teams', 'team_members', 'api_tokens', 'invitations'],
  customers: ['customers', 'customer_merges', 'organizations', 'organization_members'],
  identity: ['identities'],
  channels: ['inboxes'],
  conversations: [
    'conversations',
    'messages',
    'message_attachments',
    'message_search',
    'message_search_terms',
    'conversation_tags',
    'custom_fields',
    'canned_responses',
  ],
  interactions: ['interactions'],
  journeys: ['customer_journeys'],
  touchpoints: ['touchpoints', 'journey_settings'],
  ingest: ['write_keys', 'rejected_events', 'rejected_event_counts'],
  webhooks: ['webhooks', 'webhook_deliveries'],
  widget: ['widget_visitors'],
  surveys: ['surveys', 'survey_sends', 'survey_responses', 'survey_follow_ups', 'survey_secrets'],
  feelings: ['message_phrases'],
  sla: ['sla_calendars', 'sla_policies', 'sla_conversations', 'sla_metrics'],
  rules: ['rules', 'rule_firings', 'rule_waits', 'rule_states', 'rule_contacts', 'contact_policies', 'rule_sla_breaches'],
  'platform/jobs': ['jobs'],
  'platform/idempotency': ['idempotency_keys'],
  'platform/audit': ['audit_log'],
  'platform/log': ['domain_events', 'ingest_log', 'log_cursors', 'log_trims'],
};

/**
 * The platform's documented reads and retention of module tables: resolving a credential reads
 * the workspace's users, members and teams (the access guard runs before any module); the audit
 * trail names its actors; housekeeping deletes what has expired by time.
 */
const PLATFORM_REACH: Record<string, string[]> = {
  'platform/auth': ['users', 'sessions', 'members', 'team_members', 'api_tokens'],
  'platform/audit': ['users'],
  'platform/housekeeping': ['sessions', 'rejected_events', 'rejected_event_counts', 'jobs', 'idempotency_keys', 'invitations'],
};

const ALL = new Set(Object.values(OWNERS).flat());

function stores(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return stores(p);
    return e.name.endsWith('.store.ts') ? [p] : [];
  });
}

/** Table names a store mentions: query-builder calls, and FROM/INTO/UPDATE/JOIN in raw SQL. */
export function tablesNamed(code: string): Set<string> {
  const found = new Set<string>();
  for (const m of code.matchAll(/\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|sql\.table)\(\s*'([a-z_]+)/g)) found.add(m[1] as string);
  for (const m of code.matchAll(/\b(?:from|into|update|join)\s+([a-z_]+)\b/gi))
    if (ALL.has((m[1] as string).toLowerCase())) found.add((m[1] as string).toLowerCase());
  return found;
}

function ownerOf(file: string): string {
  const rel = path.relative(src, file).split(path.sep);
  if (rel[0] === 'modules') return rel[1] as string;
  return `platform/${path.basename(file, '.store.ts')}`;
}

describe('table ownership', () => {
  it('finds tables in both query-builder and raw SQL', () => {
    expect([...tablesNamed("db.selectFrom('customers'); sql`UPDATE identities SET x = 1`; tx.deleteFrom('interactions as i')")].sort()).toEqual([
      'customers',
      'identities',
      'interactions',
    ]);
  });

  it('every store names only its own module’s tables', () => {
    const files = stores(src);
    expect(files.length).toBeGreaterThan(10);
    const reaches: string[] = [];
    for (const file of files) {
      const owner = ownerOf(file);
      const allowed = new Set([...(OWNERS[owner] ?? []), ...(PLATFORM_REACH[owner] ?? [])]);
      for (const table of tablesNamed(readFileSync(file, 'utf8'))) {
        if (!allowed.has(table)) reaches.push(`${path.relative(src, file)} → ${table}`);
      }
    }
    expect(reaches).toEqual([]);
  });
});
