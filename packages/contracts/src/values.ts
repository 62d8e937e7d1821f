// The closed lists of the contract and what each role may do, as plain values with no zod: the
// web app imports them from '@rapport/contracts/values' without loading any schema.
export const ROLES = ['owner', 'admin', 'agent', 'analyst', 'partner'] as const;
export const AVAILABILITY = ['online', 'away', 'offline'] as const;
export const MEMBER_STATUSES = ['invited', 'active', 'deactivated'] as const;
export const CHANNELS = ['email', 'chat', 'sms', 'whatsapp', 'messenger', 'social', 'phone', 'api', 'web_form'] as const;
export const CATEGORIES = ['inquiry', 'complaint', 'dispute', 'return_refund', 'technical_support', 'product_locate', 'other'] as const;
export const STATUSES = ['open', 'pending', 'snoozed', 'resolved', 'closed'] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const CUSTOM_FIELD_TYPES = ['text', 'number', 'date', 'select'] as const;
export const WRITE_KEY_KINDS = ['client', 'server'] as const;
export const DEFAULT_STAGES = ['research', 'purchase', 'usage', 'post_sales', 'advocacy'] as const;
export const DEFAULT_DEPARTMENTS = ['marketing', 'sales', 'product', 'operations', 'service'] as const;

/** How a text reads (feelings): positive above 0.05, negative below -0.05. */
export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;

export const PERMISSIONS = [
  'me',
  'conversations.read',
  'conversations.write',
  'customers.read',
  'customers.write',
  'members.read',
  'members.manage',
  'teams.read',
  'settings.read',
  'settings.manage',
  'tokens.own',
  'audit.read',
  'ingest.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each role may do. The server enforces it (platform/access.ts); the web app shows only what it allows. */
export const permissionsOf: Record<(typeof ROLES)[number], readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  agent: ['me', 'conversations.read', 'conversations.write', 'customers.read', 'customers.write', 'members.read', 'teams.read', 'settings.read', 'tokens.own'],
  analyst: ['me', 'conversations.read', 'customers.read', 'members.read', 'teams.read', 'settings.read', 'tokens.own', 'audit.read'],
  // An outsourced agent: conversations of its own teams only (the server's conversationScope).
  partner: ['me', 'conversations.read', 'conversations.write', 'teams.read', 'settings.read', 'tokens.own'],
};
