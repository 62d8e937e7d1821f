// The egress guard for requests to addresses a tenant chooses (webhook URLs): a host is resolved
// once, refused if ANY of its addresses is not public unicast (private, loopback, link-local,
// unique-local, CGNAT, multicast, unspecified, reserved, IPv4 embedded in IPv6, …), and the
// connection is then pinned to the address that was checked, so a DNS answer that changes in
// between (rebinding) cannot move it. Operators may allow-list hosts or ranges
// (RAPPORT_WEBHOOK_ALLOW_HOSTS, e.g. `127.0.0.0/8,hooks.internal`).
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;
export type AllowList = { hosts: ReadonlySet<string>; ranges: ReadonlyArray<[Address, number]> };
/** A checked target: connect to `address`, present `host` (SNI, certificate, Host header). */
export type PinnedTarget = { host: string; address: string; family: 4 | 6 };

export class EgressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefused';
  }
}

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
/** IPv4 in its usual dotted form only (ipaddr also reads 0x7f.1 and friends). */
const isIpLiteral = (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);

/** Why an allow-list entry is unusable, or null: a host name, an IP address, or a CIDR range. */
export function allowEntryProblem(entry: string): string | null {
  if (entry.includes('/')) return ipaddr.isValidCIDR(entry) ? null : `${entry} is not a CIDR range`;
  if (isIpLiteral(entry) || HOSTNAME.test(entry)) return null;
  return `${entry} is not a host name, an IP address or a CIDR range`;
}

export function parseAllowList(spec: string | undefined): AllowList {
  const hosts = new Set<string>();
  const ranges: Array<[Address, number]> = [];
  for (const raw of (spec ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const problem = allowEntryProblem(entry);
    if (problem) throw new Error(problem);
    if (entry.includes('/')) ranges.push(ipaddr.parseCIDR(entry));
    else if (isIpLiteral(entry)) {
      const a = toAddress(entry);
      ranges.push([a, a.kind() === 'ipv4' ? 32 : 128]);
    } else hosts.add(entry.replace(/\.$/, ''));
  }
  return { hosts, ranges };
}

/**
 * An address as the socket will see it: IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes its IPv4. A
 * dotted tail is rewritten in hex first: ipaddr.js reads any `::a.b.c.d` as IPv4-mapped, which
 * would judge the (unrelated) IPv4-compatible ::8.8.8.8 as public 8.8.8.8.
 */
function toAddress(ip: string): Address {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const hex = m ? `${m[1]}${((Number(m[2]) << 8) | Number(m[3])).toString(16)}:${((Number(m[4]) << 8) | Number(m[5])).toString(16)}` : ip;
  if (!ipaddr.IPv6.isValid(hex)) return ipaddr.IPv4.parse(hex);
  const v6 = ipaddr.IPv6.parse(hex);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

// 0000::/8 is reserved (the old IPv4-compatible ::a.b.c.d among it); ipaddr calls it unicast.
const V6_RESERVED = ipaddr.parseCIDR('::/8');

/** The range name of a non-public address, or null for public unicast. IPv4-mapped IPv6 is judged as its IPv4. */
export function nonPublicRange(ip: string): string | null {
  if (!ipaddr.isValid(ip)) return 'invalid';
  const a = toAddress(ip);
  const range = a.range();
  if (range !== 'unicast') return range;
  if (a.kind() === 'ipv6' && a.match(V6_RESERVED)) return 'reserved';
  return null;
}

const notPublic = (host: string) => `${host} does not resolve to a public address (the operator can allow-list it with RAPPORT_WEBHOOK_ALLOW_HOSTS)`;

function inRanges(a: Address, ranges: AllowList['ranges']): boolean {
  return ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
}

export function createEgressGuard(opts: { allow?: string | undefined; resolve?: Resolver | undefined } = {}) {
  const allow = parseAllowList(opts.allow);
  const resolve = opts.resolve ?? systemResolver;

  /** Resolves and checks a URL's host; throws EgressRefused, else the address to connect to. */
  async function check(url: URL): Promise<PinnedTarget> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressRefused('Only http:// and https:// URLs are allowed');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (!host) throw new EgressRefused('The URL has no host');
    const hostAllowed = allow.hosts.has(host.replace(/\.$/, ''));
    let addresses: Array<{ address: string; family: number }>;
    if (isIpLiteral(host)) addresses = [{ address: host, family: ipaddr.IPv4.isValidFourPartDecimal(host) ? 4 : 6 }];
    else {
      try {
        addresses = await resolve(host);
      } catch {
        addresses = [];
      }
      // One answer for "does not resolve" and "resolves privately": a tenant learns nothing of
      // the operator's internal names or addresses.
      if (addresses.length === 0) throw new EgressRefused(notPublic(host));
    }
    for (const { address } of addresses) {
      if (hostAllowed) break;
      const range = nonPublicRange(address);
      if (range === null || (range !== 'invalid' && inRanges(toAddress(address), allow.ranges))) continue;
      throw new EgressRefused(
        isIpLiteral(host)
          ? `${host} is a ${range} address: webhooks only reach public addresses unless the operator allow-lists it (RAPPORT_WEBHOOK_ALLOW_HOSTS)`
          : notPublic(host),
      );
    }
    const first = addresses[0] as { address: string; family: number };
    return { host, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  return { check };
}
export type EgressGuard = ReturnType<typeof createEgressGuard>;

/** A `lookup` for http.request/net.connect that answers only the checked address (no second DNS query). */
export function pinnedLookup(target: PinnedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}
