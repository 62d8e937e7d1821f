// bench/email.ts — inbound mail end to end: N generated mails (new questions, replies threaded by
// In-Reply-To, some HTML, some attachments) sent over SMTP by several pooled nodemailer clients into
// Rapport's SMTP server (a child process on SQLite in a temporary folder); each 250 comes only once the
// message is committed, so mails/s is SMTP in → stored conversation. Printed beside plain mailparser
// simpleParser parsing of the same raw mails in the same run, and the ratio. Bounded to ~45 s of sending.
//   npx tsx bench/email.ts [--mails 2000] [--clients 8] [--senders 400]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { seededRandom } from '../apps/server/src/platform/random.js';
import { fmt, percentile, startChild, stopChild } from './lib.js';

const { values } = parseArgs({
  options: { mails: { type: 'string', default: '2000' }, clients: { type: 'string', default: '8' }, senders: { type: 'string', default: '400' } },
});
const MAILS = Number(values.mails);
const CLIENTS = Number(values.clients);
const SENDERS = Number(values.senders);
const INBOX = 'help@bench.test';
const SEND_BUDGET_MS = 45_000;
const here = path.dirname(new URL(import.meta.url).pathname);

const WORDS = 'order parcel refund delivery invoice account password shipping tracking return size colour broken late missing thanks please help'.split(' ');

/** Deterministic traffic: 55% new questions, 45% replies to the sender's previous mail; 20% HTML; 5% an attachment. */
async function makeMails(runId: string): Promise<Array<{ from: string; raw: Buffer }>> {
  const r = seededRandom(11);
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const last = new Map<number, { id: string; subject: string }>();
  const out: Array<{ from: string; raw: Buffer }> = [];
  for (let i = 0; i < MAILS; i++) {
    const s = Math.floor(r() * SENDERS);
    const from = `customer${s}@example.com`;
    const text = Array.from({ length: 20 + Math.floor(r() * 120) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    const prev = last.get(s);
    const reply = prev !== undefined && r() < 0.45;
    const id = `<bench-${runId}-${i}@example.com>`;
    const subject = reply && prev ? `Re: ${prev.subject}` : `Question ${i} about my ${WORDS[Math.floor(r() * WORDS.length)]}`;
    const info = await composer.sendMail({
      from: { name: `Customer ${s}`, address: from },
      to: INBOX,
      subject,
      text,
      ...(r() < 0.2
        ? { html: `<div><p style="color:#333">${text}</p><p><a href="https://shop.example/orders/${i}">my order</a></p><script>x()</script></div>` }
        : {}),
      ...(r() < 0.05
        ? { attachments: [{ filename: `photo-${i}.jpg`, contentType: 'image/jpeg', content: Buffer.alloc(2_000 + Math.floor(r() * 18_000), i % 251) }] }
        : {}),
      messageId: id,
      ...(reply && prev ? { inReplyTo: prev.id, references: [prev.id] } : {}),
    });
    if (!Buffer.isBuffer(info.message)) throw new Error('mail not rendered');
    out.push({ from, raw: info.message });
    if (!reply) last.set(s, { id, subject });
  }
  return out;
}

async function main() {
  const runId = Date.now().toString(36);
  const dir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-email-'));
  const mails = await makeMails(runId);
  const bytes = mails.reduce((n, m) => n + m.raw.length, 0);

  // Baseline: the same raw mails through plain simpleParser, one after another.
  const p0 = performance.now();
  for (const m of mails) await simpleParser(m.raw);
  const parsePerSecond = mails.length / ((performance.now() - p0) / 1000);

  const { port, child } = await startChild([path.join(here, 'email-server.ts')], { BENCH_DATA_DIR: dir, BENCH_INBOX: INBOX });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 1,
        maxMessages: Infinity,
      });
      while (next < mails.length && performance.now() - start < SEND_BUDGET_MS) {
        const m = mails[next++];
        if (!m) break;
        const t0 = performance.now();
        try {
          await client.sendMail({ envelope: { from: m.from, to: [INBOX] }, raw: m.raw });
        } catch {
          failed++;
        }
        latencies.push(performance.now() - t0);
      }
      client.close();
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const sent = latencies.length;
  await stopChild(child);

  const db = new SQLite(path.join(dir, 'rapport.db'), { readonly: true });
  // A fresh database with one workspace: everything in it came through the SMTP server.
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const stored = count("select count(*) as n from messages where channel = 'email'");
  const conversations = count('select count(*) as n from conversations');
  const attachments = count('select count(*) as n from message_attachments');
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const perSecond = sent / seconds;
  console.log(
    `\nemail in (sqlite): ${fmt(sent)} mails (${fmt(bytes / mails.length / 1024)} KB on average) over SMTP, ${CLIENTS} pooled clients, ${SENDERS} senders`,
  );
  console.log(
    `  SMTP → stored       ${fmt(perSecond).padStart(7)} mails/s   p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms per mail (250 after commit)`,
  );
  console.log(`  plain simpleParser  ${fmt(parsePerSecond).padStart(7)} mails/s   (the same raw mails, parsed one after another in this process)`);
  console.log(`  ratio               ${fmt((perSecond / parsePerSecond) * 100)} % of the plain-parse rate`);
  console.log(`  stored              ${fmt(stored)} messages in ${fmt(conversations)} conversations, ${fmt(attachments)} attachments; ${failed} SMTP errors`);
  if (sent < mails.length) console.log(`  (stopped after the ${SEND_BUDGET_MS / 1000} s budget: ${fmt(mails.length - sent)} mails not sent)`);
  if (stored !== sent - failed) throw new Error(`stored ${stored} of ${sent - failed} accepted mails`);
}

await main();
