// A message row as the API shows it.
import type { Message } from '@rapport/contracts';
import type { MessageRow } from '../../platform/db/schema.js';

export function toMessage(r: MessageRow, authorName?: string | null): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    kind: r.kind === 'note' ? 'note' : 'reply',
    author: { type: r.author_type as Message['author']['type'], id: r.author_id, name: authorName ?? null },
    body: r.body,
    createdAt: r.created_at,
  };
}
