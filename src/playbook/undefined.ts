/**
 * Undefined variables, found before any host is contacted: a template that reads a name that
 * no source can define (inventory, play/role/block/task vars, vars files, extra vars, register,
 * set_fact, loop variables, facts `ansible_*`, magic variables) is an error at its file:line:col.
 * Names guarded by `is defined` or `| default(...)` are fine.
 *
 * The check never rejects what Ansible would run: where the names a source defines are only known
 * at run time (a templated vars_files name, a dynamically named include_tasks/include_role, a
 * set_fact with a templated name, a templated loop_var, include_vars), every name is possibly defined — for the
 * play (vars_files) or for the whole playbook (host facts outlive the play) — and an undefined
 * variable fails its task at run time, with its file:line, like every other.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, type Loc } from '../util/errors.js';
import { valueLocOf, itemLocOf, parseYaml, unsafeTagged } from '../yaml/load.js';
import { freeNames } from '../template/index.js';
import { didYouMean } from '../util/suggest.js';
import { MAGIC_NAMES, SCOPED_MAGIC_NAMES } from './magic.js';
import { walkGuarded } from './guard.js';
import type { Playbook, Task, Vars, Cond } from './model.js';


const keys = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);

const templated = (v: unknown) => typeof v === 'string' && (v.includes('{{') || v.includes('{%'));

/** A source whose names are only known at run time, in these tasks (blocks and loaded includes inside), if any. */
function dynamicSource(ts: Task[]): Loc | undefined {
  for (const t of ts) {
    if (t.kind === 'include' && !t.preloaded) return t.loc; // include_tasks: "{{ x }}.yml", include_role: {name: "{{ r }}"}
    if ((t.kind === 'module' || t.kind === 'include') && templated(t.loopControl?.loopVar)) return t.loc;
    if (t.kind === 'module' && t.module === 'set_fact' && (!t.params || typeof t.params !== 'object' || keys(t.params).some(templated))) return t.loc;
    // include_vars: the names are in a controller file read at run time (unless they all go under a literal `name`)
    if (t.kind === 'module' && t.module === 'include_vars' && !(t.params && typeof t.params === 'object' && typeof (t.params as Vars).name === 'string' && !templated((t.params as Vars).name))) return t.loc;
    const inner = t.kind === 'block' ? dynamicSource([...t.block, ...t.rescue, ...t.always]) : t.kind === 'include' && t.preloaded ? dynamicSource(t.preloaded.tasks) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

const playTasks = (play: Playbook['plays'][number]) => [...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers];

/** Every name any source in the playbook can define. */
function definedNames(pb: Playbook, inventoryNames: Iterable<string>, extra: Iterable<string>): Set<string> {
  const names = new Set<string>([...MAGIC_NAMES, ...SCOPED_MAGIC_NAMES, ...inventoryNames, ...extra, ...pb.defined]);
  const addTasks = (ts: Task[]) => {
    for (const t of ts) {
      keys(t.vars).forEach((k) => names.add(k));
      keys(t.scope.params).forEach((k) => names.add(k));
      keys(t.scope.parentVars).forEach((k) => names.add(k));
      if (t.scope.role) [...keys(t.scope.role.defaults), ...keys(t.scope.role.vars)].forEach((k) => names.add(k));
      if (t.kind === 'block') addTasks([...t.block, ...t.rescue, ...t.always]);
      if (t.kind === 'include' && t.preloaded?.role) [...keys(t.preloaded.role.defaults), ...keys(t.preloaded.role.vars)].forEach((k) => names.add(k));
      if (t.kind === 'include' && t.preloaded) addTasks(t.preloaded.tasks);
    }
  };
  for (const play of pb.plays) {
    keys(play.vars).forEach((k) => names.add(k));
    for (const r of play.roles) [...keys(r.defaults), ...keys(r.vars)].forEach((k) => names.add(k));
    for (const vf of play.varsFiles) {
      if (templated(vf.path)) continue;
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

/**
 * Undefined names: an error where the task surely runs and fails on it; a warning (into `warnings`)
 * where the task is guarded (src/playbook/guard.ts): there it fails when (and if) it runs, as in Ansible.
 */
export function checkUndefined(pb: Playbook, inventoryNames: Iterable<string>, extra: Iterable<string>, warnings?: InputError[]): InputError[] {
  // facts set at run time by an unknowable source reach every later play: nothing can be rejected
  if (pb.plays.some((play) => dynamicSource(playTasks(play)))) return [];
  const known = definedNames(pb, inventoryNames, extra);
  const errors: InputError[] = [];
  let guarded = false;
  const check = (text: string, loc: Loc, isExpr: boolean) => {
    let names: string[];
    try {
      names = freeNames(text, isExpr);
    } catch {
      return; // syntax errors are reported by the loader
    }
    for (const n of names) {
      if (known.has(n) || n.startsWith('ansible_')) continue;
      (guarded ? (warnings ?? []) : errors).push(new InputError(`undefined variable '${n}'`, loc, didYouMean(n, known) || `define '${n}' in vars, the inventory or with -e, or guard it: ${n} | default(...)`));
    }
  };
  const walk = (v: unknown, loc: Loc) => {
    if (typeof v === 'string') {
      if (v.includes('{{') || v.includes('{%')) check(v, loc, false);
    } else if (unsafeTagged(v)) return; // `!unsafe` values are data, not templates
    else if (Array.isArray(v)) v.forEach((x, i) => unsafeTagged(v, i) || walk(x, itemLocOf(v, i) ?? loc));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v as Vars)) if (!unsafeTagged(v, k)) walk(x, valueLocOf(v, k) ?? loc);
  };
  const conds = (cs: Cond[] | undefined) => (cs ?? []).forEach((c) => typeof c.expr === 'string' && check(c.expr, c.loc, true));
  /** checks under a guard (or not): `g` says whether the enclosing blocks already guard */
  const under = (g: boolean, fn: () => void) => {
    const was = guarded;
    guarded = g;
    try {
      fn();
    } finally {
      guarded = was;
    }
  };
  for (const play of pb.plays) {
    // a templated vars_files name: its variables are the play's, known when the play runs
    if (play.varsFiles.some((vf) => (vf.alts ?? [vf.path]).some(templated))) continue;
    walkGuarded(play, (t, outer, own) => {
      // the first condition is evaluated whenever the task is reached; the next ones only if it held
      t.when.forEach((c, i) => under(i === 0 ? outer : own, () => conds([c])));
      under(own, () => {
        if (t.kind === 'module') {
          walk(t.params, t.loc);
          // with_first_found drops a name that is undefined (Ansible's task executor), so it is no error
          if (t.loop !== undefined && t.loopKind !== 'with_first_found') walk(t.loop, t.loc);
          conds(t.changedWhen);
          conds(t.failedWhen);
          if (t.until) conds([t.until]);
        } else if (t.kind === 'include' && t.loop !== undefined && t.loopKind !== 'with_first_found') walk(t.loop, t.loc);
      });
    });
  }
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = e.format();
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Every name the playbook, inventory and extra vars can define; undefined when facts with unknowable names make any name possible. */
export function knownNames(pb: Playbook, inventoryNames: Iterable<string>, extra: Iterable<string>): Set<string> | undefined {
  if (pb.plays.some((play) => dynamicSource(playTasks(play)))) return undefined;
  return definedNames(pb, inventoryNames, extra);
}
