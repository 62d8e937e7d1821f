// The web app's view of the contract: types come from packages/contracts, closed lists from its
// schema-free values (so no zod reaches the browser bundle). Only web-side helpers live here.
import type { Conversation, Page } from '@rapport/contracts';

export type {
  AuditEntry,
  ApiToken,
  CannedResponse,
  Channel,
  Conversation,
  Customer,
  CustomFieldDef,
  Me,
  Member,
  Message,
  Page,
  Priority,
  Role,
  Status,
  Team,
  Category,
  CreatedWriteKey,
  InviteResult,
  PendingInvitation,
  WriteKey,
  WriteKeyKind,
  TimelineItem,
  Touchpoint,
} from '@rapport/contracts';

export type { CreateTokenResult as CreatedToken, BulkResult } from '@rapport/contracts';

export type ConversationPage = Page<Conversation>;

export { CATEGORIES, CHANNELS, CUSTOM_FIELD_TYPES, PRIORITIES, ROLES, SENTIMENT_LABELS, STATUSES } from '@rapport/contracts/values';

const SPECIAL: Record<string, string> = { sms: 'SMS', api: 'API', post_sales: 'Post-sales' };
export const label = (s: string) => SPECIAL[s] ?? s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** The value if it is one of the list (e.g. a URL parameter or a select's string), else undefined. */
export function oneOf<T extends string>(list: readonly T[], value: string | null | undefined): T | undefined {
  return list.find((item) => item === value);
}
