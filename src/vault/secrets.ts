/**
 * Vault password sources, as ansible-playbook's setup_vault_secrets reads them, and the keyring
 * the YAML loader decrypts with (src/vault/loader.ts setYamlVault):
 *
 *   --vault-id [LABEL@]SOURCE   (repeatable; SOURCE = a file, an executable script, or `prompt`)
 *   --vault-password-file FILE  (repeatable; = --vault-id default@FILE)
 *   --ask-vault-pass            (= --vault-id default@prompt_ask_vault_pass)
 *   ansible.cfg vault_password_file (added after the command line's, as Ansible does)
 *
 * A file is read and stripped of surrounding whitespace; an executable file is run (a name ending
 * in `-client` gets `--vault-id LABEL`) and its stdout, stripped of line ends, is the password.
 */
import { readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, extname } from 'node:path';
import { decryptVault, type VaultSecret } from './decrypt.js';
import type { YamlVault } from './loader.js';
import type { SecretSink } from '../util/secrets.js';

const DEFAULT_VAULT_ID = 'default';

/** Where the vault passwords come from (already in Ansible's order). */
export interface VaultSources {
  /** `--vault-id` values as given: `[LABEL@]SOURCE` */
  vaultIds: string[];
  /** `--vault-password-file` values, then ansible.cfg's vault_password_file */
  passwordFiles: string[];
  askVaultPass: boolean;
}

/** Asks for a hidden value on the terminal (src/cli/prompt.ts askHidden). */
export type Ask = (prompt: string) => Promise<string>;

/** An error in a vault password source (no file:line: it names the file or the option). */
export class VaultSourceError extends Error {
  constructor(message: string, public hint?: string) {
    super(message);
    this.name = 'VaultSourceError';
  }
}

/** `label@source` -> [label, source]; no `@`: the default label. */
function splitVaultId(slug: string): { id: string; source: string } {
  const at = slug.indexOf('@');
  if (at < 0) return { id: DEFAULT_VAULT_ID, source: slug };
  return { id: slug.slice(0, at) || DEFAULT_VAULT_ID, source: slug.slice(at + 1) };
}

/** Ansible's build_vault_ids: --vault-id values, then password files, then the --ask-vault-pass prompt. */
function vaultSlugs(src: VaultSources): string[] {
  return [...src.vaultIds, ...src.passwordFiles.map((f) => `${DEFAULT_VAULT_ID}@${f}`), ...(src.askVaultPass ? [`${DEFAULT_VAULT_ID}@prompt_ask_vault_pass`] : [])];
}

const isExecutable = (path: string) => (statSync(path).mode & 0o111) !== 0;
const isClientScript = (path: string) => basename(path, extname(path)).endsWith('-client');
/** Python's bytes.strip() (ASCII whitespace) and bytes.strip(b'\r\n'). */
const stripWs = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, ''), 'latin1');
const stripNl = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/^[\r\n]+|[\r\n]+$/g, ''), 'latin1');

/** The password of a file source: the file's text, or an executable's stdout. Throws VaultSourceError. */
export function readPasswordSource(path: string, id: string): Buffer {
  let exec: boolean;
  try {
    exec = isExecutable(path);
  } catch {
    throw new VaultSourceError(`The vault password file ${path} was not found`, 'pass an existing file to --vault-password-file / --vault-id');
  }
  if (exec) {
    const args = isClientScript(path) ? ['--vault-id', id] : [];
    const r = spawnSync(path, args, { stdio: ['inherit', 'pipe', isClientScript(path) ? 'pipe' : 'inherit'], maxBuffer: 1024 * 1024 });
    if (r.error) throw new VaultSourceError(`Problem running vault password script ${path} (${r.error.message}). If this is not a script, remove the executable bit from the file.`);
    if (r.status !== 0) {
      const err = r.stderr ? ` ${r.stderr.toString().trim()}` : '';
      if (isClientScript(path) && r.status === 2) throw new VaultSourceError(`Vault password client script ${path} did not find a secret for vault-id=${id}:${err}`);
      throw new VaultSourceError(`Vault password script ${path} returned non-zero (${r.status ?? r.signal}):${err}`);
    }
    const pw = stripNl(r.stdout);
    if (!pw.length) throw new VaultSourceError(`Invalid vault password was provided from script (${path})`);
    return pw;
  }
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new VaultSourceError(`Could not read vault password file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const pw = stripNl(stripWs(raw));
  if (!pw.length) throw new VaultSourceError(`Invalid vault password was provided from file (${path})`);
  return pw;
}

/**
 * Every vault secret of `src`, prompting where asked. As Ansible: a source that cannot be read is
 * an error only when no source at all could be read (`warn` gets the others).
 */
export async function loadVaultSecrets(src: VaultSources, ask: Ask, warn: (msg: string) => void = () => undefined): Promise<VaultSecret[]> {
  const out: VaultSecret[] = [];
  let last: VaultSourceError | undefined;
  for (const slug of vaultSlugs(src)) {
    const { id, source } = splitVaultId(slug);
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      const pw = (await ask(source === 'prompt' ? `Vault password (${id}): ` : 'Vault password: ')).trim();
      if (!pw) throw new VaultSourceError('Invalid vault password was provided', 'type the vault password at the prompt');
      out.push({ id, password: Buffer.from(pw, 'utf8') });
      continue;
    }
    try {
      out.push({ id, password: readPasswordSource(source, id) });
    } catch (e) {
      if (!(e instanceof VaultSourceError)) throw e;
      warn(`Error getting vault password file (${id}): ${e.message}`);
      last = e;
    }
  }
  if (last && !out.length) throw last;
  return out;
}

/**
 * The keyring the YAML loader decrypts `!vault` values and vault files with. Every decrypted value
 * goes to `reveal` (the run's secrets: reporters redact it). Plaintexts are cached by envelope
 * (key derivation costs 10000 PBKDF2 rounds).
 */
export class VaultKeyring implements YamlVault {
  private cache = new Map<string, Buffer>();
  constructor(
    private readonly secrets: readonly VaultSecret[],
    private readonly sink: SecretSink = () => undefined,
  ) {}

  decryptBytes(envelope: string): Buffer {
    let plain = this.cache.get(envelope);
    if (plain === undefined) {
      plain = decryptVault(envelope, this.secrets);
      this.cache.set(envelope, plain);
    }
    return plain;
  }

  decrypt(envelope: string): string {
    return this.decryptBytes(envelope).toString('utf8');
  }

  reveal(value: string): void {
    if (value !== '') this.sink(value);
  }
}
