// Inbound SMS through the public Twilio webhook (form parsing, X-Twilio-Signature, dedup, the
// desk's transaction), beside the same messages handed straight to the channels' inbound.receive
// (the floor: threading and storage alone), on embedded SQLite.
//   npx tsx bench/messaging.ts [messages]
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import { createTestApp, newWorkspace } from '../apps/server/src/test/harness.js';

const N = Number(process.argv[2] ?? 1000);
const PUBLIC = 'https://rapport.bench';

async function main() {
  const t = await createTestApp('sqlite', { publicUrl: PUBLIC });
  const ws = await newWorkspace(t, 'Bench');
  const token = 'bench-token';
  const inbox = (
    await t.request('POST', '/api/v1/inboxes', {
      token: ws.token,
      body: { channel: 'sms', address: '+14155550100', settings: { accountSid: `AC${'0'.repeat(32)}` }, secrets: { authToken: token } },
    })
  ).body;
  const record = (await t.rapport.services.channels.inboxes.getRecord(inbox.id))!;
  const path = `/channels/twilio/${inbox.id}/sms`;
  const phone = (i: number) => `+1555${String(1_000_000 + (i % 200))}`;

  // Alternating halves, so warm-up and the growing conversations weigh on both sides alike.
  const baseline: number[] = [];
  const webhook: number[] = [];
  const halves: Array<[number, number]> = [
    [0, N / 2],
    [N / 2, N],
  ];
  for (const [from, to] of halves) {
    for (let i = from; i < to; i++) {
      const b0 = performance.now();
      await t.rapport.services.channels.inbound.receive({
        inbox: record,
        contact: { phone: phone(i) },
        message: { body: `direct ${i}`, externalId: `SMdirect${String(i).padStart(10, '0')}` },
        thread: { continueLatest: true },
      });
      baseline.push(performance.now() - b0);
    }
    for (let i = from; i < to; i++) {
      const h0 = performance.now();
      const params = { MessageSid: `SMhttp${String(i).padStart(12, '0')}`, From: phone(i), To: '+14155550100', Body: `webhook ${i}`, NumMedia: '0' };
      const res = await t.request('POST', path, {
        raw: new URLSearchParams(params).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(token, `${PUBLIC}${path}`, params),
        },
      });
      if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
      webhook.push(performance.now() - h0);
    }
  }

  const replays: number[] = [];
  const replay = { MessageSid: 'SMhttp000000000000', From: phone(0), To: '+14155550100', Body: 'webhook 0', NumMedia: '0' };
  const sig = twilio.getExpectedTwilioSignature(token, `${PUBLIC}${path}`, replay);
  for (let i = 0; i < N; i++) {
    const r0 = performance.now();
    await t.request('POST', path, {
      raw: new URLSearchParams(replay).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
    });
    replays.push(performance.now() - r0);
  }

  // Medians: the machine is shared, and a median shrugs off another process's bursts.
  const p50 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  const show = (xs: number[]) => `${p50(xs).toFixed(2)} ms median (${Math.round(1000 / p50(xs))}/s)`;
  console.log(`inbound SMS, ${N} messages from 200 numbers, SQLite in memory`);
  console.log(`  baseline inbound.receive (no HTTP, no signature): ${show(baseline)}`);
  console.log(`  signed Twilio webhook (inject):                  ${show(webhook)} = ${(p50(webhook) / p50(baseline)).toFixed(2)}x the baseline`);
  console.log(`  replayed MessageSid (dedup, nothing written):    ${show(replays)}`);
  await t.close();
}

void main();
