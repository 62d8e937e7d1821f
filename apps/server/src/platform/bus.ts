// The in-process bus: after a write commits, services announce it here; the live stream
// (WebSocket) and the job worker listen. Events carry what the role filter needs.
import { EventEmitter } from 'node:events';

export type BusEvent = {
  workspaceId: string;
  type: string;
  /** Set for conversation-scoped events, so partners only receive their teams' events. */
  conversation?: { id: string; teamId: string | null };
  /** Internal notes must never reach customer-facing listeners. */
  internal?: boolean;
  data: unknown;
};

export type Bus = {
  publish(event: BusEvent): void;
  subscribe(listener: (event: BusEvent) => void): () => void;
};

export function createBus(): Bus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: (event) => emitter.emit('event', event),
    subscribe: (listener) => {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
  };
}
