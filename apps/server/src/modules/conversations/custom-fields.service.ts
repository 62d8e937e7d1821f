// Typed custom fields on conversations: their definitions and the validation of values.
import type { CustomFieldDef } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { CustomFieldRow } from '../../platform/db/schema.js';
import { notFound, invalid, conflict } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { parseJsonStringArray } from '../../platform/json.js';
import type { ConversationsDeps } from './conversations.deps.js';

export function validateCustomFields(defs: CustomFieldRow[], values: Record<string, string | number | null>): Record<string, string | number | null> {
  const errors: Array<{ path: string; message: string }> = [];
  const out: Record<string, string | number | null> = {};
  for (const [key, value] of Object.entries(values)) {
    const def = defs.find((d) => d.key === key);
    const path = `customFields.${key}`;
    if (!def) {
      errors.push({ path, message: 'no custom field has this key' });
      continue;
    }
    if (value === null) out[key] = null;
    else if (def.type === 'number' && typeof value !== 'number') errors.push({ path, message: 'must be a number' });
    else if (def.type === 'text' && typeof value !== 'string') errors.push({ path, message: 'must be text' });
    else if (def.type === 'date' && (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))))
      errors.push({ path, message: 'must be a date (YYYY-MM-DD)' });
    else if (def.type === 'select' && (typeof value !== 'string' || !parseJsonStringArray(def.options).includes(value)))
      errors.push({ path, message: `must be one of ${parseJsonStringArray(def.options).join(', ')}` });
    else out[key] = value;
  }
  if (errors.length > 0) throw invalid('Some custom fields are not valid', errors);
  return out;
}

export const toCustomField = (r: CustomFieldRow): CustomFieldDef => ({
  id: r.id,
  key: r.key,
  label: r.label,
  type: r.type as CustomFieldDef['type'],
  options: parseJsonStringArray(r.options),
  createdAt: r.created_at,
});

export function createCustomFieldsService(deps: Pick<ConversationsDeps, 'store' | 'transactions' | 'clock' | 'audit'>) {
  const { store, clock, audit } = deps;
  const { autocommit } = deps.transactions;
  return {
    async listCustomFields(auth: AuthContext) {
      requirePermission(auth, 'settings.read');
      return (await store.listCustomFields(auth.workspaceId)).map(toCustomField);
    },
    async createCustomField(auth: AuthContext, input: { key: string; label: string; type: CustomFieldDef['type']; options?: string[] | undefined }) {
      requirePermission(auth, 'settings.manage');
      if (input.type === 'select' && (!input.options || input.options.length === 0))
        throw invalid('A select field needs options', [{ path: 'options', message: 'required for select' }]);
      const existing = await store.listCustomFields(auth.workspaceId);
      if (existing.some((d) => d.key === input.key)) throw conflict(`A custom field with the key ${input.key} exists`);
      const row: CustomFieldRow = {
        workspace_id: auth.workspaceId,
        id: newId('customField'),
        key: input.key,
        label: input.label,
        type: input.type,
        options: JSON.stringify(input.options ?? []),
        created_at: clock.nowIso(),
      };
      await store.insertCustomField(row);
      await audit.record(autocommit, auth, {
        action: 'settings.custom_field_created',
        objectType: 'custom_field',
        objectId: row.id,
        data: { key: row.key, type: row.type },
      });
      return toCustomField(row);
    },
    async deleteCustomField(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.manage');
      if (!(await store.getCustomField(auth.workspaceId, id))) throw notFound('Custom field');
      await store.deleteCustomField(auth.workspaceId, id);
      await audit.record(autocommit, auth, { action: 'settings.custom_field_deleted', objectType: 'custom_field', objectId: id });
    },
  };
}
