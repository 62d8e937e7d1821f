// Password hashing with scrypt (memory-hard, in Node's crypto: no native addon to build).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** cost = log2(N); 15 → 32 MiB per hash. Tests lower it. */
export async function hashPassword(password: string, cost = 15): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** cost;
  const key = await scryptAsync(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 });
  return `scrypt$${cost}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, costS, rS, pS, saltS, keyS] = stored.split('$');
  if (scheme !== 'scrypt' || !costS || !rS || !pS || !saltS || !keyS) return false;
  const N = 2 ** Number(costS);
  const r = Number(rS);
  const expected = Buffer.from(keyS, 'base64url');
  const key = await scryptAsync(password, Buffer.from(saltS, 'base64url'), expected.length, {
    N,
    r,
    p: Number(pS),
    maxmem: 128 * N * r * 2 + 1024 * 1024,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

// A hash to compare against when the user does not exist, so timing does not reveal accounts.
let dummy: Promise<string> | null = null;
export function dummyHash(cost: number): Promise<string> {
  dummy ??= hashPassword('not-a-real-password', cost);
  return dummy;
}
