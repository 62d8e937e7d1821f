// Bounded traits: customers' and organizations' traits grow by merging what identify and group
// calls send, and every change is copied into the domain-events log. Without a bound a tenant
// (or anyone holding a public client key) could grow one profile without end and make every
// later change of it cost more. A profile keeps at most MAX_TRAIT_KEYS keys and MAX_TRAITS_BYTES
// of JSON; keys past either bound are not added (existing keys may still change).
export const MAX_TRAIT_KEYS = 200;
export const MAX_TRAITS_BYTES = 32_768;

/**
 * Merges incoming traits into known ones: trusted sources overwrite, others only add (public
 * keys never overwrite what a trusted source said). Own properties only: `__proto__` is a key.
 */
export function mergeTraits(known: Record<string, unknown>, incoming: Record<string, unknown>, trusted: boolean): Record<string, unknown> {
  const out = new Map(Object.entries(known));
  let bytes = JSON.stringify(known).length;
  for (const [k, v] of Object.entries(incoming)) {
    if (out.has(k)) {
      if (trusted) out.set(k, v);
      continue;
    }
    if (out.size >= MAX_TRAIT_KEYS) break;
    const size = JSON.stringify(k).length + (JSON.stringify(v) ?? '').length + 2;
    if (bytes + size > MAX_TRAITS_BYTES) continue;
    bytes += size;
    out.set(k, v);
  }
  const merged = Object.fromEntries(out);
  // Overwritten values may have grown: past the bound, keep what was known.
  return JSON.stringify(merged).length > MAX_TRAITS_BYTES && JSON.stringify(known).length <= MAX_TRAITS_BYTES ? known : merged;
}
