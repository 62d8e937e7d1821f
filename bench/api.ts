// bench/api.ts — conversations created/s and listed/s through Rapport's HTTP API beside a bare
// Fastify route answering the same JSON (both servers in a child process, same client, same
// run), then full-text search latency over 1,000,000 messages beside the raw FTS query.
//   npx tsx bench/api.ts [--engine sqlite|postgres|both] [--creates 3000] [--lists 5000] [--messages 1000000] [--concurrency 16]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { toFtsQuery, toTsQuery } from '../apps/server/src/modules/conversations/conversations.store.js';
import { fmt, load, makeClient, percentile, startChild, stopChild } from './lib.js';
import { seededRandom } from '../apps/server/src/platform/random.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    creates: { type: 'string', default: '3000' },
    lists: { type: 'string', default: '5000' },
    messages: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '16' },
    queries: { type: 'string', default: '200' },
  },
});
const CREATES = Number(values.creates);
const LISTS = Number(values.lists);
const MESSAGES = Number(values.messages);
const CONCURRENCY = Number(values.concurrency);
const QUERIES = Number(values.queries);
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const here = path.dirname(new URL(import.meta.url).pathname);

// A deterministic Zipf-like vocabulary, so searches hit rare and common words.
const SYL = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'to',
  'vi',
  'ze',
  'bar',
  'cor',
  'del',
  'fin',
  'gar',
  'hul',
  'jin',
  'kor',
  'lum',
  'mar',
  'nor',
  'pel',
  'qua',
  'ros',
  'sin',
  'tur',
];
const VOCAB = Array.from({ length: 5000 }, (_, i) => SYL[i % 25]! + SYL[Math.floor(i / 25) % 25]! + (i >= 625 ? SYL[Math.floor(i / 625) % 25]! : ''));
const cumulative = (() => {
  const w = VOCAB.map((_, r) => 1 / (r + 1));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();
function word(r: () => number) {
  const x = r();
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCAB[lo]!;
}
const sentence = (r: () => number) => Array.from({ length: 12 }, () => word(r)).join(' ');
const QUERY_WORDS = [
  ...[3, 10, 30].map((i) => VOCAB[i]!),
  ...[100, 300, 1000, 2000, 4000].map((i) => VOCAB[i]!),
  `${VOCAB[20]} ${VOCAB[400]}`,
  `${VOCAB[1500]!.slice(0, 4)}`,
];

type Engine = 'sqlite' | 'postgres';

async function bulkLoad(engine: Engine, target: { file?: string; schema?: string }, workspaceId: string) {
  const conversations = Math.max(1, Math.floor(MESSAGES / 10));
  const r = seededRandom(42);
  const now = Date.now();
  const t0 = performance.now();
  if (engine === 'sqlite') {
    const db = new SQLite(target.file!);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const insCus = db.prepare("insert into customers (workspace_id,id,name,email,phone,traits,created_at,updated_at) values (?,?,?,?,null,'{}',?,?)");
    const insConv = db.prepare(
      "insert into conversations (workspace_id,id,number,customer_id,channel,subject,category,status,priority,tags,custom_fields,origin,message_count,last_message_preview,created_at,updated_at,last_activity_at) values (?,?,?,?,'email',?,'inquiry','open','normal','[]','{}','reactive',10,?,?,?,?)",
    );
    const insMsg = db.prepare(
      "insert into messages (workspace_id,id,conversation_id,kind,author_type,author_id,body,created_at) values (?,?,?,'reply','customer',null,?,?)",
    );
    const insFts = db.prepare('insert into message_search (body, workspace_id, conversation_id, ref_id) values (?,?,?,?)');
    const tx = db.transaction((from: number, to: number) => {
      for (let c = from; c < to; c++) {
        const at = new Date(now - (conversations - c) * 1000).toISOString();
        const cid = `cnv_bench${String(c).padStart(9, '0')}`;
        const cus = `cus_bench${String(c % 10000).padStart(9, '0')}`;
        if (c < 10000) insCus.run(workspaceId, cus, `Customer ${c}`, `c${c}@bench.test`, at, at);
        const subject = sentence(r).slice(0, 60);
        insConv.run(workspaceId, cid, 100000 + c, cus, subject, subject, at, at, at);
        insFts.run(subject, workspaceId, cid, cid);
        for (let m = 0; m < 10; m++) {
          const mid = `msg_bench${String(c * 10 + m).padStart(10, '0')}`;
          const body = sentence(r);
          insMsg.run(workspaceId, mid, cid, body, at);
          insFts.run(body, workspaceId, cid, mid);
        }
      }
    });
    for (let c = 0; c < conversations; c += 5000) tx(c, Math.min(conversations, c + 5000));
    db.close();
  } else {
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${target.schema}` });
    await client.connect();
    for (let c0 = 0; c0 < conversations; c0 += 2000) {
      const convs: string[][] = [[], [], [], [], []];
      const msgs: string[][] = [[], [], [], []];
      const cust: string[][] = [[], [], []];
      for (let c = c0; c < Math.min(conversations, c0 + 2000); c++) {
        const at = new Date(now - (conversations - c) * 1000).toISOString();
        const cid = `cnv_bench${String(c).padStart(9, '0')}`;
        const cus = `cus_bench${String(c % 10000).padStart(9, '0')}`;
        if (c < 10000) cust.forEach((col, i) => col.push([cus, `Customer ${c}`, at][i]!));
        const subject = sentence(r).slice(0, 60);
        [cid, String(100000 + c), cus, subject, at].forEach((v, i) => convs[i]!.push(v));
        for (let m = 0; m < 10; m++) [`msg_bench${String(c * 10 + m).padStart(10, '0')}`, cid, sentence(r), at].forEach((v, i) => msgs[i]!.push(v));
      }
      await client.query('BEGIN');
      if (cust[0]!.length)
        await client.query(
          `insert into customers (workspace_id,id,name,email,phone,traits,created_at,updated_at) select $1, id, name, null, null, '{}', at, at from unnest($2::text[], $3::text[], $4::text[]) as t(id,name,at)`,
          [workspaceId, ...cust],
        );
      await client.query(
        `insert into conversations (workspace_id,id,number,customer_id,channel,subject,category,status,priority,tags,custom_fields,origin,message_count,last_message_preview,created_at,updated_at,last_activity_at) select $1,id,num::int,cus,'email',subj,'inquiry','open','normal','[]','{}','reactive',10,subj,at,at,at from unnest($2::text[],$3::text[],$4::text[],$5::text[],$6::text[]) as t(id,num,cus,subj,at)`,
        [workspaceId, ...convs],
      );
      await client.query(
        `insert into message_search (workspace_id,conversation_id,ref_id,body) select $1,id,id,subj from unnest($2::text[],$3::text[]) as t(id,subj)`,
        [workspaceId, convs[0], convs[3]],
      );
      await client.query(
        `insert into messages (workspace_id,id,conversation_id,kind,author_type,author_id,body,created_at) select $1,id,cid,'reply','customer',null,body,at from unnest($2::text[],$3::text[],$4::text[],$5::text[]) as t(id,cid,body,at)`,
        [workspaceId, ...msgs],
      );
      await client.query(
        `insert into message_search (workspace_id,conversation_id,ref_id,body) select $1,cid,id,body from unnest($2::text[],$3::text[],$4::text[]) as t(id,cid,body)`,
        [workspaceId, msgs[0], msgs[1], msgs[2]],
      );
      await client.query('COMMIT');
    }
    await client.query('ANALYZE');
    await client.end();
  }
  return { conversations, seconds: (performance.now() - t0) / 1000 };
}

async function rawSearch(engine: Engine, target: { file?: string; schema?: string }, workspaceId: string) {
  const lat: number[] = [];
  if (engine === 'sqlite') {
    const db = new SQLite(target.file!, { readonly: true });
    const stmt = db.prepare(
      'select id from conversations where workspace_id = ? and merged_into_id is null and id in (select conversation_id from message_search where message_search match ? and workspace_id = ?) order by last_activity_at desc, id desc limit 51',
    );
    for (let i = 0; i < QUERIES; i++) {
      const q = toFtsQuery(QUERY_WORDS[i % QUERY_WORDS.length]!)!;
      const t0 = performance.now();
      stmt.all(workspaceId, q, workspaceId);
      lat.push(performance.now() - t0);
    }
    db.close();
  } else {
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${target.schema}` });
    await client.connect();
    for (let i = 0; i < QUERIES; i++) {
      const q = toTsQuery(QUERY_WORDS[i % QUERY_WORDS.length]!)!;
      const t0 = performance.now();
      await client.query(
        "select id from conversations where workspace_id = $1 and merged_into_id is null and id in (select conversation_id from message_search where workspace_id = $1 and tsv @@ to_tsquery('simple', $2)) order by last_activity_at desc, id desc limit 51",
        [workspaceId, q],
      );
      lat.push(performance.now() - t0);
    }
    await client.end();
  }
  return lat;
}

/** The same conversation request for Rapport and for the bare baseline. */
const conversationBody = (i: number) =>
  JSON.stringify({
    customer: { email: `c${i}@example.com`, name: `Customer ${i}` },
    channel: 'email',
    subject: `Order ${i} is late`,
    message: { body: `My parcel ${i} has not arrived yet.` },
  });

async function runEngine(engine: Engine) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-'));
  const schema = `bench_${Date.now().toString(36)}`;
  const env: Record<string, string> =
    engine === 'sqlite' ? { BENCH_DATA_DIR: dir } : { DATABASE_URL: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };
  if (engine === 'postgres') {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
  }
  try {
    let server = await startChild([path.join(here, 'api-server.ts'), 'rapport'], env);
    let request = makeClient(`http://127.0.0.1:${server.port}`, CONCURRENCY);
    const setup = await request(
      'POST',
      '/api/v1/setup',
      JSON.stringify({ workspaceName: 'Bench', name: 'Bench', email: 'bench@bench.test', password: 'bench password' }),
    );
    const { token, workspace } = JSON.parse(setup.body) as { token: string; workspace: { id: string } };
    const auth = { authorization: `Bearer ${token}` };
    let createBody = '';
    const create = await load(CREATES, CONCURRENCY, async (i) => {
      const res = await request('POST', '/api/v1/conversations', conversationBody(i), auth);
      if (res.status !== 201) throw new Error(`create ${res.status} ${res.body}`);
      createBody = res.body;
    });
    let listBody = '';
    const list = await load(LISTS, CONCURRENCY, async () => {
      const res = await request('GET', '/api/v1/conversations?limit=50', undefined, auth);
      if (res.status !== 200) throw new Error(`list ${res.status}`);
      listBody = res.body;
    });
    await stopChild(server.child);

    const bare = await startChild([path.join(here, 'api-server.ts'), 'bare'], { BENCH_LIST_BODY: listBody, BENCH_CREATE_BODY: createBody });
    const bareReq = makeClient(`http://127.0.0.1:${bare.port}`, CONCURRENCY);
    const bareCreate = await load(CREATES, CONCURRENCY, async (i) => {
      await bareReq('POST', '/api/v1/conversations', conversationBody(i), auth);
    });
    const bareList = await load(LISTS, CONCURRENCY, async () => {
      await bareReq('GET', '/api/v1/conversations?limit=50', undefined, auth);
    });
    await stopChild(bare.child);

    console.log(
      `\n## ${engine}: HTTP API (${CONCURRENCY} concurrent keep-alive clients, list page = 50 conversations, ${(listBody.length / 1024).toFixed(0)} KB)`,
    );
    console.log('| operation | Rapport /s | p50 ms | p99 ms | bare Fastify, same JSON /s | ratio |');
    console.log('|---|---|---|---|---|---|');
    console.log(
      `| create conversation (+customer, message, interactions, search index) | ${fmt(create.perSecond)} | ${fmt(create.p50)} | ${fmt(create.p99)} | ${fmt(bareCreate.perSecond)} | ${(create.perSecond / bareCreate.perSecond).toFixed(2)} |`,
    );
    console.log(
      `| list 50 conversations | ${fmt(list.perSecond)} | ${fmt(list.p50)} | ${fmt(list.p99)} | ${fmt(bareList.perSecond)} | ${(list.perSecond / bareList.perSecond).toFixed(2)} |`,
    );

    if (MESSAGES > 0) {
      const target = engine === 'sqlite' ? { file: path.join(dir, 'rapport.db') } : { schema };
      const loaded = await bulkLoad(engine, target, workspace.id);
      server = await startChild([path.join(here, 'api-server.ts'), 'rapport'], env);
      request = makeClient(`http://127.0.0.1:${server.port}`, 1);
      const apiLat: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const q = QUERY_WORDS[i % QUERY_WORDS.length]!;
        const t0 = performance.now();
        const res = await request('GET', `/api/v1/conversations?limit=50&q=${encodeURIComponent(q)}`, undefined, auth);
        apiLat.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`search ${res.status} ${res.body}`);
      }
      await stopChild(server.child);
      const raw = await rawSearch(engine, target, workspace.id);
      console.log(
        `\n## ${engine}: full-text search over ${fmt(loaded.conversations * 10 + CREATES)} messages in ${fmt(loaded.conversations + CREATES)} conversations (bulk load ${loaded.seconds.toFixed(0)} s), ${QUERIES} sequential queries, words from common to rare, first page of 50`,
      );
      console.log('| path | p50 ms | p95 ms | max ms |');
      console.log('|---|---|---|---|');
      console.log(
        `| GET /api/v1/conversations?q=… (HTTP, auth, page + customers) | ${fmt(percentile(apiLat, 50))} | ${fmt(percentile(apiLat, 95))} | ${fmt(Math.max(...apiLat))} |`,
      );
      console.log(
        `| raw ${engine === 'sqlite' ? 'FTS5 MATCH' : 'tsvector @@'} query, same SQL, no HTTP | ${fmt(percentile(raw, 50))} | ${fmt(percentile(raw, 95))} | ${fmt(Math.max(...raw))} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (engine === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  }
}

const list = values.engine === 'both' ? (['sqlite', 'postgres'] as const) : ([values.engine as Engine] as const);
for (const engine of list) await runEngine(engine);
process.exit(0);
