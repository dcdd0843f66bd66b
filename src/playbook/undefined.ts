/**
 * Undefined variables, found before any host is contacted: a template that reads a name that
 * no source can define (inventory, play/role/block/task vars, vars files, extra vars, register,
 * set_fact, loop variables, facts `ansible_*`, magic variables) is an error at its file:line:col.
 * Names guarded by `is defined` or `| default(...)` are fine.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, type Loc } from '../util/errors.js';
import { valueLocOf, itemLocOf, parseYaml } from '../yaml/load.js';
import { freeNames } from '../template/index.js';
import { didYouMean } from '../util/suggest.js';
import type { Playbook, Task, Vars, Cond } from './model.js';

const MAGIC = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'playbook_dir',
  'inventory_file', 'inventory_dir', 'role_path', 'role_name', 'ansible_check_mode', 'ansible_diff_mode',
  'ansible_play_hosts', 'ansible_play_batch', 'ansible_play_hosts_all', 'ansible_play_name', 'ansible_verbosity',
  'ansible_version', 'ansible_facts', 'ansible_loop', 'ansible_loop_var', 'kvplay', 'omit', 'environment',
];

const keys = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);

/** Every name any source in the playbook can define. */
function definedNames(pb: Playbook, inventoryNames: Iterable<string>, extra: Iterable<string>): Set<string> {
  const names = new Set<string>([...MAGIC, ...inventoryNames, ...extra, ...pb.defined]);
  const addTasks = (ts: Task[]) => {
    for (const t of ts) {
      keys(t.vars).forEach((k) => names.add(k));
      keys(t.scope.params).forEach((k) => names.add(k));
      if (t.scope.role) [...keys(t.scope.role.defaults), ...keys(t.scope.role.vars)].forEach((k) => names.add(k));
      if (t.kind === 'block') addTasks([...t.block, ...t.rescue, ...t.always]);
      if (t.kind === 'include' && t.preloaded) addTasks(t.preloaded.tasks);
    }
  };
  for (const play of pb.plays) {
    keys(play.vars).forEach((k) => names.add(k));
    for (const r of play.roles) [...keys(r.defaults), ...keys(r.vars)].forEach((k) => names.add(k));
    for (const vf of play.varsFiles) {
      if (vf.path.includes('{{')) continue;
      try {
        keys(parseYaml(readFileSync(resolve(play.dir, vf.path), 'utf8'), vf.path)).forEach((k) => names.add(k));
      } catch {
        /* reported by the loader */
      }
    }
    addTasks([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
  }
  return names;
}

export function checkUndefined(pb: Playbook, inventoryNames: Iterable<string>, extra: Iterable<string>): InputError[] {
  const known = definedNames(pb, inventoryNames, extra);
  const errors: InputError[] = [];
  const check = (text: string, loc: Loc, isExpr: boolean) => {
    let names: string[];
    try {
      names = freeNames(text, isExpr);
    } catch {
      return; // syntax errors are reported by the loader
    }
    for (const n of names) {
      if (known.has(n) || n.startsWith('ansible_')) continue;
      errors.push(new InputError(`undefined variable '${n}'`, loc, didYouMean(n, known) || `define '${n}' in vars, the inventory or with -e, or guard it: ${n} | default(...)`));
    }
  };
  const walk = (v: unknown, loc: Loc) => {
    if (typeof v === 'string') {
      if (v.includes('{{') || v.includes('{%')) check(v, loc, false);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, itemLocOf(v, i) ?? loc));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v as Vars)) walk(x, valueLocOf(v, k) ?? loc);
  };
  const conds = (cs: Cond[] | undefined) => (cs ?? []).forEach((c) => typeof c.expr === 'string' && check(c.expr, c.loc, true));
  const tasks = (ts: Task[]) => {
    for (const t of ts) {
      conds(t.when);
      if (t.kind === 'module') {
        walk(t.params, t.loc);
        if (t.loop !== undefined) walk(t.loop, t.loc);
        conds(t.changedWhen);
        conds(t.failedWhen);
        if (t.until) conds([t.until]);
      } else if (t.kind === 'block') tasks([...t.block, ...t.rescue, ...t.always]);
      else if (t.kind === 'include') {
        if (t.loop !== undefined) walk(t.loop, t.loc);
        if (t.preloaded) tasks(t.preloaded.tasks);
      }
    }
  };
  for (const play of pb.plays) tasks([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = e.format();
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
