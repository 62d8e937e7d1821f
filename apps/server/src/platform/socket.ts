// WebSocket upkeep shared by the agents' live stream and the widget's visitor socket: a ping every
// interval, and a socket that missed the last pong is terminated (a half-open connection would
// otherwise hold its slot and its listeners forever). The timer stops when the socket closes.
import type { WebSocket } from 'ws';

export const HEARTBEAT_MS = 30_000;

export function keepAlive(socket: WebSocket, onPong?: () => void, intervalMs = HEARTBEAT_MS): void {
  let isAlive = true;
  socket.on('pong', () => {
    isAlive = true;
    onPong?.();
  });
  const heartbeat = setInterval(() => {
    if (!isAlive) return void socket.terminate();
    isAlive = false;
    socket.ping();
  }, intervalMs);
  heartbeat.unref();
  socket.on('close', () => clearInterval(heartbeat));
}

/** A client's frame as JSON, or undefined when it is not JSON. */
export function parseFrame(raw: unknown): unknown {
  try {
    return JSON.parse(String(raw));
  } catch {
    return undefined;
  }
}
