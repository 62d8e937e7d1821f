// The WebSocket to /api/v1/stream: reconnects with backoff and resumes from the last log cursor
// it saw, so nothing is missed across a network blip (or it is told to refetch).
import type { LiveClientMessage, LiveEvent, LivePresence, LiveServerMessage } from '@rapport/contracts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export type LiveHandlers = {
  onEvent(event: LiveEvent): void;
  onPresence(presence: LivePresence): void;
  /** The server could not replay what was missed: refetch everything shown. */
  onResync(): void;
  onStatus(status: LiveStatus): void;
  /** Several reconnects failed in a row: the session may have ended (a WebSocket hides the 401). */
  onTrouble(): void;
};

const KINDS = new Set(['hello', 'event', 'presence', 'error']);
function isServerMessage(v: unknown): v is LiveServerMessage {
  return typeof v === 'object' && v !== null && 'kind' in v && typeof v.kind === 'string' && KINDS.has(v.kind);
}

export class LiveStream {
  private socket: WebSocket | null = null;
  /** Position in the domain-events log of the last event seen (cursors compare as strings). */
  private cursor: string | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly pending: LiveClientMessage[] = [];
  userId: string | null = null;

  constructor(private readonly handlers: LiveHandlers) {}

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000, 'bye');
    this.socket = null;
  }

  send(message: LiveClientMessage) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    else if (message.type === 'viewing') this.pending.push(message);
  }

  private url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams();
    if (this.cursor !== null) params.set('cursor', this.cursor);
    const qs = params.toString();
    return `${proto}//${location.host}/api/v1/stream${qs ? `?${qs}` : ''}`;
  }

  private open() {
    this.handlers.onStatus(this.attempts === 0 && this.cursor === null ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onmessage = (e: MessageEvent<string>) => {
      const message: unknown = JSON.parse(e.data);
      if (isServerMessage(message)) this.receive(message);
    };
    socket.onclose = (e: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // 4401: the server ended the stream because the membership or session ended.
      if (e.code === 4401) this.handlers.onTrouble();
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  private scheduleReconnect() {
    this.handlers.onStatus('reconnecting');
    // Exponential backoff with jitter, capped at 30 s.
    const delay = Math.min(30_000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts += 1;
    if (this.attempts === 3) this.handlers.onTrouble();
    this.timer = setTimeout(() => this.open(), delay);
  }

  private receive(message: LiveServerMessage) {
    switch (message.kind) {
      case 'hello': {
        this.attempts = 0;
        this.userId = message.userId;
        if (message.resync || this.cursor === null) this.cursor = message.cursor;
        if (message.resync) this.handlers.onResync();
        this.handlers.onStatus('live');
        for (const m of this.pending.splice(0)) this.send(m);
        return;
      }
      case 'event':
        // Ephemeral signals carry no cursor; log events already seen are skipped.
        if (message.cursor !== null) {
          if (this.cursor !== null && message.cursor <= this.cursor) return;
          this.cursor = message.cursor;
        }
        this.handlers.onEvent(message);
        return;
      case 'presence':
        this.handlers.onPresence(message);
        return;
      case 'error':
        return;
    }
  }
}
