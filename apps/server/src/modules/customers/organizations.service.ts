// Organizations (B2B accounts, Segment's group calls) and their member customers. Ingest
// creates and joins them; the customer 360 and `GET /organizations` read them.
import { mergeTraits } from '../../platform/traits.js';
import type { Organization, Page } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { Tx } from '../../platform/db/database.js';
import type { OrganizationRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { CustomersStore } from './customers.store.js';

export const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  groupId: r.group_id,
  name: r.name,
  traits: parseJsonObject(r.traits),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createOrganizationsService(deps: { store: CustomersStore; clock: Clock }) {
  const { store, clock } = deps;

  /** Creates or updates the groups' organizations and adds each customer to its group. */
  async function upsertFromGroups(
    tx: Tx,
    workspaceId: string,
    groups: Array<{ groupId: string; traits: Record<string, unknown>; customerId: string; trusted: boolean }>,
  ) {
    if (groups.length === 0) return;
    const now = clock.nowIso();
    const byGroup = new Map<string, Record<string, unknown>>();
    // Organizations a client key named keep what they have: its traits only add.
    const addOnly = new Set(groups.filter((g) => !g.trusted).map((g) => g.groupId));
    for (const g of groups) byGroup.set(g.groupId, mergeTraits(byGroup.get(g.groupId) ?? {}, g.traits, true));
    const ids = [...byGroup.keys()].sort();
    const existing = new Map((await store.organizationsByGroup(tx, workspaceId, ids)).map((o) => [o.group_id, o]));
    const inserts: OrganizationRow[] = [];
    for (const groupId of ids) {
      const traits = byGroup.get(groupId) ?? {};
      const name = typeof traits.name === 'string' ? traits.name.replaceAll('\u0000', '').slice(0, 200) : null;
      const cur = existing.get(groupId);
      if (cur) {
        if (Object.keys(traits).length > 0) {
          const known = parseJsonObject(cur.traits);
          const trusted = !addOnly.has(groupId);
          await store.updateOrganization(tx, workspaceId, cur.id, {
            name: trusted ? (name ?? cur.name) : (cur.name ?? name),
            traits: JSON.stringify(mergeTraits(known, traits, trusted)),
            updated_at: now,
          });
        }
      } else {
        inserts.push({
          workspace_id: workspaceId,
          id: newId('organization'),
          group_id: groupId,
          name,
          traits: JSON.stringify(traits),
          created_at: now,
          updated_at: now,
        });
      }
    }
    await store.insertOrganizations(tx, inserts);
    const all = new Map((await store.organizationsByGroup(tx, workspaceId, ids)).map((o) => [o.group_id, o.id]));
    const members = new Map<string, { workspace_id: string; organization_id: string; customer_id: string; created_at: string }>();
    for (const g of groups) {
      const orgId = all.get(g.groupId);
      if (orgId) members.set(`${orgId}:${g.customerId}`, { workspace_id: workspaceId, organization_id: orgId, customer_id: g.customerId, created_at: now });
    }
    await store.addMembers(
      tx,
      [...members.values()].sort((a, b) => (a.organization_id + a.customer_id).localeCompare(b.organization_id + b.customer_id)),
    );
  }

  return {
    upsertFromGroups,
    /** The organizations a customer belongs to. */
    of: async (workspaceId: string, customerId: string) => (await store.organizationsOf(workspaceId, customerId)).map(toOrganization),
    async list(auth: AuthContext, q: { limit: number; cursor?: string | undefined }): Promise<Page<Organization>> {
      requirePermission(auth, 'customers.read');
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listOrganizations(auth.workspaceId, { before: after ? String(after[0]) : null, limit: q.limit });
      return toPage(rows, q.limit, (r) => [r.id], toOrganization);
    },
  };
}
export type OrganizationsService = ReturnType<typeof createOrganizationsService>;
