// The `rapport` CLI as a user runs it: config validation, migrate, seed --demo, start and
// graceful shutdown on SIGTERM — on SQLite, and on PostgreSQL through DATABASE_URL.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { createSchema, dropSchema, engines, TEST_DATABASE_URL, whileNoSchemaDrops } from '../test/harness.js';
import { CHANNELS } from '@rapport/contracts';

const root = path.resolve(import.meta.dirname, '../../../..');
const main = path.join(root, 'apps/server/src/main.ts');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'rapport-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rapport(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', RAPPORT_PASSWORD_COST: '10', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

async function withSchema(fn: (url: string) => Promise<void>) {
  const schema = `cli_${Math.random().toString(36).slice(2, 10)}`;
  await createSchema(schema);
  try {
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    // The server it starts migrates: no other test's schema may be dropped meanwhile.
    await whileNoSchemaDrops(() => fn(url.toString()));
  } finally {
    await dropSchema(schema);
  }
}

describe('rapport CLI', () => {
  it('explains each bad setting and exits 2', () => {
    const res = rapport(['start', '--port', 'eighty'], { RAPPORT_COOKIE_SECURE: 'maybe', DATABASE_URL: 'mysql://x' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--port / PORT: must be a number');
    expect(res.stderr).toContain('RAPPORT_COOKIE_SECURE: must be true or false');
    expect(res.stderr).toContain('DATABASE_URL: must start with postgres://');
    const smtp = rapport(['start', '--smtp-port', 'mx'], { RAPPORT_SMTP_MAX_BYTES: 'lots' });
    expect(smtp.status).toBe(2);
    expect(smtp.stderr).toContain('--smtp-port / RAPPORT_SMTP_PORT: must be a port number (0-65535) or off');
    expect(smtp.stderr).toContain('RAPPORT_SMTP_MAX_BYTES: must be a number of bytes');
    const dkim = rapport(['start'], { RAPPORT_DKIM_DOMAIN: 'acme.test' });
    expect(dkim.status).toBe(2);
    expect(dkim.stderr).toContain('set all three to sign outgoing mail, or none');
  });

  it('prints usage for an unknown command', () => {
    const res = rapport(['explode']);
    expect(res.status).toBe(2);
    expect(res.stdout).toContain('Usage: rapport');
    expect(res.stdout).toContain('RAPPORT_DATA_DIR');
  });

  it('migrates and seeds a deterministic demo workspace on SQLite, once', () => {
    const data = tmp();
    expect(rapport(['migrate', '--data', data]).stdout).toContain('up to date');
    const seeded = rapport(['seed', '--demo', '--data', data]);
    expect(seeded.status).toBe(0);
    expect(seeded.stdout).toContain('demo@rapport.test');
    expect(rapport(['seed', '--demo', '--data', data]).stdout).toContain('already exists');
    const db = new SQLite(path.join(data, 'rapport.db'), { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    // 200 known customers, plus the visitors who browsed without ever signing up.
    expect(count('select count(*) as n from customers where email is not null')).toBe(200);
    expect(count('select count(*) as n from customers where email is null')).toBeGreaterThan(10);
    // 500 desk conversations, plus one by email and one by chat through the inboxes.
    expect(count('select count(*) as n from conversations')).toBe(502);
    expect(count('select count(*) as n from conversations where inbox_id is not null')).toBe(2);
    expect(count('select count(distinct channel) as n from conversations')).toBe(CHANNELS.length);
    expect(count('select count(distinct category) as n from conversations')).toBe(7);
    expect(count('select count(*) as n from members')).toBe(8);
    expect(count('select count(*) as n from conversations where assignee_id is not null')).toBeGreaterThan(300);
    // The demo shows the whole journey, through the real ingest path: events classified into
    // touchpoints across at least five stages, customers stitched from anonymous visitors.
    expect(count("select count(*) as n from interactions where kind in ('event', 'page', 'identify')")).toBeGreaterThan(1000);
    expect(count('select count(distinct stage) as n from interactions where stage is not null')).toBeGreaterThanOrEqual(5);
    expect(count("select count(distinct customer_id) as n from interactions where name = 'Order Delivered'")).toBeGreaterThan(50);
    expect(count("select count(*) as n from identities where kind = 'anonymous_id'")).toBeGreaterThan(150);
    expect(count('select count(*) as n from customers where email is not null and merged_into_id is not null')).toBe(0);
    // The owner has conversations of their own, and customers do not all say the same words.
    expect(count("select count(*) as n from conversations c join users u on u.id = c.assignee_id where u.email = 'demo@rapport.test'")).toBeGreaterThan(3);
    expect(count("select count(distinct body) as n from messages where author_type = 'customer'")).toBeGreaterThan(25);
    db.close();
  });

  it.each(engines)('starts on %s, serves /health and stops gracefully on SIGTERM', async (engine) => {
    const run = async (env: Record<string, string>) => {
      const data = tmp();
      const child = spawn(process.execPath, ['--import', 'tsx', main, 'start', '--port', '0', '--smtp-port', '0', '--data', data], {
        cwd: root,
        env: { ...process.env, LOG_LEVEL: 'info', RAPPORT_PASSWORD_COST: '10', ...env },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await expect.poll(() => /"url":"(http:[^"]+)"/.exec(out)?.[1], { timeout: 30_000, interval: 100 }).toBeTruthy();
      const url = /"url":"(http:[^"]+)"/.exec(out)?.[1] ?? '';
      expect(out).toContain(`"engine":"${engine}"`);
      const health = await fetch(`${url}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const setup = await fetch(`${url}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workspaceName: 'CLI', name: 'C', email: 'c@cli.test', password: 'long enough pw' }),
      });
      expect(setup.status).toBe(201);
      // The SMTP server started with it: a mail to the new workspace's inbox becomes a conversation.
      await expect.poll(() => /"smtp":"127\.0\.0\.1:(\d+)"/.exec(out)?.[1], { timeout: 10_000, interval: 100 }).toBeTruthy();
      const smtpPort = Number(/"smtp":"127\.0\.0\.1:(\d+)"/.exec(out)?.[1]);
      const { token } = (await setup.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      const inboxes = (await (await fetch(`${url}/api/v1/inboxes`, { headers: auth })).json()) as { data: Array<{ address: string }> };
      const mail = await nodemailer
        .createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true })
        .sendMail({ from: 'kim@example.com', to: inboxes.data[0]?.address, subject: 'By mail', text: 'Hello by SMTP' });
      expect(mail.accepted).toHaveLength(1);
      const convs = (await (await fetch(`${url}/api/v1/conversations`, { headers: auth })).json()) as { data: Array<{ subject: string }> };
      expect(convs.data.map((c) => c.subject)).toEqual(['By mail']);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('shutting down');
      expect(out).toContain('"msg":"stopped"');
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    };
    if (engine === 'sqlite') await run({});
    else await withSchema((url) => run({ DATABASE_URL: url }));
  });
});
