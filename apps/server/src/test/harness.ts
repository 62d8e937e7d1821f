// Runs store and API tests on both engines. SQLite: a fresh in-memory database per app.
// PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test): a fresh
// schema per app, dropped on close. With CI=true an unreachable PostgreSQL fails the run.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp, type AppOptions, type Rapport } from '../app.js';
import type { AuthContext } from '../platform/access.js';
import type { Clock } from '../platform/clock.js';
import { openDatabase, type DbHandle, type Engine } from '../platform/db/database.js';
import { migrate } from '../platform/db/migrations.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL at ${TEST_DATABASE_URL} is unreachable and CI=true: failing instead of skipping (${String(err)})`);
    }
    console.warn(`PostgreSQL at ${TEST_DATABASE_URL} unreachable: running SQLite only (set CI=true to fail instead)`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const only = process.env.TEST_ENGINE;
export const engines: Engine[] =
  only === 'sqlite' ? ['sqlite'] : only === 'postgres' ? ['postgres'] : (await postgresReachable()) ? ['sqlite', 'postgres'] : ['sqlite'];

// Kysely's migrator reads the catalogue of every schema, and a schema dropped by another test
// file at that moment fails it ("schema t_… does not exist"). Migrations hold this advisory lock
// shared and drops hold it alone, so the two never overlap.
const SCHEMA_LOCK = 7_001_007;

/** Runs fn while no test schema is being dropped (migrations, servers that migrate). */
export async function whileNoSchemaDrops<T>(fn: () => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock_shared($1)', [SCHEMA_LOCK]);
    return await fn();
  } finally {
    await c.end();
  }
}

export async function createSchema(schema: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
}

export async function dropSchema(schema: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    await c.query(`DROP SCHEMA ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** A migrated, empty database of the given engine. */
export async function openTestDatabase(engine: Engine): Promise<DbHandle> {
  if (engine === 'sqlite') {
    const handle = openDatabase({ engine: 'sqlite', file: ':memory:' });
    await migrate(handle.db, 'sqlite');
    return handle;
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await createSchema(schema);
  const handle = openDatabase({ engine: 'postgres', url: TEST_DATABASE_URL, schema, poolSize: 5, strictPool: true });
  await whileNoSchemaDrops(() => migrate(handle.db, 'postgres'));
  return {
    ...handle,
    async close() {
      await handle.close();
      await dropSchema(schema);
    },
  };
}

export type Res = { status: number; body: any; headers: Record<string, string | number | string[] | undefined>; text: string };
export type ReqOpts = {
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  cookie?: string;
  /** Ingest (/v1/*) answers once events are accepted; by default the harness then waits until they are processed. */
  accepted?: boolean;
};

export type TestApp = {
  rapport: Rapport;
  engine: Engine;
  request(method: string, url: string, opts?: ReqOpts): Promise<Res>;
  /** Listens on 127.0.0.1 on a free port (for real clients); returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
};

export async function createTestApp(engine: Engine, opts: Partial<AppOptions> & { clock?: Clock } = {}): Promise<TestApp> {
  const handle = await openTestDatabase(engine);
  const rapport = await buildApp({ handle, logger: false, passwordCost: 10, webDir: null, ...opts });
  await rapport.app.ready();
  return {
    rapport,
    engine,
    async request(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.cookie) headers.cookie = o.cookie;
      let payload: string | undefined;
      if (o.raw !== undefined) payload = o.raw;
      else if (o.body !== undefined) payload = JSON.stringify(o.body);
      if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await rapport.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
      let body: unknown = null;
      try {
        body = res.body ? JSON.parse(res.body) : null;
      } catch {
        body = res.body;
      }
      // Read-your-writes for tests: wait for the log consumers (never a sleep).
      if (url.startsWith('/v1/') && res.statusCode < 300 && !o.accepted) await rapport.logs.drain();
      return { status: res.statusCode, body, headers: res.headers, text: res.body };
    },
    async listen() {
      // Real clients wait for nobody: consumers run in the background, as in `rapport start`.
      rapport.logs.start(10);
      await rapport.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = rapport.app.server.address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    },
    async close() {
      await rapport.app.close();
      await handle.close();
    },
  };
}

let counter = 0;
export const unique = (prefix = 'x') => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;

export type TestWorkspace = { workspaceId: string; userId: string; token: string; email: string; auth: AuthContext };

/** A new workspace with its owner and an owner API token (tests isolate by tenant, not truncation). */
export async function newWorkspace(t: TestApp, name = 'Test Workspace'): Promise<TestWorkspace> {
  const email = `${unique('owner')}@test.rapport`;
  const r = await t.rapport.services.workspaces.createOwner({ workspaceName: name, name: 'Olive Owner', email, password: 'correct horse battery' }, null);
  return {
    workspaceId: r.workspace.id,
    userId: r.user.id,
    token: r.token,
    email,
    auth: { workspaceId: r.workspace.id, userId: r.user.id, userName: 'Olive Owner', role: 'owner', teamIds: [], method: 'token', tokenId: null, ip: null },
  };
}

/** A member of the workspace with the given role, signed in through an API token of their own. */
export async function newMember(
  t: TestApp,
  ws: TestWorkspace,
  role: 'admin' | 'agent' | 'analyst' | 'partner',
  opts: { teamIds?: string[]; capacity?: number | null; name?: string } = {},
) {
  const email = `${unique(role)}@test.rapport`;
  const userId = await t.rapport.services.workspaces.addActiveMember(ws.auth, {
    email,
    name: opts.name ?? `${role} ${counter}`,
    role,
    password: 'correct horse battery',
    teamIds: opts.teamIds ?? [],
    capacity: opts.capacity ?? null,
  });
  const memberAuth: AuthContext = { ...ws.auth, userId, role, teamIds: opts.teamIds ?? [] };
  const token = (await t.rapport.services.workspaces.createToken(memberAuth, 'test')).token;
  return { userId, token, email };
}

export async function newConversation(t: TestApp, token: string, body: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/v1/conversations', {
    token,
    body: {
      customer: { email: `${unique('cust')}@example.com`, name: 'Sam Customer' },
      channel: 'email',
      subject: 'Where is my order?',
      message: { body: 'My parcel has not arrived.' },
      ...body,
    },
  });
  if (res.status !== 201) throw new Error(`newConversation failed: ${res.status} ${res.text}`);
  return res.body as { id: string; number: number; customer: { id: string } } & Record<string, any>;
}

/**
 * Waits until every transaction begun before this call has ended (PostgreSQL only): log consumers
 * read only settled entries (no older transaction still running), and other test files share the
 * database, so a test that runs a consumer by hand first lets the others' transactions end.
 * Polls a condition; no time passes on any clock.
 */
export async function untilSettled(db: DbHandle['db'], engine: Engine, timeoutMs = 30_000): Promise<void> {
  if (engine !== 'postgres') return;
  const mine = await sql<{ x: string }>`SELECT txid_current()::text AS x`.execute(db);
  const target = BigInt(mine.rows[0]?.x ?? '0');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await sql<{ x: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x`.execute(db);
    if (BigInt(r.rows[0]?.x ?? '0') > target) return;
    if (Date.now() > deadline) throw new Error('transactions of other tests did not end in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
