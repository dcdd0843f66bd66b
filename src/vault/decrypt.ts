/**
 * Ansible Vault decryption (format 1.1 and 1.2, cipher AES256), with node:crypto only, exactly as
 * ansible.parsing.vault.VaultAES256 does:
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ;LABEL, the vault id)
 *   hex( hex(salt) "\n" hex(hmac) "\n" hex(ciphertext) ), in lines of 80
 *
 *   PBKDF2-HMAC-SHA256(password, salt, 10000 iterations) -> 80 bytes: AES key | HMAC key | IV
 *   HMAC-SHA256(HMAC key, ciphertext) must equal hmac (compared in constant time)
 *   AES-256-CTR(AES key, IV) decrypts, then PKCS#7 padding is removed.
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/** Vault-encrypted data starts with it (Ansible's is_encrypted). */
export const VAULT_HEADER = '$ANSIBLE_VAULT';

/** Ansible's message when no secret opens the envelope (a wrong password). */
export const DECRYPTION_FAILED = 'Decryption failed (no vault secrets were found that could decrypt)';

/** A malformed envelope (not a wrong password): the header or the hex body is broken. */
class VaultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultFormatError';
  }
}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** the vault id of a 1.2 envelope (undefined for 1.1) */
  label?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

function unhex(s: string, what: string): Buffer {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new VaultFormatError(`Vault format unhexlify error: ${what} is not hexadecimal`);
  return Buffer.from(s, 'hex');
}

/** Parse an envelope (header line + hex lines). Throws VaultFormatError. */
export function parseEnvelope(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].trim().split(';').map((s) => s.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultFormatError(`Vault envelope format error: bad header ${JSON.stringify(lines[0].trim())}`);
  const [, version, cipher, label] = header;
  const body = unhex(lines.slice(1).map((l) => l.trim()).join(''), 'the vault body').toString('latin1');
  const parts = body.split('\n');
  if (parts.length < 3) throw new VaultFormatError('Vault vaulttext format error: expected salt, hmac and ciphertext');
  const [salt, hmac] = parts;
  const ciphertext = parts.slice(2).join('\n');
  return {
    version,
    cipher,
    ...(header.length >= 4 && label ? { label } : {}),
    salt: unhex(salt, 'the salt'),
    hmac: unhex(hmac, 'the hmac'),
    ciphertext: unhex(ciphertext, 'the ciphertext'),
  };
}

/** Keys of one (password, salt) pair: AES key, HMAC key, IV. */
function deriveKeys(password: Buffer, salt: Buffer): { aes: Buffer; mac: Buffer; iv: Buffer } {
  const k = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  return { aes: k.subarray(0, 32), mac: k.subarray(32, 64), iv: k.subarray(64, 80) };
}

/** Remove PKCS#7 padding (block 16); undefined when the padding is invalid. */
function unpad(b: Buffer): Buffer | undefined {
  if (b.length === 0 || b.length % 16 !== 0) return undefined;
  const n = b[b.length - 1];
  if (n < 1 || n > 16) return undefined;
  for (let i = b.length - n; i < b.length; i++) if (b[i] !== n) return undefined;
  return b.subarray(0, b.length - n);
}

/** Decrypt with one password: the plaintext bytes, or undefined when the HMAC does not verify. */
export function decryptWith(env: VaultEnvelope, password: Buffer): Buffer | undefined {
  if (env.cipher !== 'AES256') throw new VaultFormatError(`${env.cipher} cipher could not be found`);
  const { aes, mac, iv } = deriveKeys(password, env.salt);
  const expected = createHmac('sha256', mac).update(env.ciphertext).digest();
  if (expected.length !== env.hmac.length || !timingSafeEqual(expected, env.hmac)) return undefined;
  const d = createDecipheriv('aes-256-ctr', aes, iv);
  const padded = Buffer.concat([d.update(env.ciphertext), d.final()]);
  const plain = unpad(padded);
  if (!plain) throw new VaultFormatError('Vault format error: invalid padding');
  return plain;
}

/** One vault secret: its vault id (label) and the password bytes. */
export interface VaultSecret {
  id: string;
  password: Buffer;
}

/**
 * Decrypt `text` trying the secrets as Ansible does: the secret whose id matches the envelope's
 * label first, then every other one (DEFAULT_VAULT_ID_MATCH false). Returns the plaintext, or
 * throws Error(DECRYPTION_FAILED) when none verifies, VaultFormatError for a broken envelope.
 */
export function decryptVault(text: string, secrets: readonly VaultSecret[]): Buffer {
  const env = parseEnvelope(text);
  const ordered = [...secrets.filter((s) => env.label !== undefined && s.id === env.label), ...secrets.filter((s) => env.label === undefined || s.id !== env.label)];
  for (const s of ordered) {
    const plain = decryptWith(env, s.password);
    if (plain) return plain;
  }
  throw new Error(DECRYPTION_FAILED);
}
