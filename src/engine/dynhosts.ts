/**
 * The run's inventory, which add_host and group_by change while the run goes on (Ansible's
 * add_dynamic_host / add_dynamic_group): hosts and groups added at run time sit in an overlay on
 * the loaded inventory, and every lookup (patterns of later plays, `groups`, `group_names`,
 * hostvars) sees both. A result with `add_host` or `add_group` (src/modules/inventory_mods.ts) is
 * applied here, and its `changed` is whether the inventory changed, as in Ansible.
 * Not applied to added hosts: group_vars/ and host_vars/ files (only the groups' inventory-file vars).
 */
import type { Inventory, Group } from '../inventory/index.js';
import { matchHostPattern, type PatternTarget } from '../inventory/pattern.js';
import { LOCALHOST_NAMES } from '../inventory/index.js';
import { assignVars, mergeVars } from '../template/index.js';
import type { Loc } from '../util/errors.js';
import type { Vars } from '../playbook/model.js';
import { newHostState, type HostState, type RunState } from './state.js';

interface DynGroup {
  hosts: string[];
  children: string[];
  vars: Vars;
}

export interface RunInventory extends Inventory {
  /** Ansible's add_dynamic_host: true when the inventory changed. */
  addHost(name: string, groups: string[], vars: Vars): boolean;
  /** Ansible's add_dynamic_group: `host` joins `group`, which becomes a child of `parents`; true when the inventory changed. */
  addGroup(host: string, group: string, parents: string[]): boolean;
  /** group -> its hosts (descendants included), as the `groups` magic variable shows them */
  groupsMap(): Record<string, string[]>;
}

export function runInventory(inv: Inventory): RunInventory {
  const extraHosts: string[] = [];
  const hostVarsAdded = new Map<string, Vars>();
  /** groups added at run time, and run-time members/children of inventory groups */
  const dyn = new Map<string, DynGroup>();
  const dg = (g: string): DynGroup => {
    let x = dyn.get(g);
    if (!x) dyn.set(g, (x = { hosts: [], children: [], vars: Object.create(null) }));
    return x;
  };
  const hosts = () => [...inv.hosts, ...extraHosts];
  const isHost = (h: string) => inv.hosts.includes(h) || extraHosts.includes(h);
  const groupNames = () => [...new Set([...inv.groups.keys(), ...dyn.keys()])];
  const children = (g: string) => [...(inv.groups.get(g)?.children ?? []), ...(dyn.get(g)?.children ?? [])];
  const direct = (g: string) => [...(inv.groups.get(g)?.hosts ?? []), ...(dyn.get(g)?.hosts ?? [])];
  /** hosts of g and its descendants, in host order */
  const allHosts = (g: string): string[] => {
    const seen = new Set<string>();
    const found = new Set<string>();
    const walk = (x: string) => {
      if (seen.has(x)) return;
      seen.add(x);
      for (const h of direct(x)) found.add(h);
      for (const c of children(x)) walk(c);
    };
    walk(g);
    if (g === 'all') for (const h of hosts()) found.add(h);
    return hosts().filter((h) => found.has(h)).concat([...found].filter((h) => !isHost(h)));
  };
  const groupsOf = (h: string): string[] => groupNames().filter((g) => g !== 'all' && g !== 'ungrouped' && allHosts(g).includes(h)).sort();
  const target = (): PatternTarget => ({
    hosts: hosts(),
    groupNames: groupNames(),
    groupHosts: allHosts,
    isHost,
    // a localhost name matching nothing: whatever the loaded inventory serves it with
    localhost: (n) => (LOCALHOST_NAMES.includes(n) ? inv.match(n)[0] : undefined),
  });
  const groupsMap = () => Object.fromEntries(groupNames().map((g) => [g, allHosts(g)]));
  const baseVars = (h: string): Vars => {
    if (inv.hasHost(h)) return inv.hostVars(h);
    // an added host: the inventory-file vars of `all` and of its groups (shallow first), then its own
    const gs = ['all', ...groupsOf(h)];
    const layers = gs.map((g) => (inv.groups.get(g) as Group | undefined)?.vars ?? dyn.get(g)?.vars ?? {});
    return mergeVars(...layers);
  };
  return {
    ...inv,
    get hosts() {
      return hosts();
    },
    hostVars(h) {
      const vars = mergeVars(baseVars(h), hostVarsAdded.get(h) ?? {});
      vars.inventory_hostname = h;
      vars.inventory_hostname_short = h.split('.')[0];
      vars.group_names = groupsOf(h);
      vars.groups = groupsMap();
      return vars;
    },
    groupsOf,
    hasHost: (h) => isHost(h) || inv.hasHost(h),
    match: (pattern: string | string[], loc?: Loc) => matchHostPattern(target(), pattern, loc),
    groupsMap,
    addHost(name, groups, vars) {
      let changed = false;
      if (!isHost(name)) {
        // a new host (also the implicit localhost, which then becomes a host of the inventory)
        extraHosts.push(name);
        changed = true;
      }
      const cur = hostVarsAdded.get(name) ?? Object.create(null);
      const next = assignVars(mergeVars(cur), vars);
      if (JSON.stringify(cur) !== JSON.stringify(next)) changed = true;
      hostVarsAdded.set(name, next);
      for (const g of groups) {
        if (!inv.groups.has(g) && !dyn.has(g)) {
          dg(g);
          changed = true;
        }
        if (!direct(g).includes(name)) {
          dg(g).hosts.push(name);
          changed = true;
        }
      }
      return changed;
    },
    addGroup(host, group, parents) {
      let changed = false;
      if (!inv.groups.has(group) && !dyn.has(group)) dg(group);
      for (const p of parents) {
        if (!inv.groups.has(p) && !dyn.has(p)) {
          dg(p);
          changed = true;
        }
        if (p !== group && !children(p).includes(group)) {
          dg(p).children.push(group);
          changed = true;
        }
      }
      if (!allHosts(group).includes(host)) {
        dg(group).hosts.push(host);
        changed = true;
      }
      return changed;
    },
  };
}

/**
 * Apply the inventory change a result describes (add_host, add_group), as Ansible's strategy does
 * after the task: the new host gets its state (for later plays), `groups` is refreshed, and the
 * result's changed is whether the inventory changed. Returns undefined for other results.
 */
export function applyInventoryResult(run: RunState, host: HostState, data: Vars): boolean | undefined {
  const inv = run.inventory;
  if (!inv) return undefined;
  let changed: boolean | undefined;
  const add = data.add_host as { host_name: string; groups: string[]; host_vars: Vars } | undefined;
  if (add && typeof add === 'object') {
    const vars = mergeVars(add.host_vars);
    // kvplay connects with ansible_port; Ansible's NAME:PORT sets ansible_ssh_port, its alias
    if (vars.ansible_ssh_port !== undefined && vars.ansible_port === undefined) vars.ansible_port = vars.ansible_ssh_port;
    changed = inv.addHost(add.host_name, add.groups, vars);
    const h = run.hosts.get(add.host_name);
    if (!h) run.hosts.set(add.host_name, newHostState(add.host_name, inv.hostVars(add.host_name)));
    else assignVars(h.invVars, vars);
  } else if (typeof data.add_group === 'string') {
    changed = inv.addGroup(host.name, data.add_group, (data.parent_groups as string[] | undefined) ?? ['all']);
  }
  if (changed !== undefined) run.groups = inv.groupsMap();
  return changed;
}
