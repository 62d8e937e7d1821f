// Shapes of endpoints whose contracts are still landing (timeline, write keys, touchpoints):
// read leniently, so the screens work with whatever fields the server sends.
import type { Channel, Conversation, Page, Priority, Status } from '@rapport/contracts';

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
} from '@rapport/contracts';

export type TimelineItem = {
  id: string;
  kind: string;
  name: string;
  occurredAt: string;
  channel?: string | null;
  touchpoint?: { key: string; name: string } | null;
  stage?: string | null;
  department?: string | null;
  conversationId?: string | null;
  origin?: string | null;
  properties?: Record<string, unknown>;
};

export type Touchpoint = {
  id: string;
  key: string;
  name: string;
  channel?: string | null;
  stage?: string | null;
  department?: string | null;
  critical?: boolean;
};

export type CreatedToken = { id: string; name: string; token: string };
export type BulkResult = { results: { id: string; ok: boolean; error?: string }[] };

export type ConversationPage = Page<Conversation>;

export const STATUSES: Status[] = ['open', 'pending', 'snoozed', 'resolved', 'closed'];
export const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent'];
export const CHANNELS: Channel[] = ['email', 'chat', 'sms', 'social', 'phone', 'api', 'web_form'];
export const CATEGORIES = ['inquiry', 'complaint', 'dispute', 'return_refund', 'technical_support', 'product_locate', 'other'] as const;

const SPECIAL: Record<string, string> = { sms: 'SMS', api: 'API', post_sales: 'Post-sales' };
export const label = (s: string) => SPECIAL[s] ?? s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** The value if it is one of the list (e.g. a URL parameter or a select's string), else undefined. */
export function oneOf<T extends string>(list: readonly T[], value: string | null | undefined): T | undefined {
  return list.find((item) => item === value);
}
