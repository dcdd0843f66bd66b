/**
 * Hash filters: password_hash (Ansible 2.14 without passlib: the crypt(3) formats sha512_crypt,
 * sha256_crypt and md5_crypt, computed here with node:crypto to the byte), hash/checksum/md5/sha1
 * (hashlib names) and to_uuid (uuid5 in Ansible's namespace).
 */
import { createHash, getHashes, randomInt } from 'node:crypto';
import { pyErr, pyStr, pyType } from './py.js';
import { arg, type FilterFn } from './types.js';

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt's base-64 of 24-bit groups, least significant 6 bits first. */
function b64(bytes: Buffer, groups: number[][]): string {
  let out = '';
  for (const g of groups) {
    const [a, b, c] = [g[0] < 0 ? 0 : bytes[g[0]], g[1] < 0 ? 0 : bytes[g[1]], bytes[g[2]]];
    let w = (a << 16) | (b << 8) | c;
    const n = g[0] < 0 ? (g[1] < 0 ? 2 : 3) : 4;
    for (let i = 0; i < n; i++, w >>= 6) out += B64[w & 0x3f];
  }
  return out;
}

/** The byte order of sha512_crypt's final encoding (from Drepper's specification). */
const ORDER512: number[][] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
  [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41], [-1, -1, 63],
];
const ORDER256: number[][] = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29], [-1, 31, 30]];
const ORDERMD5: number[][] = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5], [-1, -1, 11]];

/** `n` bytes of `block` repeated. */
const repeatTo = (block: Buffer, n: number) => Buffer.concat(Array.from({ length: Math.ceil(n / block.length) || 0 }, () => block)).subarray(0, n);

/** SHA-crypt ($5$ / $6$, Ulrich Drepper's specification), as glibc computes it. */
function shaCrypt(alg: 'sha256' | 'sha512', key: Buffer, salt: string, rounds: number | null): string {
  const H = (...parts: Buffer[]) => createHash(alg).update(Buffer.concat(parts)).digest();
  const s = Buffer.from(salt.slice(0, 16));
  const r = rounds === null ? 5000 : Math.min(999_999_999, Math.max(1000, rounds));
  const B = H(key, s, key);
  const a: Buffer[] = [key, s, repeatTo(B, key.length)];
  for (let n = key.length; n > 0; n >>= 1) a.push(n & 1 ? B : key);
  const A = H(...a);
  const P = repeatTo(H(...Array.from({ length: key.length }, () => key)), key.length);
  const S = repeatTo(H(...Array.from({ length: 16 + A[0] }, () => s)), s.length);
  let C = A;
  for (let i = 0; i < r; i++) {
    const parts: Buffer[] = [i & 1 ? P : C];
    if (i % 3) parts.push(S);
    if (i % 7) parts.push(P);
    parts.push(i & 1 ? C : P);
    C = H(...parts);
  }
  const id = alg === 'sha512' ? '6' : '5';
  return `$${id}$${rounds === null ? '' : `rounds=${r}$`}${s.toString()}$${b64(C, alg === 'sha512' ? ORDER512 : ORDER256)}`;
}

/** md5_crypt ($1$, Poul-Henning Kamp's). */
function md5Crypt(key: Buffer, salt: string): string {
  const H = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();
  const s = Buffer.from(salt.slice(0, 8));
  const alt = H(key, s, key);
  const parts: Buffer[] = [key, Buffer.from('$1$'), s, repeatTo(alt, key.length)];
  for (let n = key.length; n > 0; n >>= 1) parts.push(n & 1 ? Buffer.from([0]) : key.subarray(0, 1));
  let f = H(...parts);
  for (let i = 0; i < 1000; i++) {
    const p: Buffer[] = [i & 1 ? key : f];
    if (i % 3) p.push(s);
    if (i % 7) p.push(key);
    p.push(i & 1 ? f : key);
    f = H(...p);
  }
  return `$1$${s.toString()}$${b64(f, ORDERMD5)}`;
}

/** Ansible's algorithms (utils/encrypt.py): crypt id, salt size, implicit rounds. */
const ALGOS: Record<string, { salt: number; implicit: number | null }> = {
  md5_crypt: { salt: 8, implicit: null },
  sha256_crypt: { salt: 16, implicit: 535000 },
  sha512_crypt: { salt: 16, implicit: 656000 },
};
const ALIASES: Record<string, string> = { md5: 'md5_crypt', blowfish: 'bcrypt', sha256: 'sha256_crypt', sha512: 'sha512_crypt' };
const SALT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./';

export function passwordHash(secret: unknown, args: unknown[], kw: Record<string, unknown>): string {
  const type = pyStr(arg(args, kw, 0, 'hashtype', 'sha512'));
  const algo = ALIASES[type] ?? type;
  if (algo === 'bcrypt') throw pyErr("password_hash: bcrypt (blowfish) is not supported by kvplay", 'use sha512 (the default), sha256 or md5');
  const spec = Object.prototype.hasOwnProperty.call(ALGOS, algo) ? ALGOS[algo] : undefined;
  if (!spec) throw pyErr(`crypt.crypt does not support '${algo}' algorithm`, 'use sha512 (the default), sha256 or md5');
  if (typeof secret !== 'string') throw pyErr(`crypt() argument 1 must be str, not ${pyType(secret)}`);
  const [saltArg, sizeArg, roundsArg, ident] = [arg(args, kw, 1, 'salt', null), arg(args, kw, 2, 'salt_size', null), arg(args, kw, 3, 'rounds', null), arg(args, kw, 4, 'ident', null)];
  const size = Number(sizeArg || spec.salt);
  const salt = saltArg ? pyStr(saltArg) : Array.from({ length: size }, () => SALT_CHARS[randomInt(SALT_CHARS.length)]).join('');
  if (/[^./0-9A-Za-z]/.test(salt)) throw pyErr('invalid characters in salt');
  if (salt.length > spec.salt) throw pyErr('invalid salt size');
  if (ident) throw pyErr(`crypt.crypt does not support '${algo}' algorithm`, 'ident is for bcrypt only');
  const rounds = roundsArg === null || roundsArg === undefined || roundsArg === 0 || roundsArg === spec.implicit ? null : Number(roundsArg);
  const key = Buffer.from(secret, 'utf8');
  if (algo === 'md5_crypt') return md5Crypt(key, salt);
  return shaCrypt(algo === 'sha512_crypt' ? 'sha512' : 'sha256', key, salt, rounds);
}

/** Python hashlib names, as OpenSSL (node:crypto) spells them. */
const HASHLIB: Record<string, string> = { blake2b: 'blake2b512', blake2s: 'blake2s256', sha3_224: 'sha3-224', sha3_256: 'sha3-256', sha3_384: 'sha3-384', sha3_512: 'sha3-512', sha512_224: 'sha512-224', sha512_256: 'sha512-256' };

export function hashOf(v: unknown, type: string): string {
  const t = HASHLIB[type] ?? type.toLowerCase();
  if (!getHashes().includes(t) || /^shake/.test(t)) throw pyErr(`unsupported hash type ${type}`, 'use md5, sha1, sha224, sha256, sha384, sha512, blake2b or sha3_256');
  return createHash(t).update(pyStr(v), 'utf8').digest('hex');
}

/** uuid5(namespace, name), Python's uuid module. */
function uuid5(ns: string, name: string): string {
  const hex = ns.replace(/^urn:uuid:/, '').replace(/^\{|\}$/g, '').replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw pyErr(`Invalid value '${ns}' for 'namespace': badly formed hexadecimal UUID string`);
  const h = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const CRYPT_FILTERS: Record<string, FilterFn> = {
  password_hash: (_e, v, a, kw) => passwordHash(v, a, kw),
  hash: (_e, v, a, kw) => hashOf(v, pyStr(arg(a, kw, 0, 'hashtype', 'sha1'))),
  checksum: (_e, v) => hashOf(v, 'sha1'),
  sha1: (_e, v) => hashOf(v, 'sha1'),
  md5: (_e, v) => hashOf(v, 'md5'),
  to_uuid: (_e, v, a, kw) => uuid5(pyStr(arg(a, kw, 0, 'namespace', '361E6D51-FAEC-444A-9079-341386DA8E2E')), pyStr(v)),
};
