/** Command-line parsing for `kvplay PLAYBOOK [options]` (ansible-playbook's flags). */
import { parseArgs } from 'node:util';
import { parseYaml, readYamlText } from '../yaml/load.js';
import { errCode, errMessage, InputError } from '../util/errors.js';
import type { AnsibleSettings } from './ansiblecfg.js';
import { startAtMatcher } from '../engine/step.js';
import type { RunFlags } from '../engine/state.js';

/** The command line, parsed; the engine's part (RunFlags) is passed on as it is (src/engine/state.ts runFlags). */
export interface CliOptions extends RunFlags {
  playbook?: string;
  inventory: string[];
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  syntaxCheck: boolean;
  json: boolean;
  report?: string;
  /** --report-html FILE: the run as one self-contained HTML page */
  reportHtml?: string;
  /** --step: ask before each task (needs a terminal on stdin) */
  step: boolean;
  /** --explain: show what each task checked and the commands it runs, as plain shell */
  explain: boolean;
  /** --lab NAME: the inventory of that local lab (`kvplay lab up --name NAME`) when no -i is given */
  lab?: string;
  /** --force-handlers: notified handlers run on hosts that failed too */
  forceHandlers: boolean;
  knownHosts: string[];
  askBecomePass: boolean;
  /** --private-key, else ansible.cfg private_key_file (ansible_ssh_private_key_file wins) */
  privateKey?: string;
  /** -T/--timeout, else ansible.cfg timeout: seconds to connect */
  timeout?: number;
  /** ansible.cfg roles_path */
  rolesPath: string[];
  /** --vault-id values ([LABEL@]SOURCE), in order */
  vaultIds: string[];
  /** --vault-password-file values, then ansible.cfg vault_password_file */
  vaultPasswordFiles: string[];
  askVaultPass: boolean;
  /** -e values as given (parsed into extraVars, unless parseCli was told to defer them) */
  extraVarsRaw: string[];
  help: boolean;
  version: boolean;
  listModules: boolean;
  doc?: string;
}

export const USAGE = `usage: kvplay PLAYBOOK [options]
       kvplay lab up|down|status|reset|list|ssh HOST [CMD]  [--name LAB]   (kvplay lab help)
       kvplay report RUN.json --html FILE

Runs an Ansible-style YAML playbook over SSH, idempotently.
With no -i, the local lab's inventory is used when the lab is up (--lab NAME or KVPLAY_LAB=NAME:
that named lab's, see \`kvplay lab list\`).

options:
  -i, --inventory FILE     inventory (Ansible's YAML or INI format); may be repeated
      --lab NAME           the inventory of local lab NAME (kvplay lab up --name NAME); or KVPLAY_LAB
  -C, --check              predict changes, change nothing
  -D, --diff               show the differences of changed files
  -l, --limit PATTERN      run only on hosts matching PATTERN
  -t, --tags TAGS          run only tasks with these tags (comma-separated)
      --skip-tags TAGS     skip tasks with these tags
  -e, --extra-vars VARS    k=v pairs, JSON/YAML, or @FILE; may be repeated
      --list-hosts         list the hosts of each play and exit
      --list-tasks         list the tasks of each play and exit
      --list-tags          list the tags of each play and exit
      --list-modules       list the modules kvplay has and exit
      --doc MODULE         show a module's parameters (from its schema) and exit
      --syntax-check       check the playbook and exit
  -f, --forks N            hosts handled at once (default 50)
  -v, -vv, -vvv            more output
      --json               one JSON event per line on stdout
      --report FILE        write the whole run as JSON to FILE
      --report-html FILE   write the whole run as one self-contained HTML page to FILE
      --step               ask before each task: (N)o/(y)es/(c)ontinue (needs a terminal)
      --start-at-task NAME start at the first task whose name matches NAME (a glob: * ? [abc])
      --explain            for each task and host: what kvplay checked (and found) and the commands
                           it runs (with --check: would run), as plain shell, and why
      --force-handlers     run notified handlers on hosts that failed too
      --accept-new-host-keys  record unknown SSH host keys (changed keys are always refused)
      --known-hosts FILE   extra known_hosts file; may be repeated
  -K, --ask-become-pass    ask for the sudo password (or set KVPLAY_BECOME_PASSWORD)
  -b, --become             run tasks with become
  -u, --user USER          connect as USER by default
      --become-user USER   become USER (default root)
      --become-method M    become with sudo (default) or su
      --private-key FILE   SSH private key by default
  -T, --timeout SECONDS    SSH connection timeout
      --vault-password-file FILE  vault password file (or executable script); may be repeated
      --vault-id [LABEL@]SOURCE   vault password source (FILE, script or prompt); may be repeated
  -J, --ask-vault-pass     ask for the vault password
ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg) gives defaults:
  inventory, roles_path, forks, remote_user, host_key_checking, private_key_file, vault_password_file,
  timeout, become, become_user, become_method (sudo), become_ask_pass; the command line wins.
  -h, --help               this help
exit codes: 0 ok, 1 usage or input error, 2 a host failed, 4 a host unreachable`;

/** Parse `-e` values: k=v pairs (quotes allowed), JSON/YAML mapping, or @file. */
export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const v of values) {
    if (v.startsWith('@')) {
      const file = v.slice(1);
      let text: string;
      try {
        text = readYamlText(file);
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`cannot read extra vars file ${file}: ${errCode(e) ?? errMessage(e)}`, { file: '<command line>', line: 1, col: 1 }, 'use -e @PATH with an existing YAML or JSON file');
      }
      const data = parseYaml(text, file);
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InputError('extra vars file must hold a mapping', { file, line: 1, col: 1 }, 'write "name: value" lines');
      Object.assign(out, data);
    } else if (/^\s*[{[]/.test(v)) {
      const data = parseYaml(v, '<-e>');
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InputError('-e JSON must be an object', { file: '<-e>', line: 1, col: 1 }, `e.g. -e '{"a": 1}'`);
      Object.assign(out, data);
    } else {
      Object.assign(out, parseKv(v));
    }
  }
  return out;
}

/** `a=1 b="x y" c='z'` -> {a: "1", b: "x y", c: "z"} (values stay strings, as Ansible does). */
export function parseKv(s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/y;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new InputError(`cannot parse extra vars '${s}'`, { file: '<-e>', line: 1, col: pos + 1 }, 'use key=value pairs, JSON, or @file');
    out[m[1]] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] !== undefined ? m[4] : m[5];
    pos = re.lastIndex;
  }
  return out;
}

/**
 * `cfg`: defaults from ansible.cfg / ANSIBLE_* (src/cli/ansiblecfg.ts); flags win. With
 * `deferExtraVars`, -e values are only kept in extraVarsRaw (the caller parses them once the vault
 * passwords are known, since -e @FILE may be vault-encrypted).
 */
export function parseCli(argv: string[], cfg: AnsibleSettings = {}, o: { deferExtraVars?: boolean } = {}): CliOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      inventory: { type: 'string', short: 'i', multiple: true },
      check: { type: 'boolean', short: 'C' },
      diff: { type: 'boolean', short: 'D' },
      limit: { type: 'string', short: 'l' },
      tags: { type: 'string', short: 't', multiple: true },
      'skip-tags': { type: 'string', multiple: true },
      'extra-vars': { type: 'string', short: 'e', multiple: true },
      'list-hosts': { type: 'boolean' },
      'list-tasks': { type: 'boolean' },
      'list-tags': { type: 'boolean' },
      'list-modules': { type: 'boolean' },
      doc: { type: 'string' },
      'syntax-check': { type: 'boolean' },
      forks: { type: 'string', short: 'f' },
      verbose: { type: 'boolean', short: 'v', multiple: true },
      json: { type: 'boolean' },
      report: { type: 'string' },
      'report-html': { type: 'string' },
      step: { type: 'boolean' },
      explain: { type: 'boolean' },
      lab: { type: 'string' },
      'force-handlers': { type: 'boolean' },
      'start-at-task': { type: 'string' },
      'accept-new-host-keys': { type: 'boolean' },
      'known-hosts': { type: 'string', multiple: true },
      'ask-become-pass': { type: 'boolean', short: 'K' },
      become: { type: 'boolean', short: 'b' },
      user: { type: 'string', short: 'u' },
      'become-user': { type: 'string' },
      'become-method': { type: 'string' },
      'private-key': { type: 'string' },
      'key-file': { type: 'string' },
      timeout: { type: 'string', short: 'T' },
      'vault-password-file': { type: 'string', multiple: true },
      'vault-pass-file': { type: 'string', multiple: true },
      'vault-id': { type: 'string', multiple: true },
      'ask-vault-pass': { type: 'boolean', short: 'J' },
      'ask-vault-password': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  const split = (l?: string[]) => (l ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  const forks = values.forks === undefined ? (cfg.forks ?? 50) : Number(values.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new Error(`--forks must be a positive whole number, got '${values.forks}'`);
  const timeout = values.timeout === undefined ? cfg.timeout : Number(values.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1)) throw new Error(`--timeout must be a positive whole number of seconds, got '${values.timeout ?? timeout}'`);
  if (positionals.length > 1) throw new Error(`one playbook at a time, got: ${positionals.join(' ')}`);
  const startAt = values['start-at-task'];
  if (startAt !== undefined) {
    try {
      startAtMatcher(startAt);
    } catch (e) {
      throw new InputError(`invalid --start-at-task pattern ${JSON.stringify(startAt)}: ${(e as Error).message}`, { file: '<--start-at-task>', line: 1, col: 1 }, 'a task name, or a glob: * any text, ? one character, [abc] one of a, b, c');
    }
  }
  return {
    playbook: positionals[0],
    inventory: values.inventory ?? cfg.inventory ?? [],
    check: !!values.check,
    diff: !!values.diff,
    limit: values.limit,
    tags: split(values.tags),
    skipTags: split(values['skip-tags']),
    extraVars: o.deferExtraVars ? Object.create(null) : parseExtraVars(values['extra-vars'] ?? []),
    extraVarsRaw: values['extra-vars'] ?? [],
    listHosts: !!values['list-hosts'],
    listTasks: !!values['list-tasks'],
    listTags: !!values['list-tags'],
    listModules: !!values['list-modules'],
    doc: values.doc,
    syntaxCheck: !!values['syntax-check'],
    forks,
    verbosity: Math.min(3, values.verbose?.length ?? 0),
    json: !!values.json,
    report: values.report,
    reportHtml: values['report-html'],
    step: !!values.step,
    explain: !!values.explain,
    lab: values.lab,
    forceHandlers: !!values['force-handlers'],
    startAtTask: values['start-at-task'],
    acceptNewHostKeys: !!values['accept-new-host-keys'] || cfg.hostKeyChecking === false,
    knownHosts: values['known-hosts'] ?? [],
    askBecomePass: !!values['ask-become-pass'] || !!cfg.becomeAskPass,
    become: values.become || cfg.become ? true : undefined,
    user: values.user ?? cfg.remoteUser,
    becomeUser: values['become-user'] ?? cfg.becomeUser,
    becomeMethod: values['become-method'] ?? cfg.becomeMethod,
    privateKey: values['private-key'] ?? values['key-file'] ?? cfg.privateKeyFile,
    timeout,
    rolesPath: cfg.rolesPath ?? [],
    vaultIds: values['vault-id'] ?? [],
    vaultPasswordFiles: [...(values['vault-password-file'] ?? []), ...(values['vault-pass-file'] ?? []), ...(cfg.vaultPasswordFile ? [cfg.vaultPasswordFile] : [])],
    askVaultPass: !!values['ask-vault-pass'] || !!values['ask-vault-password'],
    help: !!values.help,
    version: !!values.version,
  };
}
