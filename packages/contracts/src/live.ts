// The live stream (WebSocket /api/v1/stream): what the server pushes and what clients send.
import { z } from 'zod';

/**
 * A domain event as a client receives it, read from the domain-events log (its `data` is the
 * event's versioned payload, see events.ts). `cursor` is its position in the log: cursors compare
 * as strings in log order. Ephemeral signals that are not in the log (a member's availability)
 * come with `cursor: null` and are never replayed.
 */
export type LiveEvent = {
  kind: 'event';
  cursor: string | null;
  type: string;
  conversationId: string | null;
  /** Internal agent data (notes): never to be shown to a customer. */
  internal: boolean;
  data: unknown;
  at: string;
};

/**
 * Sent once on connect. Reconnect with `?cursor=<last event's cursor>` to receive what was
 * missed, read from the log, before anything live. `resync` is true when that cannot be done
 * (the cursor is older than the log keeps, or more was missed than a replay carries): the client
 * must refetch what it shows. `cursor` is where this connection starts.
 */
export type LiveHello = { kind: 'hello'; cursor: string; resync: boolean; replayed: number; userId: string };

export type LivePresence = {
  kind: 'presence';
  type: 'presence.viewing' | 'presence.typing' | 'presence.left';
  conversationId: string;
  userId: string;
  userName: string;
  at: string;
};

export type LiveError = { kind: 'error'; detail: string };

export type LiveServerMessage = LiveEvent | LiveHello | LivePresence | LiveError;

export const ZLiveClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('viewing'), conversationId: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('typing'), conversationId: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('left'), conversationId: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type LiveClientMessage = z.infer<typeof ZLiveClientMessage>;

export const ZLiveQuery = z.object({
  cursor: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  token: z.string().max(200).optional(),
});
