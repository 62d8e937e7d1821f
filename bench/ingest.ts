// bench/ingest.ts — events/s through Rapport's Segment-compatible /v1/batch (server in a child
// process; several keep-alive clients; batches of --batch events), in the same run beside two
// baselines: accepted (answered) vs. a plain append of each request's JSON into a table with only
// a primary key, and processed (until the ingest processor has nothing behind) vs. the same
// interaction rows inserted into the same table and indexes with batched multi-row INSERTs.
// Prints events/s, p99 batch latency and the server's peak RSS. Then a sustained run: --rate
// events/s offered for --sustain seconds (batches sent on a fixed schedule, whatever the answers),
// with the processing lag (age of the oldest accepted event not yet processed) sampled every 200 ms.
//   npx tsx bench/ingest.ts [--engine sqlite|postgres|both] [--events 200000] [--batch 250] [--clients 6] [--users 20000]
//                           [--rate 10000] [--sustain 60 (0: skip)]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { fmt, load, makeClient, percentile, startChild, stopChild } from './lib.js';
import { seededRandom } from '../apps/server/src/platform/random.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '250' },
    clients: { type: 'string', default: '6' },
    users: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '10000' },
    sustain: { type: 'string', default: '60' },
  },
});
const RATE = Number(values.rate);
const SUSTAIN_SECONDS = Number(values.sustain);
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const CLIENTS = Number(values.clients);
const USERS = Number(values.users);
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const here = path.dirname(new URL(import.meta.url).pathname);
type Engine = 'sqlite' | 'postgres';

// Deterministic traffic: 70% track, 25% page, 5% identify; users seen anonymously first.
const TRACKS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed', 'Feature Used', 'Email Opened', 'Video Played', 'Search Performed'];
const PATHS = ['/pricing', '/products/shoes', '/products/bags', '/blog/how-to', '/checkout', '/', '/docs/start', '/signup'];

function makeEvents(runId: string, count = EVENTS, seed = 7): Array<Record<string, unknown>> {
  const r = seededRandom(seed);
  const base = Date.now() - 3_600_000;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const u = Math.floor(r() * USERS);
    const known = r() < 0.8;
    const ids = known ? { userId: `user-${u}` } : { anonymousId: `anon-${u}` };
    const common = {
      ...ids,
      messageId: `${runId}-${i}`,
      timestamp: new Date(base + i * 10).toISOString(),
      context: { library: { name: 'bench', version: '1' }, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (bench)' },
    };
    const x = r();
    if (x < 0.7)
      out.push({
        type: 'track',
        event: TRACKS[Math.floor(r() * TRACKS.length)],
        properties: { sku: `sku-${Math.floor(r() * 500)}`, price: Math.round(r() * 10000) / 100, currency: 'EUR' },
        ...common,
      });
    else if (x < 0.95) {
      const p = PATHS[Math.floor(r() * PATHS.length)] ?? '/';
      out.push({
        type: 'page',
        name: p,
        properties: { path: p, url: `https://shop.example${p}`, title: 'Shop', referrer: 'https://search.example/' },
        ...common,
      });
    } else
      out.push({
        type: 'identify',
        traits: { email: `user-${u}@example.com`, name: `User ${u}`, plan: 'pro' },
        ...common,
        userId: `user-${u}`,
        anonymousId: `anon-${u}`,
      });
  }
  return out;
}

function vmHwmKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

// The same rows the server stores, as plain tuples (17 interaction columns).
function plainRows(events: Array<Record<string, unknown>>, workspaceId: string): unknown[][] {
  const now = new Date().toISOString();
  return events.map((e, i) => [
    workspaceId,
    `int_baseline_${i.toString().padStart(9, '0')}`,
    `cus_${String(e.userId ?? e.anonymousId)}`,
    String(e.timestamp),
    now,
    e.type === 'track' ? 'event' : String(e.type),
    String(e.event ?? e.name ?? 'Identified'),
    e.type === 'page' ? 'web' : null,
    null,
    null,
    null,
    'customer',
    null,
    null,
    null,
    `seg:${String(e.messageId)}`,
    JSON.stringify({ ...(e.properties as object), context: e.context }),
  ]);
}
const COLS =
  'workspace_id,id,customer_id,occurred_at,received_at,kind,name,channel,touchpoint_id,stage,department,origin,conversation_id,sentiment,emotion,source_id,properties';

async function baseline(engine: Engine, target: { file?: string; schema?: string }, events: Array<Record<string, unknown>>) {
  const rows = plainRows(events, 'wsp_baseline');
  const batches: unknown[][][] = [];
  for (let i = 0; i < rows.length; i += BATCH) batches.push(rows.slice(i, i + BATCH));
  const t0 = performance.now();
  if (engine === 'sqlite') {
    const db = new SQLite(target.file as string);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    const stmts = new Map<number, SQLite.Statement>();
    const insert = db.transaction((b: unknown[][]) => {
      let stmt = stmts.get(b.length);
      if (!stmt) {
        stmt = db.prepare(`insert into interactions (${COLS}) values ${b.map(() => `(${Array(17).fill('?').join(',')})`).join(',')} on conflict do nothing`);
        stmts.set(b.length, stmt);
      }
      stmt.run(...b.flat());
    });
    for (const b of batches) insert(b);
    db.close();
  } else {
    const pool = new pg.Pool({ connectionString: PG_URL, max: Math.min(CLIENTS, 10), options: `-c search_path=${target.schema}` });
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CLIENTS, 10) }, async () => {
        const client = await pool.connect();
        try {
          while (next < batches.length) {
            const b = batches[next++] as unknown[][];
            let n = 0;
            const text = `insert into interactions (${COLS}) values ${b.map(() => `(${Array.from({ length: 17 }, () => `$${++n}`).join(',')})`).join(',')} on conflict do nothing`;
            await client.query('begin');
            await client.query(text, b.flat());
            await client.query('commit');
          }
        } finally {
          client.release();
        }
      }),
    );
    await pool.end();
  }
  return rows.length / ((performance.now() - t0) / 1000);
}

/** The accept baseline: each request body appended as one row to a table with only a primary key. */
async function plainAppend(engine: Engine, target: { file?: string; schema?: string }, bodies: string[]) {
  const t0 = performance.now();
  if (engine === 'sqlite') {
    const db = new SQLite(target.file as string);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('create table if not exists plain_append (seq integer primary key autoincrement, data text not null)');
    const stmt = db.prepare('insert into plain_append (data) values (?)');
    const one = db.transaction((b: string) => stmt.run(b));
    for (const b of bodies) one(b);
    db.close();
  } else {
    const pool = new pg.Pool({ connectionString: PG_URL, max: Math.min(CLIENTS, 10), options: `-c search_path=${target.schema}` });
    await pool.query('create table if not exists plain_append (seq bigserial primary key, data text not null)');
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CLIENTS, 10) }, async () => {
        while (next < bodies.length) await pool.query('insert into plain_append (data) values ($1)', [bodies[next++]]);
      }),
    );
    await pool.end();
  }
  return (bodies.length * BATCH) / ((performance.now() - t0) / 1000);
}

async function countStored(engine: Engine, target: { file?: string; schema?: string }, workspaceId: string): Promise<number> {
  if (engine === 'sqlite') {
    const db = new SQLite(target.file as string, { readonly: true });
    const r = db.prepare("select count(*) as n from interactions where workspace_id = ? and kind in ('event','page','identify')").get(workspaceId) as {
      n: number;
    };
    db.close();
    return r.n;
  }
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${target.schema}` });
  await c.connect();
  const r = await c.query("select count(*)::int as n from interactions where workspace_id = $1 and kind in ('event','page','identify')", [workspaceId]);
  await c.end();
  return Number(r.rows[0].n);
}

/**
 * RATE events/s offered for SUSTAIN_SECONDS: one batch every BATCH / RATE seconds on a fixed
 * schedule (a slow answer does not slow the sender), bodies made just in time. Returns the
 * accepted and processed rates, the answers' p99 and the lag samples.
 */
async function sustained(request: ReturnType<typeof makeClient>, auth: Record<string, string>, token: string, runId: string) {
  const interval = (BATCH / RATE) * 1000;
  const batches = Math.round((RATE * SUSTAIN_SECONDS) / BATCH);
  const latencies: number[] = [];
  const lags: number[] = [];
  let failures = 0;
  let sent = 0;
  const lagOf = async () => {
    const lag = JSON.parse((await request('GET', '/api/v1/system/consumers', undefined, { authorization: `Bearer ${token}` })).body) as {
      data: Array<{ name: string; behind: number; ageSeconds: number }>;
    };
    return lag.data.find((c) => c.name === 'ingest.process') ?? { behind: 0, ageSeconds: 0 };
  };
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      lags.push((await lagOf()).ageSeconds);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  const inFlight: Array<Promise<void>> = [];
  for (let k = 0; k < batches; k++) {
    const due = started + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = JSON.stringify({ batch: makeEvents(`${runId}-s${k}`, BATCH, 1000 + k), sentAt: new Date().toISOString() });
    const t0 = performance.now();
    sent++;
    inFlight.push(
      request('POST', '/v1/batch', body, auth).then((res) => {
        latencies.push(performance.now() - t0);
        if (res.status !== 200 || res.body.includes('"reason"')) failures++;
      }),
    );
  }
  await Promise.all(inFlight);
  const acceptedSeconds = (performance.now() - started) / 1000;
  const deadline = performance.now() + 120_000;
  while ((await lagOf()).behind > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const processedSeconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  return {
    offered: RATE,
    sent: sent * BATCH,
    accepted: (sent * BATCH) / acceptedSeconds,
    processed: (sent * BATCH) / processedSeconds,
    acceptP99: percentile(latencies, 99),
    lagP50: percentile(lags, 50),
    lagP99: percentile(lags, 99),
    lagMax: Math.max(0, ...lags),
    samples: lags.length,
    failures,
  };
}

async function run(engine: Engine) {
  const runId = randomBytes(4).toString('hex');
  const target: { file?: string; schema?: string } = {};
  const env: Record<string, string> = {};
  let dir: string | null = null;
  if (engine === 'sqlite') {
    dir = mkdtempSync(path.join(tmpdir(), 'rapport-ingest-'));
    target.file = path.join(dir, 'rapport.db');
    env.BENCH_DATA_DIR = dir;
    env.DATABASE_URL = '';
  } else {
    target.schema = `bench_${runId}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${target.schema}`);
    await admin.end();
    env.DATABASE_URL = PG_URL;
    env.BENCH_PG_SCHEMA = target.schema;
  }
  if (engine === 'sqlite') delete env.DATABASE_URL;
  const childEnv = { ...env };
  const { port, child } = await startChild([path.join(here, 'ingest-server.ts')], engine === 'sqlite' ? { ...childEnv, DATABASE_URL: '' } : childEnv);
  const request = makeClient(`http://127.0.0.1:${port}`, CLIENTS);
  const setup = await request(
    'POST',
    '/api/v1/setup',
    JSON.stringify({ workspaceName: 'Bench', name: 'Bench', email: 'bench@example.com', password: 'correct horse battery' }),
  );
  const { token, workspace } = JSON.parse(setup.body) as { token: string; workspace: { id: string } };
  const wk = JSON.parse((await request('POST', '/api/v1/write-keys', JSON.stringify({ name: 'bench' }), { authorization: `Bearer ${token}` })).body) as {
    key: string;
  };
  const auth = { authorization: `Basic ${Buffer.from(`${wk.key}:`).toString('base64')}` };

  const events = makeEvents(runId);
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += BATCH) bodies.push(JSON.stringify({ batch: events.slice(i, i + BATCH), sentAt: new Date().toISOString() }));
  let failures = 0;
  const started = performance.now();
  const result = await load(bodies.length, CLIENTS, async (i) => {
    const res = await request('POST', '/v1/batch', bodies[i], auth);
    if (res.status !== 200 || res.body.includes('"reason"')) failures++;
  });
  // Processed: until the ingest processor reports nothing behind for the workspace (polled
  // every 20 ms through the owners' lag endpoint), timed from the first request.
  let behind = Infinity;
  let lagSamples = 0;
  while (behind > 0 && performance.now() - started < 600_000) {
    const lag = JSON.parse((await request('GET', '/api/v1/system/consumers', undefined, { authorization: `Bearer ${token}` })).body) as {
      data: Array<{ name: string; behind: number }>;
    };
    behind = lag.data.find((c) => c.name === 'ingest.process')?.behind ?? 0;
    lagSamples++;
    if (behind > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const processedSeconds = (performance.now() - started) / 1000;
  const sustain = SUSTAIN_SECONDS > 0 ? await sustained(request, auth, token, runId) : null;
  const peakMb = vmHwmKb(child.pid as number) / 1024;
  await stopChild(child);
  const stored = await countStored(engine, target, workspace.id);
  const plain = await baseline(engine, target, events);
  const append = await plainAppend(engine, target, bodies);
  const eventsPerSecond = result.perSecond * (events.length / bodies.length);
  console.log(`\n${engine}: ${fmt(events.length)} events in ${fmt(bodies.length)} batches of ${BATCH}, ${CLIENTS} clients, ${fmt(USERS)} users`);
  console.log(
    `  Rapport /v1/batch   ${fmt(eventsPerSecond).padStart(9)} events/s   p50 ${fmt(result.p50)} ms   p99 ${fmt(result.p99)} ms per batch   peak server RSS ${fmt(peakMb)} MB   stored ${fmt(stored)} of ${fmt(events.length + (sustain?.sent ?? 0))}${failures ? `   FAILED BATCHES ${failures}` : ''}`,
  );
  console.log(`  plain append        ${fmt(append).padStart(9)} events/s   (each request's JSON into a table with only a primary key, one transaction per request)`);
  console.log(`  accepted ratio      ${fmt((eventsPerSecond / append) * 100)} % of the plain-append rate`);
  console.log(`  processed           ${fmt(events.length / processedSeconds).padStart(9)} events/s   (first request to nothing behind, ${lagSamples} lag polls)`);
  console.log(`  plain INSERTs       ${fmt(plain).padStart(9)} rows/s     (same rows, same table and indexes, one transaction per ${BATCH}-row INSERT)`);
  console.log(`  processed ratio     ${fmt((events.length / processedSeconds / plain) * 100)} % of the plain-insert rate`);
  if (engine === 'postgres') console.log(`  accepted vs INSERTs ${fmt((eventsPerSecond / plain) * 100)} % of the plain-insert rate (same rows, same table)`);
  if (sustain)
    console.log(
      `  sustained           ${fmt(sustain.offered)} events/s offered for ${SUSTAIN_SECONDS} s: accepted ${fmt(sustain.accepted)}/s (p99 ${fmt(sustain.acceptP99)} ms), processed ${fmt(sustain.processed)}/s, lag p50 ${fmt(sustain.lagP50)} s p99 ${fmt(sustain.lagP99)} s max ${fmt(sustain.lagMax)} s (${sustain.samples} samples)${sustain.failures ? `   FAILED BATCHES ${sustain.failures}` : ''}`,
    );
  if (dir) rmSync(dir, { recursive: true, force: true });
  else if (!process.env.BENCH_KEEP) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema ${target.schema} cascade`);
    await admin.end();
  }
}

const engines: Engine[] = values.engine === 'both' ? ['sqlite', 'postgres'] : [values.engine as Engine];
for (const engine of engines) await run(engine);
