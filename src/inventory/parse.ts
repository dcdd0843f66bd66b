/**
 * Ansible YAML inventory file -> raw groups/hosts, with every structural error of the file
 * collected (file:line:col from src/yaml/load.ts). Resolution (depth, ungrouped, precedence)
 * happens in build.ts.
 */
import { extname } from 'node:path';
import { parseYaml, readYamlText, keyLocOf, valueLocOf, locOf } from '../yaml/load.js';
import { decryptVaultText } from '../vault/loader.js';
import { parseIniInventory } from './ini.js';
import { errCode, errMessage, InputError, InputErrors, type Loc } from '../util/errors.js';
import { splitHostPort, expandHostRange } from './ranges.js';
import { closest as suggest } from '../util/suggest.js';
import { emptyLayer, type VarLayer } from './varsdirs.js';
import { isUnsafeKey, setVar } from '../template/unsafe.js';

export interface RawGroup {
  name: string;
  loc?: Loc;
  vars: VarLayer;
  hosts: string[];
  hostSet: Set<string>;
  children: string[];
  priority: number;
}

export interface RawHost {
  loc?: Loc;
  vars: VarLayer;
}

export interface RawInventory {
  groups: Map<string, RawGroup>;
  hosts: Map<string, RawHost>; // insertion order = inventory order
  edges: Array<{ parent: string; child: string; loc?: Loc }>;
  errors: InputError[];
  warnings: InputError[];
}

const GROUP_KEYS = ['hosts', 'children', 'vars'];
const GOOD_GROUP = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Ansible's yaml inventory plugin reads files with these extensions (or none); the ini plugin reads the others. */
const YAML_EXTS = ['', '.yaml', '.yml', '.json'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const kindName = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`);

function notYaml(file: string, loc: Loc, why: string): InputError {
  return new InputError(`${file} is not a YAML inventory (${why})`, loc, `kvplay reads Ansible's YAML and INI inventories; \`ansible-inventory -i ${file} --list --yaml\` converts other sources`);
}

/** A warning for a group name Ansible warns about (TRANSFORM_INVALID_GROUP_CHARS), or undefined. */
export function groupNameWarning(name: string, loc: Loc | undefined): InputError | undefined {
  if (GOOD_GROUP.test(name)) return undefined;
  const fixed = name.replace(/^(?=[0-9])/, '_').replace(/[^A-Za-z0-9_]/g, '_');
  return new InputError(`group name \`${name}\` has characters Ansible does not allow in group names`, loc, `use letters, digits and _ (not starting with a digit), e.g. \`${fixed}\``);
}

/** Read, sniff and parse an inventory file. Throws InputError(s) when it cannot be read or is neither YAML nor INI. */
export function readInventoryFile(file: string): RawInventory {
  let text: string;
  try {
    text = readYamlText(file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const hint = errCode(e) === 'EISDIR' ? 'pass the inventory file itself (inventory directories are not supported)' : 'pass an existing inventory file (YAML or INI) with -i';
    throw new InputError(`cannot read inventory ${file}: ${errCode(e) ?? errMessage(e)}`, { file, line: 1, col: 1 }, hint);
  }
  return parseInventoryText(text, file);
}

/**
 * Parse inventory text (`file` is used for positions and messages) as Ansible picks the plugin:
 * a vault-encrypted file is decrypted first; a .yaml/.yml/.json file or one without extension is
 * tried as YAML, then (when it is not a YAML mapping) as INI; any other file is INI. When neither
 * reads it, both reasons are given.
 */
export function parseInventoryText(text: string, file: string): RawInventory {
  const plain = decryptVaultText(text, file);
  if (!YAML_EXTS.includes(extname(file))) return parseIniInventory(plain, file);
  let data: unknown;
  let yamlErrors: InputError[] | undefined;
  try {
    data = parseYaml(plain, file);
  } catch (e) {
    if (!(e instanceof InputErrors)) throw e;
    yamlErrors = e.errors;
  }
  if (!yamlErrors && (data == null || isObj(data))) return parseInventoryData(data, file);
  try {
    return parseIniInventory(plain, file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const whyNotYaml = yamlErrors ?? [notYaml(file, locOf(data) ?? { file, line: 1, col: 1 }, `its top level is ${kindName(data)}, not a mapping of groups`)];
    throw new InputErrors([...whyNotYaml, new InputError(`${file} is not an INI inventory either: ${e.message}`, e.loc, e.hint)]);
  }
}

/** Structure of a parsed YAML inventory. Throws InputErrors with every structural error. */
function parseInventoryData(data: unknown, file: string): RawInventory {
  const raw: RawInventory = { groups: new Map(), hosts: new Map(), edges: [], errors: [], warnings: [] };
  const err = (msg: string, loc: Loc | undefined, hint?: string) => raw.errors.push(new InputError(msg, loc ?? { file, line: 1, col: 1 }, hint));
  if (data == null) {
    raw.warnings.push(new InputError(`inventory ${file} is empty`, { file, line: 1, col: 1 }, 'define hosts under `all:` → `hosts:`'));
    return raw;
  }
  if (!isObj(data)) throw notYaml(file, locOf(data) ?? { file, line: 1, col: 1 }, `its top level is ${kindName(data)}, not a mapping of groups`);

  const ensureGroup = (name: string, loc?: Loc): RawGroup => {
    let g = raw.groups.get(name);
    if (!g) {
      g = { name, loc, vars: emptyLayer(), hosts: [], hostSet: new Set(), children: [], priority: 1 };
      raw.groups.set(name, g);
      const w = groupNameWarning(name, loc);
      if (w) raw.warnings.push(w);
    }
    if (!g.loc && loc) g.loc = loc;
    return g;
  };

  /** entries of a section: a mapping, or a single name given as a string (Ansible allows it) */
  const entries = (body: Obj, section: string, what: string, example: string) => {
    const v = body[section];
    if (v == null || (typeof v === 'string' && !v.trim())) return [];
    if (typeof v === 'string') return [{ key: v, value: null as unknown, keyLoc: valueLocOf(body, section), valueLoc: valueLocOf(body, section) }];
    if (!isObj(v)) {
      err(`\`${section}:\` must be a mapping of ${what}, got ${kindName(v)}`, valueLocOf(body, section), example);
      return [];
    }
    return Object.keys(v).map((key) => ({ key, value: v[key], keyLoc: keyLocOf(v, key), valueLoc: valueLocOf(v, key) }));
  };

  const parseChildren = (g: RawGroup, body: Obj) => {
    for (const c of entries(body, 'children', 'group names', `write\n    children:\n      GROUP:`)) {
      if (c.key === 'all') {
        err(`\`all\` cannot be a child of group \`${g.name}\``, c.keyLoc, '`all` is the implicit root: every group is already inside it');
        continue;
      }
      if (!g.children.includes(c.key)) g.children.push(c.key);
      parseGroup(c.key, c.value, g.name, c.keyLoc, c.valueLoc);
    }
  };

  const parseHosts = (g: RawGroup, body: Obj) => {
    for (const h of entries(body, 'hosts', 'host names to their variables (or nothing)', `write each host on its own line:\n    hosts:\n      kvm1:\n      kvm2:\n        ansible_host: 192.0.2.3`)) {
      if (h.value != null && !isObj(h.value)) {
        err(`variables of host \`${h.key}\` must be a mapping, got ${kindName(h.value)}`, h.valueLoc, `write them indented below the host:\n      ${h.key}:\n        ansible_host: ...`);
        continue;
      }
      const { name: pattern, port } = splitHostPort(h.key);
      let names: string[];
      try {
        names = expandHostRange(pattern, h.keyLoc);
      } catch (e) {
        if (e instanceof InputError) raw.errors.push(e);
        else throw e;
        continue;
      }
      for (const hn of names) {
        let host = raw.hosts.get(hn);
        if (!host) raw.hosts.set(hn, (host = { loc: h.keyLoc, vars: emptyLayer() }));
        if (port !== undefined) {
          host.vars.vars.ansible_port = port;
          host.vars.origin.ansible_port = h.keyLoc;
        }
        if (isObj(h.value)) {
          for (const [k, v] of Object.entries(h.value)) {
            setVar(host.vars.vars, k, v, isUnsafeKey(h.value, k)); // keeps `!unsafe`
            host.vars.origin[k] = keyLocOf(h.value, k);
          }
        }
        if (!g.hostSet.has(hn)) {
          g.hostSet.add(hn);
          g.hosts.push(hn);
        }
      }
    }
  };

  const parseGroup = (name: string, body: unknown, parent: string | undefined, keyLoc: Loc | undefined, valueLoc: Loc | undefined) => {
    const g = ensureGroup(name, keyLoc);
    if (parent !== undefined) raw.edges.push({ parent, child: name, loc: keyLoc });
    if (body == null) return;
    if (!isObj(body)) {
      err(`group \`${name}\` must be a mapping (with hosts:, children: and/or vars:) or empty, got ${kindName(body)}`, valueLoc, `to put a host in the group write\n    ${name}:\n      hosts:\n        HOSTNAME:`);
      return;
    }
    for (const key of Object.keys(body)) {
      if (GROUP_KEYS.includes(key)) continue;
      const near = suggest(key, GROUP_KEYS);
      err(
        `unknown key \`${key}\` in group \`${name}\` (only hosts, children and vars are allowed)`,
        keyLocOf(body, key),
        near ? `did you mean \`${near}\`?` : `a host goes under \`hosts:\`, a variable under \`vars:\`, a sub-group under \`children:\``,
      );
    }
    if (body.vars != null && !isObj(body.vars)) {
      err(`\`vars:\` of group \`${name}\` must be a mapping of variable names to values, got ${kindName(body.vars)}`, valueLocOf(body, 'vars'), 'write `vars:` then indented `name: value` lines');
    } else if (isObj(body.vars)) {
      for (const [k, v] of Object.entries(body.vars)) {
        if (k === 'ansible_group_priority') {
          const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?[0-9]+$/.test(v.trim()) ? Number(v) : NaN;
          if (Number.isInteger(n)) g.priority = n;
          else err(`ansible_group_priority of group \`${name}\` must be an integer, got ${kindName(v)}`, valueLocOf(body.vars, k), 'e.g. ansible_group_priority: 10 (higher wins among groups of the same depth)');
          continue;
        }
        setVar(g.vars.vars, k, v, isUnsafeKey(body.vars, k)); // keeps `!unsafe`
        g.vars.origin[k] = keyLocOf(body.vars, k);
      }
    }
    // document order, so that hosts keep the order in which the file lists them
    for (const key of Object.keys(body)) {
      if (key === 'children') parseChildren(g, body);
      else if (key === 'hosts') parseHosts(g, body);
    }
  };

  ensureGroup('all');
  for (const key of Object.keys(data)) {
    const kl = keyLocOf(data, key);
    if (key === '_meta') {
      throw new InputErrors([notYaml(file, kl ?? { file, line: 1, col: 1 }, 'it looks like `ansible-inventory --list` JSON output')]);
    }
    if (GROUP_KEYS.includes(key)) {
      err(`top-level \`${key}:\` would be a group named "${key}"`, kl, `top-level keys are group names: indent \`${key}:\` under \`all:\``);
      continue;
    }
    parseGroup(key, data[key], key === 'all' ? undefined : 'all', kl, valueLocOf(data, key));
  }
  for (const [name, host] of raw.hosts) {
    const g = raw.groups.get(name);
    if (g) raw.warnings.push(new InputError(`\`${name}\` is both a host and a group`, host.loc, `patterns and group_vars/host_vars get ambiguous: rename the group (group defined at ${fmt(g.loc)})`));
  }
  return raw;
}

function fmt(l: Loc | undefined): string {
  return l ? `${l.file}:${l.line}:${l.col}` : '?';
}
