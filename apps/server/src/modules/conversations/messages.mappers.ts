// A message row as the API shows it.
import type { Message } from '@rapport/contracts';
import type { MessageAttachmentRow, MessageRow } from '../../platform/db/schema.js';
import { parseJsonStringArray } from '../../platform/json.js';

export const attachmentUrl = (id: string) => `/api/v1/attachments/${id}`;

export function toMessage(r: MessageRow, authorName?: string | null, attachments: MessageAttachmentRow[] = []): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    kind: r.kind === 'note' ? 'note' : 'reply',
    author: { type: r.author_type as Message['author']['type'], id: r.author_id, name: authorName ?? null },
    body: r.body,
    createdAt: r.created_at,
    channel: (r.channel ?? null) as Message['channel'],
    html: r.html ?? null,
    externalId: r.external_id ?? null,
    delivery: r.delivery_status
      ? {
          status: r.delivery_status as NonNullable<Message['delivery']>['status'],
          error: r.delivery_error ?? null,
          attempts: Number(r.delivery_attempts ?? 0),
          updatedAt: r.delivery_at ?? r.created_at,
        }
      : null,
    attachments: attachments
      .filter((a) => a.message_id === r.id)
      .map((a) => ({ id: a.id, filename: a.filename, contentType: a.content_type, size: Number(a.size), url: attachmentUrl(a.id) })),
    sentiment:
      r.sentiment_label && r.sentiment_score !== null && r.sentiment_score !== undefined
        ? {
            score: Number(r.sentiment_score),
            label: r.sentiment_label as NonNullable<Message['sentiment']>['label'],
            signals: parseJsonStringArray(r.sentiment_signals ?? '[]') as NonNullable<Message['sentiment']>['signals'],
          }
        : null,
  };
}
