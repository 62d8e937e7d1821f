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

type PgBusOptions = {
  url: string;
  /** Separate schemas (tests, tenants) get separate channels. */
  schema: string;
  onError?: (err: unknown) => void;
  /** NOTIFY payloads are limited to 8000 bytes; larger events travel through bus_payloads. */
  maxInlineBytes?: number;
};

/**
 * Several server processes sharing one PostgreSQL: every event is delivered in this process at
 * once and to the others through LISTEN/NOTIFY (DESIGN §3). Large events are stored in the
 * bus_payloads table and announced by id. The listener reconnects with backoff.
 */
export async function createPostgresBus(opts: PgBusOptions): Promise<Bus & { close(): Promise<void> }> {
  const pg = (await import('pg')).default;
  const local = createBus();
  const origin = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const channel = `rapport_bus_${opts.schema.replace(/[^a-z0-9_]/gi, '_')}`.toLowerCase().slice(0, 63);
  const maxInline = opts.maxInlineBytes ?? 7000;
  const pool = new pg.Pool({ connectionString: opts.url, max: 2, options: `-c search_path=${opts.schema}` });
  let listener: InstanceType<typeof pg.Client> | null = null;
  let closed = false;
  let retryMs = 250;

  async function deliver(raw: string) {
    const msg = JSON.parse(raw) as { origin: string; event?: BusEvent; ref?: number };
    if (msg.origin === origin) return;
    if (msg.event) return local.publish(msg.event);
    if (msg.ref !== undefined) {
      const res = await pool.query<{ payload: string }>('select payload from bus_payloads where id = $1', [msg.ref]);
      const row = res.rows[0];
      if (row) local.publish(JSON.parse(row.payload) as BusEvent);
    }
  }

  async function listen(): Promise<void> {
    if (closed) return;
    const client = new pg.Client({ connectionString: opts.url, options: `-c search_path=${opts.schema}` });
    client.on('notification', (n) => {
      if (n.channel === channel && n.payload) deliver(n.payload).catch((err: unknown) => opts.onError?.(err));
    });
    client.on('error', (err) => {
      opts.onError?.(err);
      listener = null;
      client.end().catch(() => undefined);
      if (!closed) setTimeout(() => void listen().catch(() => undefined), retryMs).unref();
      retryMs = Math.min(retryMs * 2, 10_000);
    });
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    listener = client;
    retryMs = 250;
  }
  await listen();

  async function send(event: BusEvent) {
    const inline = JSON.stringify({ origin, event });
    if (Buffer.byteLength(inline) <= maxInline) {
      await pool.query('select pg_notify($1, $2)', [channel, inline]);
      return;
    }
    const res = await pool.query<{ id: number }>('insert into bus_payloads (payload, created_at) values ($1, $2) returning id', [
      JSON.stringify(event),
      new Date().toISOString(),
    ]);
    await pool.query('select pg_notify($1, $2)', [channel, JSON.stringify({ origin, ref: res.rows[0]?.id })]);
    // Keep the table small: payloads are only needed for a few seconds.
    await pool.query('delete from bus_payloads where created_at < $1', [new Date(Date.now() - 60_000).toISOString()]);
  }

  return {
    publish(event) {
      local.publish(event);
      send(event).catch((err: unknown) => opts.onError?.(err));
    },
    subscribe: local.subscribe,
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
