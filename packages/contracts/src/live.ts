// The live stream (WebSocket /api/v1/stream): what the server pushes and what clients send.
import { z } from 'zod';

/** A bus event as a client receives it; `seq` grows by one per event in one server process. */
export type LiveEvent = {
  kind: 'event';
  seq: number;
  type: string;
  conversationId: string | null;
  /** Internal agent data (notes): never to be shown to a customer. */
  internal: boolean;
  data: unknown;
  at: string;
};

/**
 * Sent once on connect. `resync` is true when the client asked for events older than the
 * server still holds, or from another server process (`epoch` differs): it must refetch what it
 * shows. Reconnect with `?since=<last seq>&epoch=<epoch>` to receive what was missed.
 */
export type LiveHello = { kind: 'hello'; epoch: string; seq: number; resync: boolean; replayed: number; userId: string };

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
  since: z.coerce.number().int().min(0).optional(),
  epoch: z.string().max(64).optional(),
  token: z.string().max(200).optional(),
});
