/**
 * The loader's side of the vault: `!vault` values and vault-encrypted files are decrypted with the
 * vault the CLI registers (setYamlVault, a src/vault/secrets.ts VaultKeyring) once the vault
 * passwords are known and before anything is loaded, as Ansible's DataLoader holds its vault
 * secrets. Without one, vaulted data is an error. Every decrypted value is revealed to the run's
 * secrets (the reporters redact it). Decryption happens at load: Ansible decrypts on first use,
 * kvplay refuses bad vault data before anything runs.
 */
import { InputError, InputErrors, type Loc } from '../util/errors.js';
import { addSecretLeaves } from '../util/secrets.js';
import { VAULT_HEADER } from './decrypt.js';

export interface YamlVault {
  /** The plaintext of a vault envelope; throws Error (Ansible's message) when no secret opens it. */
  decrypt(envelope: string): string;
  /** The same, as bytes (a vaulted file copied to a host may be binary). */
  decryptBytes(envelope: string): Buffer;
  /** Records a decrypted value as a secret. */
  reveal(value: string): void;
}

let yamlVault: YamlVault | undefined;
/** Register (or with undefined, forget) the vault used for every later load. */
export function setYamlVault(v: YamlVault | undefined): void {
  yamlVault = v;
}

/** A `!vault` scalar before decryption. */
export class VaultValue {
  constructor(readonly ciphertext: string) {}
}
/** `!vault` (and its older spelling `!vault-encrypted`) on a scalar, for the yaml library's customTags. */
export const VAULT_TAGS = ['!vault', '!vault-encrypted'].map((tag) => ({ tag, resolve: (s: string) => new VaultValue(s) }));

const NO_VAULT_HINT = 'pass the vault password with --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass';
const WRONG_HINT = 'none of the vault passwords given opens it: check --vault-password-file / --vault-id / --ask-vault-pass';

function vault(at: Loc): YamlVault {
  if (!yamlVault) throw new InputError('Attempting to decrypt but no vault secrets found', at, NO_VAULT_HINT);
  return yamlVault;
}
function decrypt<T>(at: Loc, fn: (v: YamlVault) => T): T {
  const v = vault(at);
  try {
    return fn(v);
  } catch (e) {
    throw new InputError((e as Error).message, at, WRONG_HINT);
  }
}

/** Where the `!vault` tag of the value at `offset` starts (the value itself when the tag is not on its line). */
export function vaultTagOffset(text: string, offset: number): number {
  const t = text.lastIndexOf('!vault', offset);
  return t >= 0 && !text.slice(t, offset).includes('\n') ? t : offset;
}

/** The plaintext of a `!vault` value (revealed as a secret). Throws InputError at `at`. */
export function openVaultValue(v: VaultValue, at: Loc): string {
  const plain = decrypt(at, (k) => k.decrypt(v.ciphertext));
  yamlVault?.reveal(plain);
  return plain;
}

/** The plaintext of vault-encrypted file text (other text is returned as is). Throws InputErrors. */
export function decryptVaultText(text: string, file: string): string {
  if (!text.startsWith(VAULT_HEADER)) return text;
  try {
    return decrypt({ file, line: 1, col: 1 }, (k) => k.decrypt(text));
  } catch (e) {
    throw e instanceof InputError ? new InputErrors([e]) : e;
  }
}

/** Every string (and number) in data parsed from a vault-encrypted file is a secret. */
export function revealLeaves(data: unknown): void {
  addSecretLeaves(data, (v) => yamlVault?.reveal(v));
}

/**
 * A controller file's bytes as Ansible's loader hands them to copy/template `src` and
 * lookup('file'): decrypted when vault-encrypted. Throws InputError.
 */
export function decryptVaultBytes(data: Buffer, file: string): Buffer {
  if (!data.subarray(0, VAULT_HEADER.length).equals(Buffer.from(VAULT_HEADER))) return data;
  const plain = decrypt({ file, line: 1, col: 1 }, (k) => k.decryptBytes(data.toString('latin1')));
  // a text file's content is a secret as a whole and line by line (diffs show it by line)
  if (!plain.includes(0)) {
    const text = plain.toString('utf8');
    for (const v of [text, ...text.split('\n').map((l) => l.trim())]) yamlVault?.reveal(v);
  }
  return plain;
}
