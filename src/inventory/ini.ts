/**
 * Ansible INI inventories (the ini inventory plugin of ansible-core 2.14), into the same raw
 * structure the YAML parser produces (parse.ts RawInventory), with file:line positions:
 *
 *   web1 ansible_host=192.0.2.10 ansible_port=2222 note='a b'   # before any section: ungrouped
 *   [web]                      hosts (ranges: web[01:10].example.com, db-[a:c], h:2222)
 *   [web:vars]                 key=value (whole rest of the line is the value)
 *   [dc:children]              group names (may be declared further down)
 *
 * Values are Python literals where ast.literal_eval accepts them (2222 is an int, True a bool,
 * [1, 2] a list), else strings, as the plugin's _parse_value; host lines are split like
 * shlex.split(line, comments=True). Lines starting with # or ; are comments. The first error
 * stops the parse (as in Ansible) and carries Ansible's message.
 */
import { InputError, type Loc } from '../util/errors.js';
import { shlexSplit } from '../util/shlex.js';
import { iniValue } from '../util/pyliteral.js';
import { setLoc } from '../yaml/load.js';
import { setVar } from '../template/unsafe.js';
import { splitHostPort, expandHostRange } from './ranges.js';
import { emptyLayer } from './varsdirs.js';
import { groupNameWarning, type RawGroup, type RawInventory } from './parse.js';

const SECTION = /^\[([^:\]\s]+)(?::([\p{L}\p{N}_]+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

/** Parse INI inventory text. Throws InputError (the first error, with Ansible's message). */
export function parseIniInventory(text: string, file: string): RawInventory {
  const raw: RawInventory = { groups: new Map(), hosts: new Map(), edges: [], errors: [], warnings: [] };
  let lineno = 0;
  let col = 1;
  const at = (c = col): Loc => ({ file, line: lineno, col: c });
  const fail = (msg: string, hint: string): never => {
    throw new InputError(msg, at(), hint);
  };

  const addGroup = (name: string): RawGroup => {
    let g = raw.groups.get(name);
    if (!g) {
      g = { name, loc: at(), vars: emptyLayer(), hosts: [], hostSet: new Set(), children: [], priority: 1 };
      raw.groups.set(name, g);
      const w = groupNameWarning(name, at());
      if (w) raw.warnings.push(w);
    }
    return g;
  };
  const addChild = (parent: string, child: string, loc: Loc) => {
    if (child === 'all') throw new InputError(`\`all\` cannot be a child of group \`${parent}\``, loc, '`all` is the implicit root: every group is already inside it');
    const p = raw.groups.get(parent)!;
    if (!p.children.includes(child)) p.children.push(child);
    raw.edges.push({ parent, child, loc });
  };
  const setGroupVar = (g: RawGroup, k: string, v: unknown, loc: Loc) => {
    if (k === 'ansible_group_priority') {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?[0-9]+\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n)) throw new InputError(`ansible_group_priority of group \`${g.name}\` must be an integer, got ${JSON.stringify(v)}`, loc, 'e.g. ansible_group_priority=10 (higher wins among groups of the same depth)');
      g.priority = n;
      return;
    }
    setVar(g.vars.vars, k, v, false);
    g.vars.origin[k] = loc;
  };

  for (const g of ['all', 'ungrouped']) addGroup(g).loc = undefined;
  const pending = new Map<string, Pending>();
  const addPendingChildren = (group: string) => {
    const p = pending.get(group)!;
    for (const parent of p.parents) {
      addChild(parent, group, { file, line: p.line, col: 1 });
      if (pending.get(parent)?.state === 'children') addPendingChildren(parent);
    }
    pending.delete(group);
  };

  let group = 'ungrouped';
  let state = 'hosts';
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    lineno++;
    const line = rawLine.trim();
    col = rawLine.length - rawLine.trimStart().length + 1;
    if (!line || line[0] === '#' || line[0] === ';') continue;

    const m = SECTION.exec(line);
    if (m) {
      group = m[1];
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`Section [${m[1]}:${m[2]}] has unknown type: ${state}`, 'a section is [GROUP], [GROUP:vars] or [GROUP:children]');
      if (!raw.groups.has(group)) {
        // [g] or [g:children] declares a group; [g:vars] must be declared elsewhere too (checked at the end)
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: lineno, state: 'vars', name: group, parents: [] });
        addGroup(group);
      }
      if (pending.has(group) && state !== 'vars') {
        if (pending.get(group)!.state === 'children') addPendingChildren(group);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(
        `Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`,
        'a section is [GROUP], [GROUP:vars] or [GROUP:children]',
      );
    }

    if (state === 'hosts') parseHostLine(line, rawLine);
    else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`Expected key=value, got: ${line}`, `a [${group}:vars] line is name=value`);
      const k = line.slice(0, eq).trim();
      setGroupVar(raw.groups.get(group)!, k, located(iniValue(line.slice(eq + 1).trim()), at()), at());
    } else {
      const gm = GROUP_NAME.exec(line);
      if (!gm) fail(`Expected group name, got: ${line}`, `a [${group}:children] line is one group name`);
      const child = gm![1];
      if (!raw.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineno, state: 'children', name: child, parents: [group] });
        else p.parents.push(group);
      } else addChild(group, child, at());
    }
  }

  for (const p of pending.values()) {
    lineno = p.line;
    if (p.state === 'vars') fail(`Section [${p.name}:vars] not valid for undefined group: ${p.name}`, `declare the group with a [${p.name}] or [${p.name}:children] section`);
    fail(`Section [${p.parents[p.parents.length - 1]}:children] includes undefined group: ${p.name}`, `declare the group with a [${p.name}] section (it may be empty)`);
  }
  return raw;

  function parseHostLine(line: string, rawLine: string): void {
    let tokens: string[];
    try {
      tokens = shlexSplit(line, true);
    } catch (e) {
      const why = (e as Error).message.replace(/^no closing quotation.*/, 'No closing quotation').replace(/^no escaped character.*/, 'No escaped character');
      return fail(`Error parsing host definition '${line}': ${why}`, 'close the quotes of the value');
    }
    if (!tokens.length) return;
    const pattern = tokens[0];
    const { name, port } = splitHostPort(pattern);
    if (pattern.trim().endsWith(':') && port === undefined) {
      fail(`Invalid host pattern '${pattern}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`, 'write HOST or HOST:PORT (is this a YAML file?)');
    }
    const names = expandHostRange(name, at());
    if (names.some((n) => n.trim() === '---')) fail(`Invalid host pattern '${pattern}' supplied, '---' is normally a sign this is a YAML file.`, 'YAML inventories need a .yml/.yaml extension or none');
    const vars: Array<[string, unknown, Loc]> = [];
    for (const t of tokens.slice(1)) {
      const eq = t.indexOf('=');
      if (eq < 0) fail(`Expected key=value host variable assignment, got: ${t}`, 'host variables are written name=value after the host name (quote values with spaces)');
      const k = t.slice(0, eq);
      const c = rawLine.indexOf(k + '=');
      const loc = at(c >= 0 ? c + 1 : col);
      vars.push([k, located(iniValue(t.slice(eq + 1)), loc), loc]);
    }
    const g = raw.groups.get(group)!;
    for (const hn of names) {
      let host = raw.hosts.get(hn);
      if (!host) raw.hosts.set(hn, (host = { loc: at(), vars: emptyLayer() }));
      if (port !== undefined) {
        setVar(host.vars.vars, 'ansible_port', port, false);
        host.vars.origin.ansible_port = at();
      }
      for (const [k, v, loc] of vars) {
        setVar(host.vars.vars, k, v, false);
        host.vars.origin[k] = loc;
      }
      if (!g.hostSet.has(hn)) {
        g.hostSet.add(hn);
        g.hosts.push(hn);
      }
    }
  }
}

/** Lists and dicts from literals carry their position (for later messages). */
function located(v: unknown, loc: Loc): unknown {
  return v !== null && typeof v === 'object' ? setLoc(v, loc) : v;
}
