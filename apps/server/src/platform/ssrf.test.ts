// The egress guard on its own: which addresses are public, how the allow-list reads, and that the
// connection is pinned to the address that was checked (a DNS answer that changes afterwards —
// rebinding — never reaches the socket).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { allowEntryProblem, createEgressGuard, EgressRefused, nonPublicRange, parseAllowList, pinnedLookup, type Resolver } from './ssrf.js';

const fakeDns =
  (answers: Record<string, string[]>): Resolver =>
  async (host) => {
    const list = answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof EgressRefused) return err.message;
    throw err;
  }
  return null;
};

describe('egress guard', () => {
  it('calls public unicast public, and names every other range', () => {
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34']) expect(nonPublicRange(ip), ip).toBeNull();
    const ranges: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'linkLocal',
      '100.64.0.1': 'carrierGradeNat',
      '0.0.0.0': 'unspecified',
      '224.0.0.1': 'multicast',
      '255.255.255.255': 'broadcast',
      '192.0.2.1': 'reserved',
      '::1': 'loopback',
      '::': 'unspecified',
      'fe80::1': 'linkLocal',
      'fd00::1': 'uniqueLocal',
      'ff02::1': 'multicast',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '::ffff:169.254.169.254': 'linkLocal',
      '64:ff9b::a00:1': 'rfc6052',
      '2002:a00:1::': '6to4',
    };
    for (const [ip, range] of Object.entries(ranges)) expect(nonPublicRange(ip), ip).toBe(range);
    // The deprecated IPv4-compatible form and the rest of ::/8 are refused too.
    for (const ip of ['::127.0.0.1', '::a00:1', '::8.8.8.8', '::808:808']) expect(nonPublicRange(ip), ip).not.toBeNull();
  });

  it('refuses a host if ANY of its addresses is not public, without saying which or whether it resolved', async () => {
    const guard = createEgressGuard({
      resolve: fakeDns({ 'public.test': ['93.184.216.34'], 'mixed.test': ['93.184.216.34', '10.0.0.7'], 'v6.test': ['2606:4700::1', '::1'] }),
    });
    expect(await guard.check(new URL('https://public.test/hook'))).toEqual({ host: 'public.test', address: '93.184.216.34', family: 4 });
    const mixed = await refusal(guard.check(new URL('https://mixed.test/')));
    expect(mixed).toContain('does not resolve to a public address');
    expect(mixed).not.toContain('10.0.0.7');
    expect(await refusal(guard.check(new URL('https://v6.test/')))).toContain('does not resolve to a public address');
    expect(await refusal(guard.check(new URL('https://nowhere.test/')))).toBe(mixed?.replace('mixed.test', 'nowhere.test'));
    // Literals, in every spelling the URL parser turns into one.
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://0/',
    ]) {
      expect(await refusal(guard.check(new URL(url))), url).toMatch(/is a \w+ address/);
    }
    expect(await refusal(guard.check(new URL('ftp://public.test/')))).toContain('http');
  });

  it('lets the operator allow-list host names and ranges, and nothing else', async () => {
    expect(allowEntryProblem('127.0.0.0/8')).toBeNull();
    expect(allowEntryProblem('::1')).toBeNull();
    expect(allowEntryProblem('hooks.internal')).toBeNull();
    expect(allowEntryProblem('10.0.0.0/99')).toContain('not a CIDR');
    expect(allowEntryProblem('http://x')).toContain('not a CIDR');
    expect(allowEntryProblem('bad host!')).toContain('not a host name');
    expect(() => parseAllowList('127.0.0.0/8, nope nope')).toThrow(/not a host name/);
    // The setting is checked at start, by name.
    const bad = loadConfig({}, { RAPPORT_WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8,nope nope' });
    expect(bad.ok ? [] : bad.errors).toEqual([expect.stringContaining('RAPPORT_WEBHOOK_ALLOW_HOSTS: nope nope is not a host name')]);
    const good = loadConfig({}, { RAPPORT_WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8, hooks.internal' });
    expect(good.ok && good.config.webhookAllowHosts).toBe('127.0.0.0/8, hooks.internal');
    const guard = createEgressGuard({
      allow: '127.0.0.0/8, Hooks.Internal, fd00::/8',
      resolve: fakeDns({ 'hooks.internal': ['10.9.9.9', '::1'], localhost: ['127.0.0.1', '::1'], 'ula.test': ['fd00::5'] }),
    });
    expect((await guard.check(new URL('http://127.0.0.1:8080/'))).address).toBe('127.0.0.1');
    expect((await guard.check(new URL('http://[::ffff:127.0.0.1]/'))).address).toBe('::ffff:7f00:1');
    expect((await guard.check(new URL('http://hooks.internal/'))).address).toBe('10.9.9.9');
    expect((await guard.check(new URL('http://ula.test/'))).address).toBe('fd00::5');
    // 127.0.0.0/8 does not cover ::1, so a name answering both stays refused.
    expect(await refusal(guard.check(new URL('http://localhost/')))).toContain('does not resolve to a public address');
    expect(await refusal(guard.check(new URL('http://10.0.0.1/')))).toContain('private');
  });

  it('pins the connection to the checked address: a second DNS answer (rebinding) is never asked for', async () => {
    let calls = 0;
    const guard = createEgressGuard({
      resolve: async () => {
        calls++;
        return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
      },
    });
    const target = await guard.check(new URL('https://rebind.test/'));
    const lookup = pinnedLookup(target);
    const one = await new Promise((resolve) => lookup('rebind.test', {}, (_e, address, family) => resolve({ address, family })));
    const all = await new Promise((resolve) => lookup('rebind.test', { all: true }, (_e, addresses) => resolve(addresses)));
    expect(one).toEqual({ address: '93.184.216.34', family: 4 });
    expect(all).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(calls).toBe(1);
  });
});
