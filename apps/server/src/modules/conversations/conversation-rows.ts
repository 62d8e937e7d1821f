// A new conversation as it is first written, whichever way it opens (the API, an inbound channel
// message, a survey's follow-up case): what varies is given, the rest starts empty.
import type { ConversationRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import type { NewInteraction } from '../interactions/interactions.service.js';

type Given = Pick<ConversationRow, 'workspace_id' | 'number' | 'customer_id' | 'channel' | 'subject' | 'category' | 'status' | 'priority' | 'origin'> &
  Partial<Pick<ConversationRow, 'assignee_id' | 'team_id' | 'tags' | 'custom_fields' | 'touchpoint_id' | 'inbox_id' | 'external_id'>>;

export function newConversationRow(given: Given, now: string): ConversationRow {
  return {
    id: newId('conversation'),
    snoozed_until: null,
    assignee_id: null,
    team_id: null,
    tags: '[]',
    custom_fields: '{}',
    touchpoint_id: null,
    merged_into_id: null,
    message_count: 0,
    last_message_preview: null,
    created_at: now,
    updated_at: now,
    last_activity_at: now,
    first_response_at: null,
    resolved_at: null,
    first_response_seconds: null,
    resolution_seconds: null,
    ...given,
  };
}

/** The timeline's "Conversation Opened" for a new conversation. */
export function openedInteraction(conv: ConversationRow, origin: 'company' | 'customer'): NewInteraction {
  return {
    workspaceId: conv.workspace_id,
    customerId: conv.customer_id,
    kind: 'conversation',
    name: 'Conversation Opened',
    channel: conv.channel,
    origin,
    sourceId: `${conv.id}:opened`,
    conversationId: conv.id,
    touchpointId: conv.touchpoint_id,
    properties: { number: conv.number, subject: conv.subject, category: conv.category },
  };
}
