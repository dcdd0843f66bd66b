/**
 * The vault and unvault filters (ansible.builtin, encryption.py): Ansible Vault 1.2 envelopes
 * (AES256, the vault id `filter_default` unless given) made and opened with node:crypto, as
 * VaultLib / VaultAES256 do; with a given salt, the text is Ansible's to the byte.
 */
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { pyErr, pyStr, pyType } from './py.js';
import { VAULT_HEADER, decryptWith, parseEnvelope } from '../vault/decrypt.js';
import { arg, type FilterFn } from './types.js';

function text(v: unknown, what: string): string {
  if (typeof v !== 'string') throw pyErr(`${what}, instead we got: <class '${pyType(v)}'>`);
  return v;
}

/** VaultLib.encrypt + format_vaulttext_envelope */
function encrypt(plain: string, secret: string, salt: unknown, vaultId: string): string {
  if (salt !== null && salt !== undefined && !salt) throw pyErr('Unable to encrypt: Empty or invalid salt passed');
  const s = salt === null || salt === undefined ? randomBytes(32) : Buffer.from(pyStr(salt), 'utf8');
  const k = pbkdf2Sync(Buffer.from(secret, 'utf8'), s, 10000, 80, 'sha256');
  const data = Buffer.from(plain, 'utf8');
  const n = 16 - (data.length % 16);
  const padded = Buffer.concat([data, Buffer.alloc(n, n)]);
  const c = createCipheriv('aes-256-ctr', k.subarray(0, 32), k.subarray(64, 80));
  const ct = Buffer.concat([c.update(padded), c.final()]);
  const mac = createHmac('sha256', k.subarray(32, 64)).update(ct).digest();
  const body = Buffer.from([s.toString('hex'), mac.toString('hex'), ct.toString('hex')].join('\n'), 'latin1').toString('hex');
  const header = vaultId && vaultId !== 'default' ? `${VAULT_HEADER};1.2;AES256;${vaultId}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < body.length; i += 80) lines.push(body.slice(i, i + 80));
  return lines.join('\n') + '\n';
}

export const VAULT_FILTERS: Record<string, FilterFn> = {
  vault: (_e, v, a, kw) => {
    const secret = text(arg(a, kw, 0, 'secret'), 'Secret passed is required to be a string');
    return encrypt(text(v, 'Can only vault strings'), secret, arg(a, kw, 1, 'salt', null), pyStr(arg(a, kw, 2, 'vaultid', 'filter_default')));
  },
  unvault: (_e, v, a, kw) => {
    const secret = text(arg(a, kw, 0, 'secret'), 'Secret passed is required to be as string');
    const vault = text(v, 'Vault should be in the form of a string');
    if (!vault.startsWith(VAULT_HEADER)) return vault;
    let plain: Buffer | undefined;
    try {
      plain = decryptWith(parseEnvelope(vault), Buffer.from(secret, 'utf8'));
    } catch (err) {
      throw pyErr(`Unable to decrypt: ${(err as Error).message}`);
    }
    if (!plain) throw pyErr('Unable to decrypt: Decryption failed (no vault secrets were found that could decrypt)', 'check the secret');
    return plain.toString('utf8');
  },
};
