/**
 * ansible.cfg, read as Ansible's config manager reads it: the first readable of $ANSIBLE_CONFIG
 * (a file, or a directory holding ansible.cfg), ./ansible.cfg (skipped in a world-writable
 * directory), ~/.ansible.cfg, /etc/ansible/ansible.cfg; Python configparser syntax; environment
 * variables (ANSIBLE_FORKS, ...) win over the file; relative paths are relative to the file.
 *
 * Only the CLI reads it (and the environment): the settings reach the rest of kvplay as options,
 * and the command line wins over both (src/cli/args.ts CliDefaults).
 */
import { readFileSync, statSync, accessSync, constants } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { InputError, fmtLoc, type Loc } from '../util/errors.js';
import { toBool } from '../util/truth.js';

/** The settings kvplay uses, already typed (undefined: not set). */
export interface AnsibleSettings {
  inventory?: string[];
  rolesPath?: string[];
  forks?: number;
  remoteUser?: string;
  hostKeyChecking?: boolean;
  privateKeyFile?: string;
  vaultPasswordFile?: string;
  timeout?: number;
  become?: boolean;
  becomeUser?: string;
  becomeAskPass?: boolean;
  /** become_method (sudo or su; another fails the tasks that become, as in Ansible) */
  becomeMethod?: string;
}

export interface AnsibleCfg {
  /** The file read (undefined: none found). */
  file?: string;
  settings: AnsibleSettings;
  /** Keys of the file kvplay does not use (`section.key`), in file order. */
  ignored: string[];
  /** Notes for stderr (e.g. a world-writable directory's ansible.cfg skipped). */
  warnings: string[];
}

type Kind = 'pathlist' | 'pathspec' | 'path' | 'int' | 'bool' | 'str';
interface Setting {
  section: string;
  key: string;
  env: string;
  kind: Kind;
  field: keyof AnsibleSettings;
}

/** Ansible's config/base.yml entries for the settings kvplay uses. */
const SETTINGS: Setting[] = [
  { section: 'defaults', key: 'inventory', env: 'ANSIBLE_INVENTORY', kind: 'pathlist', field: 'inventory' },
  { section: 'defaults', key: 'roles_path', env: 'ANSIBLE_ROLES_PATH', kind: 'pathspec', field: 'rolesPath' },
  { section: 'defaults', key: 'forks', env: 'ANSIBLE_FORKS', kind: 'int', field: 'forks' },
  { section: 'defaults', key: 'remote_user', env: 'ANSIBLE_REMOTE_USER', kind: 'str', field: 'remoteUser' },
  { section: 'defaults', key: 'host_key_checking', env: 'ANSIBLE_HOST_KEY_CHECKING', kind: 'bool', field: 'hostKeyChecking' },
  { section: 'defaults', key: 'private_key_file', env: 'ANSIBLE_PRIVATE_KEY_FILE', kind: 'path', field: 'privateKeyFile' },
  { section: 'defaults', key: 'vault_password_file', env: 'ANSIBLE_VAULT_PASSWORD_FILE', kind: 'path', field: 'vaultPasswordFile' },
  { section: 'defaults', key: 'timeout', env: 'ANSIBLE_TIMEOUT', kind: 'int', field: 'timeout' },
  { section: 'privilege_escalation', key: 'become', env: 'ANSIBLE_BECOME', kind: 'bool', field: 'become' },
  { section: 'privilege_escalation', key: 'become_user', env: 'ANSIBLE_BECOME_USER', kind: 'str', field: 'becomeUser' },
  { section: 'privilege_escalation', key: 'become_ask_pass', env: 'ANSIBLE_BECOME_ASK_PASS', kind: 'bool', field: 'becomeAskPass' },
];
/** sudo or su; another is kept and said in a warning (a task that becomes with it fails). */
const BECOME_METHOD = { section: 'privilege_escalation', key: 'become_method', env: 'ANSIBLE_BECOME_METHOD' };

export interface CfgEnv {
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
}

const readable = (p: string) => {
  try {
    accessSync(p, constants.R_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Which ansible.cfg Ansible would read (find_ini_config_file), and a warning when ./ansible.cfg is skipped. */
export function findAnsibleCfg(where: CfgEnv, warnings: string[] = []): string | undefined {
  const candidates: string[] = [];
  const fromEnv = where.env.ANSIBLE_CONFIG;
  if (fromEnv !== undefined) {
    let p = resolve(where.cwd, expandPath(fromEnv, where));
    try {
      if (statSync(p).isDirectory()) p = join(p, 'ansible.cfg');
    } catch {
      /* a missing path is simply not found */
    }
    candidates.push(p);
  }
  const cwdCfg = join(where.cwd, 'ansible.cfg');
  let worldWritable = false;
  try {
    worldWritable = (statSync(where.cwd).mode & 0o002) !== 0;
  } catch {
    /* an unreadable cwd is no source */
  }
  if (!worldWritable) candidates.push(cwdCfg);
  candidates.push(join(where.home, '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  const found = candidates.find(readable);
  if (worldWritable && readable(cwdCfg) && (fromEnv === undefined || found !== candidates[0])) {
    warnings.push(`Ansible is being run in a world writable directory (${where.cwd}), ignoring it as an ansible.cfg source.`);
  }
  return found;
}

/** `~` and `$VAR` / `${VAR}` as Python's expanduser + expandvars (unknown variables stay). */
function expandPath(p: string, where: CfgEnv): string {
  const v = p.replace(/\$(\w+|\{[^}]*\})/g, (m, name: string) => where.env[name.replace(/^\{|\}$/g, '')] ?? m);
  return v === '~' ? where.home : v.startsWith('~/') ? join(where.home, v.slice(2)) : v;
}

interface Entry {
  value: string;
  loc: Loc;
}

/**
 * Python configparser (strict, inline `;` comments, `=` or `:`, keys lower-cased, indented
 * continuation lines). Returns section -> key -> entry, in file order. Throws InputError.
 */
function parseCfgText(text: string, file: string): Map<string, Map<string, Entry>> {
  const out = new Map<string, Map<string, Entry>>();
  let section: Map<string, Entry> | undefined;
  let last: Entry | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const loc: Loc = { file, line: i + 1, col: 1 };
    const noComment = raw.replace(/(^|\s);.*$/, '');
    const line = noComment.trim();
    if (!raw.trim() || /^\s*[#;]/.test(raw)) {
      last = undefined;
      return;
    }
    if (/^\s/.test(raw) && last) {
      if (line) last.value += '\n' + line;
      return;
    }
    const sect = /^\[([^\]]+)\]/.exec(line);
    if (sect) {
      if (out.has(sect[1])) throw new InputError(`Error reading config file (${file}): section '${sect[1]}' already exists`, loc, 'each [section] may appear once');
      out.set(sect[1], (section = new Map()));
      last = undefined;
      return;
    }
    if (!section) throw new InputError(`Error reading config file (${file}): File contains no section headers`, loc, 'settings go under a section such as [defaults]');
    const m = /^(.*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!m || !m[1]) throw new InputError(`Error reading config file (${file}): Source contains parsing errors: ${JSON.stringify(raw)}`, loc, 'write `key = value` lines');
    const key = m[1].toLowerCase();
    if (section.has(key)) throw new InputError(`Error reading config file (${file}): option '${key}' already exists`, { ...loc, col: 1 }, 'each key may appear once per section');
    last = { value: m[2], loc };
    section.set(key, last);
  });
  return out;
}

/** Parse one setting's text into its type. Throws InputError at `loc`. */
function convert(s: Setting, raw: string, base: string, where: CfgEnv, loc: Loc): unknown {
  const bad = (what: string) => new InputError(`Invalid type for configuration option ${s.section}.${s.key}: ${JSON.stringify(raw)} is not ${what}`, loc, `see \`ansible-config list\` for ${s.key}`);
  const path = (p: string) => {
    const e = expandPath(p.trim(), where);
    return isAbsolute(e) ? e : resolve(base, e);
  };
  switch (s.kind) {
    case 'int': {
      if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw bad('an integer');
      return Number(raw);
    }
    case 'bool': {
      const b = toBool(raw);
      if (b === undefined) throw bad('a boolean (true/false, yes/no, on/off, 1/0)');
      return b;
    }
    case 'path':
      return raw.trim() ? path(raw) : undefined;
    case 'pathlist':
      return raw.split(',').map((x) => x.trim()).filter(Boolean).map(path);
    case 'pathspec':
      return raw.split(':').map((x) => x.trim()).filter(Boolean).map(path);
    default:
      return raw.trim() || undefined;
  }
}

/**
 * Read the ansible.cfg Ansible would read (if any) and the ANSIBLE_* variables of the settings
 * kvplay uses. Throws InputError (file:line) for a malformed file or value.
 */
export function loadAnsibleCfg(where: CfgEnv): AnsibleCfg {
  const warnings: string[] = [];
  const file = findAnsibleCfg(where, warnings);
  const cfg: AnsibleCfg = { file, settings: {}, ignored: [], warnings };
  let parsed = new Map<string, Map<string, Entry>>();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`Error reading config file (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file, line: 1, col: 1 }, 'check the file permissions or set ANSIBLE_CONFIG');
    }
    parsed = parseCfgText(text, file);
  }
  const defaults = parsed.get('DEFAULT');
  const get = (section: string, key: string) => parsed.get(section)?.get(key) ?? (parsed.has(section) ? defaults?.get(key) : undefined);
  const used = new Set<string>();
  const settings = cfg.settings as Record<string, unknown>;
  for (const s of SETTINGS) {
    const fromEnv = where.env[s.env];
    const entry = get(s.section, s.key);
    if (entry) used.add(`${s.section}.${s.key}`);
    if (fromEnv !== undefined) settings[s.field] = convert(s, fromEnv, where.cwd, where, { file: `$${s.env}`, line: 1, col: 1 });
    else if (entry) settings[s.field] = convert(s, entry.value, dirname(file!), where, entry.loc);
  }
  const method = get(BECOME_METHOD.section, BECOME_METHOD.key);
  if (method) used.add(`${BECOME_METHOD.section}.${BECOME_METHOD.key}`);
  const methodValue = where.env[BECOME_METHOD.env] ?? method?.value;
  if (methodValue !== undefined && methodValue.trim()) {
    const m = methodValue.trim();
    settings.becomeMethod = m;
    if (!['sudo', 'su'].includes(m)) cfg.warnings.push(`become_method '${m}' (${where.env[BECOME_METHOD.env] !== undefined ? `$${BECOME_METHOD.env}` : fmtLoc(method!.loc)}) is not supported: kvplay becomes with sudo or su, a task that becomes with it fails`);
  }
  for (const [section, keys] of parsed) {
    if (section === 'DEFAULT') continue;
    for (const key of keys.keys()) if (!used.has(`${section}.${key}`)) cfg.ignored.push(`${section}.${key}`);
  }
  return cfg;
}
