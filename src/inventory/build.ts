/**
 * Raw inventory -> resolved Inventory: implicit all/ungrouped, cycle check, depth, group_vars/
 * host_vars, Ansible variable precedence, magic variables and host patterns.
 *
 * Precedence of hostVars(host), lowest first (Ansible's documented order, default VARIABLE_PRECEDENCE):
 *   1. inventory-file vars of `all`, then of the host's other groups (sorted by depth, priority, name)
 *   2. group_vars/all of the inventory dir, then of each extra (playbook) dir
 *   3. group_vars/GROUP of the inventory dir for the sorted groups, then the same for each extra dir
 *   4. inventory-file host vars, then host_vars/HOST of the inventory dir, then of each extra dir
 *   5. magic variables (inventory_hostname, inventory_hostname_short, group_names, groups, inventory_file, inventory_dir)
 */
import { dirname, resolve } from 'node:path';
import { InputError, InputErrors, type Loc } from '../util/errors.js';
import type { RawInventory, RawGroup } from './parse.js';
import type { Group, Inventory, LoadInventoryOptions } from './types.js';
import { findVarsFiles, loadVarLayer, warnUnmatched, emptyLayer, type VarLayer } from './varsdirs.js';
import { dict } from '../util/dict.js';
import { isUnsafeKey, mergeVars, setVar } from '../template/unsafe.js';
import { matchHostPattern, LOCALHOST_NAMES, type PatternTarget } from './pattern.js';

interface VarDir {
  dir: string;
  groups: Map<string, VarLayer | undefined>;
  hosts: Map<string, VarLayer | undefined>;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function emptyRaw(): RawInventory {
  return { groups: new Map(), hosts: new Map(), edges: [], errors: [], warnings: [] };
}

function rawGroup(name: string): RawGroup {
  return { name, vars: emptyLayer(), hosts: [], hostSet: new Set(), children: [], priority: 1 };
}

/** Report each cycle once, at the child key that closes it. */
function findCycles(raw: RawInventory, errors: InputError[]): void {
  const kids = new Map<string, Array<{ child: string; loc?: Loc }>>();
  for (const e of raw.edges) {
    const list = kids.get(e.parent) ?? [];
    if (!list.some((x) => x.child === e.child)) list.push({ child: e.child, loc: e.loc });
    kids.set(e.parent, list);
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (g: string) => {
    state.set(g, 'open');
    path.push(g);
    for (const { child, loc } of kids.get(g) ?? []) {
      const s = state.get(child);
      if (s === 'open') {
        const cycle = [...path.slice(path.indexOf(child)), child].join(' → ');
        errors.push(new InputError(`group \`${child}\` is its own ancestor (${cycle})`, loc, `remove \`${child}\` from the children of \`${g}\``));
      } else if (!s) visit(child);
    }
    path.pop();
    state.set(g, 'done');
  };
  for (const g of raw.groups.keys()) if (!state.has(g)) visit(g);
}

const fmtKey = (l: Loc | undefined) => (l ? `${l.file}:${l.line}:${l.col}` : '?');

/** Why a literal port value is not a TCP port ('' when it is one, or a template). */
function badPort(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' && (v.includes('{{') || v.includes('{%'))) return '';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= 65535) return '';
  return `must be a port number from 1 to 65535, got ${JSON.stringify(v) ?? typeof v}`;
}

/** Errors/warnings grouped by file (in order of first appearance), then by position. */
function byPosition(list: InputError[]): InputError[] {
  const files = new Map<string, number>();
  for (const e of list) if (e.loc && !files.has(e.loc.file)) files.set(e.loc.file, files.size);
  const key = (e: InputError) => [e.loc ? files.get(e.loc.file)! : -1, e.loc?.line ?? 0, e.loc?.col ?? 0];
  return list
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const [ka, kb] = [key(a.e), key(b.e)];
      return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2] || a.i - b.i;
    })
    .map((x) => x.e);
}

export function buildInventory(rawIn: RawInventory | undefined, file: string | undefined, opts: LoadInventoryOptions = {}): Inventory {
  const raw = rawIn ?? emptyRaw();
  const errors = [...raw.errors];
  const warnings = [...raw.warnings];
  for (const n of ['all', 'ungrouped']) if (!raw.groups.has(n)) raw.groups.set(n, rawGroup(n));
  const all = raw.groups.get('all')!;
  const ungrouped = raw.groups.get('ungrouped')!;

  // parents (explicit edges; groups without one hang under `all`)
  const parents = new Map<string, string[]>([...raw.groups.keys()].map((g) => [g, []]));
  for (const e of raw.edges) if (!parents.get(e.child)!.includes(e.parent)) parents.get(e.child)!.push(e.parent);
  for (const e of raw.edges) if (e.parent === 'all' && !all.children.includes(e.child)) all.children.push(e.child);
  for (const [g, ps] of parents) {
    if (g === 'all' || ps.length) continue;
    ps.push('all');
    if (!all.children.includes(g)) all.children.push(g);
  }
  findCycles(raw, errors);

  // direct membership; `ungrouped` = hosts in no group but all/ungrouped (Ansible's reconcile)
  const direct = new Map<string, string[]>([...raw.hosts.keys()].map((h) => [h, []]));
  for (const g of raw.groups.values()) for (const h of g.hosts) direct.get(h)!.push(g.name);
  for (const [h, gs] of direct) {
    const real = gs.filter((g) => g !== 'all' && g !== 'ungrouped');
    if (!real.length && !ungrouped.hostSet.has(h)) {
      ungrouped.hostSet.add(h);
      ungrouped.hosts.push(h);
      gs.push('ungrouped');
    } else if (real.length && ungrouped.hostSet.has(h)) {
      ungrouped.hostSet.delete(h);
      ungrouped.hosts.splice(ungrouped.hosts.indexOf(h), 1);
      gs.splice(gs.indexOf('ungrouped'), 1);
    }
  }

  // group_vars / host_vars directories (read eagerly so that every error is reported at load)
  const dirs: VarDir[] = [];
  const seen = new Set<string>();
  for (const d of [...(file !== undefined ? [dirname(file)] : []), ...(opts.extraVarDirs ?? [])]) {
    if (seen.has(resolve(d))) continue;
    seen.add(resolve(d));
    const vd: VarDir = { dir: d, groups: new Map(), hosts: new Map() };
    for (const g of raw.groups.keys()) vd.groups.set(g, loadVarLayer(findVarsFiles(d, 'group_vars', g, warnings), 'group_vars', errors));
    for (const h of [...raw.hosts.keys(), ...LOCALHOST_NAMES]) {
      if (!vd.hosts.has(h)) vd.hosts.set(h, loadVarLayer(findVarsFiles(d, 'host_vars', h, warnings), 'host_vars', errors));
    }
    warnUnmatched(d, 'group_vars', new Set(raw.groups.keys()), warnings);
    warnUnmatched(d, 'host_vars', new Set([...raw.hosts.keys(), ...LOCALHOST_NAMES]), warnings);
    dirs.push(vd);
  }
  if (errors.length) throw new InputErrors(byPosition(errors));

  // depth = longest path from `all`; precedence order = (depth, priority, name)
  const depth = new Map<string, number>([['all', 0]]);
  const depthOf = (g: string): number => {
    let d = depth.get(g);
    if (d === undefined) depth.set(g, (d = 1 + Math.max(...parents.get(g)!.map(depthOf))));
    return d;
  };
  const cmp = (a: string, b: string) => {
    const ga = raw.groups.get(a)!;
    const gb = raw.groups.get(b)!;
    return depthOf(a) - depthOf(b) || ga.priority - gb.priority || (a < b ? -1 : a > b ? 1 : 0);
  };
  const memberOf = new Map<string, string[]>();
  for (const [h, gs] of direct) {
    const acc = new Set<string>(['all']);
    const up = (g: string) => {
      if (acc.has(g)) return;
      acc.add(g);
      parents.get(g)!.forEach(up);
    };
    gs.forEach(up);
    memberOf.set(h, [...acc].sort(cmp));
  }
  const groups = new Map<string, Group>();
  for (const g of raw.groups.values()) {
    groups.set(g.name, {
      name: g.name,
      hosts: [...g.hosts],
      allHosts: [],
      children: [...g.children],
      parents: [...parents.get(g.name)!],
      vars: dict(g.vars.vars),
      depth: depthOf(g.name),
      priority: g.priority,
      loc: g.loc,
    });
  }
  const hostList = [...raw.hosts.keys()];
  for (const h of hostList) for (const g of memberOf.get(h)!) groups.get(g)!.allHosts.push(h);

  const invLocalhost = LOCALHOST_NAMES.find((n) => raw.hosts.has(n));
  const isImplicit = (h: string) => !raw.hosts.has(h) && !invLocalhost && LOCALHOST_NAMES.includes(h);
  const known = (h: string) => {
    if (raw.hosts.has(h) || isImplicit(h)) return;
    throw new Error(`inventory: unknown host ${JSON.stringify(h)}`);
  };
  /** groups of a host in precedence order (lowest first), incl. all/ungrouped */
  const ranked = (h: string) => (raw.hosts.has(h) ? memberOf.get(h)! : []);
  const groupNames = (h: string) => ranked(h).filter((g) => g !== 'all' && g !== 'ungrouped').sort();

  const cache = new Map<string, VarLayer>();
  const merged = (h: string): VarLayer => {
    let out = cache.get(h);
    if (out) return out;
    const implicit = isImplicit(h);
    const gs = ranked(h).filter((g) => g !== 'all');
    const layers: Array<VarLayer | undefined> = [all.vars, ...gs.map((g) => raw.groups.get(g)!.vars)];
    for (const d of dirs) layers.push(d.groups.get('all'));
    for (const d of dirs) for (const g of gs) layers.push(d.groups.get(g));
    layers.push(implicit ? { vars: dict({ ansible_connection: 'local' }), origin: dict() } : raw.hosts.get(h)!.vars);
    for (const d of dirs) layers.push(d.hosts.get(h));
    out = emptyLayer();
    for (const l of layers) {
      if (!l) continue;
      for (const [k, v] of Object.entries(l.vars)) {
        setVar(out.vars, k, v, isUnsafeKey(l.vars, k));
        out.origin[k] = l.origin[k];
      }
    }
    cache.set(h, out);
    return out;
  };

  const target: PatternTarget = {
    hosts: hostList,
    groupNames: [...groups.keys()],
    groupHosts: (g) => groups.get(g)?.allHosts ?? [],
    isHost: (h) => raw.hosts.has(h),
    localhost: (n) => invLocalhost ?? (isImplicit(n) ? n : undefined),
  };

  // connection ports are checked now, at the line that sets them, not when the connection fails
  const portErrors = new Map<string, InputError>();
  for (const h of hostList) {
    const layer = merged(h);
    for (const k of ['ansible_port', 'ansible_ssh_port']) {
      const why = badPort(layer.vars[k]);
      const at = layer.origin[k] ?? raw.hosts.get(h)?.loc;
      if (why && !portErrors.has(fmtKey(at))) portErrors.set(fmtKey(at), new InputError(`${k} of host \`${h}\` ${why}`, at, `a TCP port: a whole number from 1 to 65535, e.g. ${k}: 2222`));
    }
  }
  if (portErrors.size) throw new InputErrors(byPosition([...portErrors.values()]));

  return {
    file,
    hosts: hostList,
    groups,
    warnings: byPosition(warnings),
    hostVars(h) {
      known(h);
      const vars: Record<string, unknown> = mergeVars(merged(h).vars); // keeps `!unsafe` marks
      vars.inventory_hostname = h;
      vars.inventory_hostname_short = IPV4.test(h) || h.includes(':') ? h : h.split('.')[0];
      vars.group_names = groupNames(h);
      vars.groups = dict(Object.fromEntries([...groups.values()].map((g) => [g.name, [...g.allHosts]])));
      if (file !== undefined && !isImplicit(h)) {
        vars.inventory_file = resolve(file);
        vars.inventory_dir = dirname(resolve(file));
      }
      return vars;
    },
    varOrigin(h, name) {
      known(h);
      return merged(h).origin[name];
    },
    groupsOf(h) {
      known(h);
      return groupNames(h);
    },
    hasHost: (h) => raw.hosts.has(h) || isImplicit(h),
    isImplicit,
    hostLoc: (h) => raw.hosts.get(h)?.loc,
    match: (pattern, loc) => matchHostPattern(target, pattern, loc),
  };
}
