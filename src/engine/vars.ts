/**
 * Variable layering, lowest to highest (Ansible's order, the subset kvplay has):
 * role defaults < inventory group vars < inventory host vars < facts < play vars / vars_files
 * < role vars (+ role params) < block vars < task vars < set_fact / register < extra vars.
 * Magic variables (inventory_hostname, groups, group_names, hostvars, playbook_dir, role_path,
 * ansible_check_mode, ansible_play_hosts, item...) sit on top. Templates inside values are
 * rendered lazily by src/template when used. Layers are merged with mergeVars, which keeps the
 * unsafe marks of host data (src/template/unsafe.ts): facts and results are never templated.
 */
import { isUnsafe, isUnsafeKey, mergeVars, assignVars, setVar } from '../template/index.js';
import type { Task, Vars } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import type { PlayRun } from './playrun.js';
import type { Inh } from './context.js';
import type { MagicName } from '../playbook/magic.js';
import { SECRET_SINK } from '../util/secrets.js';

/** Ansible's `omit`: a parameter whose value renders to this is left out of the module's parameters. */
const OMIT = '__omit_place_holder__kvplay';

/** Remove omitted parameters (top level and nested mappings); unsafe marks are kept, unsafe data is left as it is. */
export function stripOmit(v: unknown): unknown {
  if (!v || typeof v !== 'object' || isUnsafe(v)) return v;
  const isArr = Array.isArray(v);
  const out: unknown[] | Vars = isArr ? [] : Object.create(null);
  for (const [k, x] of Object.entries(v as Vars)) {
    if (x !== OMIT) setVar(out, isArr ? String((out as unknown[]).length) : k, stripOmit(x), isUnsafeKey(v, k));
  }
  return out;
}

/** Facts exposed as ansible_facts.X and ansible_X: host data, all unsafe. */
export function factVars(facts: Vars): Vars {
  const out: Vars = Object.create(null);
  setVar(out, 'ansible_facts', facts, true);
  for (const [k, v] of Object.entries(facts)) setVar(out, 'ansible_' + k, v, true);
  return out;
}

/** Vars of another host as `hostvars[NAME]` shows them. */
function hostVarsOf(run: RunState, h: HostState): Vars {
  return mergeVars(h.invVars, factVars(h.facts), h.hostFacts, { inventory_hostname: h.name, group_names: run.groupsOf(h.name) });
}

/** A lazy `hostvars` mapping: a host's vars are built only when a template reads them. */
function hostvarsProxy(run: RunState): Vars {
  const cache = new Map<string, Vars>();
  const target: Vars = {};
  const lookup = (k: string | symbol): Vars | undefined => {
    if (typeof k !== 'string') return undefined;
    const h = run.hosts.get(k);
    if (!h) return undefined;
    if (!cache.has(k)) cache.set(k, hostVarsOf(run, h));
    return cache.get(k);
  };
  return new Proxy(target, {
    get: (_t, k) => lookup(k),
    has(_t, k) {
      return typeof k === 'string' && run.hosts.has(k);
    },
    ownKeys() {
      return [...run.hosts.keys()];
    },
    getOwnPropertyDescriptor(_t, k) {
      if (typeof k !== 'string' || !run.hosts.has(k)) return undefined;
      return { enumerable: true, configurable: true, writable: false, value: lookup(k) };
    },
  });
}

/** A task where it runs: the run, the play run (its roles, vars_files, hosts) and what enclosing blocks and includes give it. */
export interface TaskAt {
  run: RunState;
  pr: PlayRun;
  task: Task;
  inh: Inh;
}

/** The variables of `at.task` on `host`, every layer merged (lowest first, as the list at the top of this file). */
export function taskVars(at: TaskAt, host: HostState): Vars {
  const { run, pr, task } = at;
  const play = pr.play;
  const role = task.scope.role;
  const roleDefaults: Vars = Object.create(null);
  for (const r of pr.roles) assignVars(roleDefaults, r.defaults);
  if (role) assignVars(roleDefaults, role.defaults);
  // the vars of the play's roles (roles:, import_role, include_role with public) are the play's (Ansible's default)
  const roleVars: Vars = Object.create(null);
  for (const r of pr.roles) assignVars(roleVars, r.vars);
  return mergeVars(
    roleDefaults,
    host.invVars,
    factVars(host.facts),
    play.vars,
    pr.varsFiles.byHost.get(host.name) ?? pr.varsFiles.all,
    roleVars,
    task.scope.parentVars ?? {},
    role?.vars ?? {},
    task.scope.params ?? {},
    ...at.inh.vars,
    task.vars ?? {},
    host.hostFacts,
    run.opts.extraVars,
    magicVars(run, pr, host),
    // only inside a role: elsewhere role_name/role_path never hide a user variable of that name
    role ? { role_path: role.path, role_name: role.name, ansible_role_name: role.name } : {},
    { ansible_search_path: [...new Set([role?.path, task.scope.dir].filter((d): d is string => !!d))] },
    run.opts.limit !== undefined ? { ansible_limit: run.opts.limit } : {},
    // a secret-named variable, once rendered, is a secret (src/template/lazy.ts reads this)
    { [SECRET_SINK]: (v: string) => void run.secrets.add(v) },
  );
}

/** The values of the magic variables (src/playbook/magic.ts: the one list of their names). */
function magicVars(run: RunState, pr: PlayRun, host: HostState): Record<MagicName, unknown> {
  const roleNames = pr.roles.map((r) => r.name);
  const removed = pr.removed;
  return {
    inventory_hostname: host.name,
    inventory_hostname_short: host.name.split('.')[0],
    group_names: run.groupsOf(host.name),
    groups: run.groups,
    hostvars: hostvarsProxy(run),
    playbook_dir: run.playbookDir,
    inventory_file: run.inventoryFile,
    inventory_dir: run.inventoryFile ? run.inventoryFile.replace(/\/[^/]*$/, '') : '',
    ansible_inventory_sources: run.inventoryFile ? [run.inventoryFile] : [],
    ansible_check_mode: run.opts.check,
    ansible_diff_mode: run.opts.diff,
    ansible_play_hosts: pr.all.filter((n) => !removed.has(n)),
    ansible_play_batch: pr.names.filter((n) => !removed.has(n)),
    ansible_play_hosts_all: [...pr.all],
    ansible_play_name: pr.play.name,
    ansible_verbosity: run.opts.verbosity,
    ansible_version: { full: '2.14.0', major: 2, minor: 14, revision: 0, string: '2.14.0 (kvplay)' },
    // kvplay runs no Python on the controller; Ansible's test inventories only pass this on as the
    // hosts' interpreter (ansible_python_interpreter: "{{ ansible_playbook_python }}")
    ansible_playbook_python: '/usr/bin/python3',
    ansible_run_tags: run.opts.tags.length ? run.opts.tags : ['all'],
    ansible_skip_tags: run.opts.skipTags,
    ansible_forks: run.opts.forks,
    role_names: roleNames,
    ansible_role_names: roleNames,
    ansible_play_role_names: roleNames,
    ansible_config_file: run.opts.configFile ?? null,
    kvplay: true,
    omit: OMIT,
  };
}
