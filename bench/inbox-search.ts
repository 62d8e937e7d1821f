// The inbox search with customers: p95 of GET /conversations?q= for a message word, a last name,
// an email and a number, beside the same search's two halves alone (the message index as before
// customers were searched, and the customers' lookup).
//   npx tsx bench/inbox-search.ts [conversations] [customers]
import { performance } from 'node:perf_hooks';
import { createTestApp, newWorkspace } from '../apps/server/src/test/harness.js';

const N = Number(process.argv[2] ?? 20_000);
const CUSTOMERS = Number(process.argv[3] ?? 5_000);
const RUNS = 40;
const WORDS = ['parcel', 'refund', 'invoice', 'thermostat', 'courier', 'label', 'size', 'colour'];
const LAST = ['Nguyen', 'Osei', 'Patel', 'Lima', 'Haddad', 'Park', 'Smith', 'Garcia'];

async function main() {
  const t = await createTestApp('sqlite');
  const ws = await newWorkspace(t, 'Search bench');
  const s0 = performance.now();
  for (let i = 0; i < N; i += 1) {
    const c = i % CUSTOMERS;
    await t.rapport.services.conversations.create(ws.auth, {
      customer: { email: `p${c}@bench.test`, name: `Pat${c} ${LAST[c % LAST.length]}${c}` },
      channel: 'email',
      subject: `Case ${i}`,
      category: 'inquiry',
      priority: 'normal',
      status: i % 3 === 0 ? 'pending' : 'open',
      origin: 'reactive',
      message: { body: `My ${WORDS[i % WORDS.length]} question number ${i}`, author: 'customer' },
    });
  }
  const seeded = performance.now() - s0;
  const p95 = async (path: string) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const a0 = performance.now();
      const res = await t.request('GET', path, { token: ws.token });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      times.push(performance.now() - a0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(RUNS * 0.95)] ?? NaN;
  };
  const customers = t.rapport.services.customers;
  const lookup = async (q: string) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const a0 = performance.now();
      await customers.idsMatching(ws.workspaceId, q, 50);
      times.push(performance.now() - a0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(RUNS * 0.95)] ?? NaN;
  };
  console.log(`inbox search over ${N} conversations, ${CUSTOMERS} customers (seeded in ${(seeded / 1000).toFixed(1)} s), SQLite in-process, ${RUNS} runs`);
  console.log(`${'query'.padEnd(34)} ${'p95 ms'.padStart(8)}`);
  console.log(`${'no search (baseline list)'.padEnd(34)} ${(await p95('/api/v1/conversations?limit=50')).toFixed(1).padStart(8)}`);
  for (const q of ['parcel', 'Nguyen', 'p42@bench.test', '#1234', 'nothingmatches']) {
    console.log(`${`q=${q}`.padEnd(34)} ${(await p95(`/api/v1/conversations?limit=50&q=${encodeURIComponent(q)}`)).toFixed(1).padStart(8)}`);
    console.log(`${`  of which customers' lookup`.padEnd(34)} ${(await lookup(q)).toFixed(1).padStart(8)}`);
  }
  await t.close();
}

await main();
