/** Parsing of task lists (tasks, blocks, includes, handlers) with static validation. */
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { collectInputErrors, InputError, type Loc } from '../util/errors.js';
import { keyLocOf, valueLocOf, itemLocOf, locOf, loadYamlFile, copyLoc, renameKey } from '../yaml/load.js';
import { didYouMean } from '../util/suggest.js';
import { findModule, moduleMeta, moduleNames } from '../engine/module/registry.js';
import { normalizeArgs } from '../engine/module/args.js';
import { aliasWarnings, validateParams, UNKNOWN_NAMES } from '../engine/module/validate.js';
import { TASK_KEYS, BLOCK_KEYS, ENGINE_ACTIONS, UNSUPPORTED, META_ACTIONS, checkBecomeMethod, isWithLoop } from './keywords.js';
import { checkTemplates, checkNul } from './check.js';
import { checkName, checkTags, checkInt, checkStrings, kindOf, showValue, stringList, varsField } from './schema.js';
import { parseIncludeTask } from './includes.js';
import type { Task, Cond, Scope, MetaTask, ModuleTask, Vars, Role, RoleFrom } from './model.js';

export interface LoadCtx {
  errors: InputError[];
  /** what Ansible meets only when (and if) a task runs: said before the run, a failure of the task when it runs */
  warnings: InputError[];
  /** files being included (loop detection) */
  stack: string[];
  /** load roles/NAME (cached); `dirs`: more directories to look in (a dependency's depending role's roles dir) */
  loadRole(name: string, loc: Loc, dirs?: string[], from?: RoleFrom): Role | undefined;
  /** a role with its meta dependencies before it (src/playbook/roles.ts), for import_role/include_role */
  roleWithDeps(name: string, loc: Loc, params: Vars | undefined, from: RoleFrom, allowDuplicates?: boolean): { tasks: Task[]; role: Role; roles: Role[] } | undefined;
  /** the roles import_role brought into the play being loaded (they are the play's roles, as in Ansible) */
  playRoles?: Role[];
  /** the roles a (preloaded) include_role may bring in: their handlers can be notified */
  includedRoles?: Role[];
  /** every variable name a task can define (register, set_fact, loop vars): for the static undefined check */
  defined: Set<string>;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isTemplated = (v: unknown) => typeof v === 'string' && (v.includes('{{') || v.includes('{%'));

export function toList(v: unknown): unknown[] {
  return v == null ? [] : Array.isArray(v) ? v : [v];
}

export function parseConds(v: unknown, owner: unknown, key: string): Cond[] {
  if (v == null) return [];
  const base = valueLocOf(owner, key)!;
  if (Array.isArray(v)) return v.map((e, i) => ({ expr: e as string | boolean, loc: itemLocOf(v, i) ?? base }));
  return [{ expr: v as string | boolean, loc: base }];
}

export function parseTags(v: unknown): string[] {
  return toList(v).filter((t) => typeof t === 'string' || typeof t === 'number').flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter(Boolean);
}

const LOOP_CONTROL_KEYS = ['loop_var', 'index_var', 'label', 'pause', 'extended', 'extended_allitems'];

function boolKey(t: Record<string, unknown>, k: string, ctx: LoadCtx, allowTemplate = false): boolean | undefined {
  const v = t[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(yes|true|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(no|false|off)$/i.test(v)) return false;
  if (allowTemplate && isTemplated(v)) return v as unknown as boolean;
  ctx.errors.push(new InputError(`'${k}' must be a boolean, got ${JSON.stringify(v)}`, valueLocOf(t, k), 'use true or false'));
  return undefined;
}

/** Parse a list of tasks from a file or a block. */
export function parseTaskList(list: unknown, scope: Scope, ctx: LoadCtx, where: Loc, isHandler = false): Task[] {
  if (list == null) return [];
  if (!Array.isArray(list)) {
    ctx.errors.push(new InputError('a task list must be a YAML sequence (items starting with "- ")', locOf(list) ?? where, 'write each task as "- name: ..." under the key'));
    return [];
  }
  const out: Task[] = [];
  list.forEach((raw, i) => {
    const loc = itemLocOf(list, i) ?? where;
    if (!isObj(raw)) {
      ctx.errors.push(new InputError(`a task must be a mapping, got ${JSON.stringify(raw)}`, loc, 'a task looks like "- name: ...\\n  module: {params}"'));
      return;
    }
    const t = parseTask(raw, scope, ctx, loc, isHandler);
    if (t) out.push(...t);
  });
  return out;
}

function parseTask(raw: Record<string, unknown>, scope: Scope, ctx: LoadCtx, loc: Loc, isHandler: boolean): Task[] | undefined {
  const t = actionForm(raw, loc, ctx);
  if (!t) return undefined;
  const errsBefore = ctx.errors.length;
  const given = checkName(t, loc, ctx.errors);
  const nameOr = (d: string) => given ?? d;
  checkTags(t, loc, ctx.errors);
  checkStrings(t, ['become_user', 'delegate_to'], loc, ctx.errors);
  const isBlock = 'block' in t;
  const allowed = isBlock ? BLOCK_KEYS : TASK_KEYS;
  const actions: string[] = [];
  for (const k of Object.keys(t)) {
    if (allowed.has(k) || (!isBlock && isWithLoop(k))) continue;
    if (!isBlock && k.startsWith('with_') && !findModule(k)) {
      ctx.errors.push(new InputError(`'${k}': there is no lookup plugin named '${k.slice(5)}'`, keyLocOf(t, k), "with_<name> loops over lookup <name>: with_items, with_dict, with_sequence, with_nested, with_subelements, with_fileglob, with_first_found... (or use 'loop')"));
      continue;
    }
    if (!isBlock && (ENGINE_ACTIONS.has(k) || findModule(k))) {
      actions.push(k);
      continue;
    }
    if (UNSUPPORTED[k]) {
      ctx.errors.push(new InputError(`'${k}' is not supported by kvplay`, keyLocOf(t, k), UNSUPPORTED[k]));
      continue;
    }
    const hint = didYouMean(k, [...allowed, ...(isBlock ? [] : [...moduleNames(), ...ENGINE_ACTIONS])]);
    ctx.errors.push(new InputError(
      isBlock ? `unknown keyword '${k}' in a block` : `unknown module or keyword '${k}'`,
      keyLocOf(t, k),
      hint || (isBlock ? `a block allows: ${[...BLOCK_KEYS].join(', ')}` : "run 'kvplay --list-modules' to see the modules kvplay has"),
    ));
  }
  if (!isBlock && actions.length === 0) {
    if (ctx.errors.length === errsBefore) ctx.errors.push(new InputError('task has no module', loc, 'add one module key, e.g. "command: uptime"'));
    return undefined;
  }
  if (actions.length > 1) {
    ctx.errors.push(new InputError(`conflicting actions in one task: ${actions.join(', ')}`, keyLocOf(t, actions[1]), 'split them into separate tasks'));
    return undefined;
  }
  const common = {
    loc,
    scope,
    when: parseConds(t.when, t, 'when'),
    tags: parseTags(t.tags),
    become: boolKey(t, 'become', ctx, true),
    becomeUser: t.become_user as string | undefined,
    becomeMethod: t.become_method as string | undefined,
    environment: t.environment,
    vars: varsField(t, loc, ctx.errors),
    ignoreErrors: boolKey(t, 'ignore_errors', ctx, true),
    noLog: boolKey(t, 'no_log', ctx, true),
    checkMode: boolKey(t, 'check_mode', ctx),
    delegateTo: t.delegate_to as string | undefined,
    runOnce: boolKey(t, 'run_once', ctx),
    anyErrorsFatal: boolKey(t, 'any_errors_fatal', ctx),
    diff: boolKey(t, 'diff', ctx),
    ignoreUnreachable: boolKey(t, 'ignore_unreachable', ctx, true),
    ...(t.throttle !== undefined && t.throttle !== null ? { throttle: t.throttle as number | string } : {}),
  };
  checkInt(t, 'throttle', loc, ctx.errors);
  checkBecomeMethod(t, loc, ctx);
  if (isBlock) {
    const sub = (k: string) => parseTaskList(t[k], scope, ctx, keyLocOf(t, k) ?? loc, isHandler);
    const notify = stringList(t, 'notify', loc, ctx.errors);
    return [{ kind: 'block', name: nameOr('block'), ...common, block: sub('block'), rescue: sub('rescue'), always: sub('always'), ...(notify.length ? { notify } : {}) }];
  }
  const action = actions[0];
  const short = action.replace(/^ansible\.(builtin|legacy)\./, '');
  const value = t[action];
  const aloc = valueLocOf(t, action) ?? loc;
  if (short === 'meta') {
    if (typeof value !== 'string' || !META_ACTIONS.has(value)) {
      ctx.errors.push(new InputError(`unknown meta action ${showValue(value)}`, aloc, (typeof value === 'string' && didYouMean(value, META_ACTIONS)) || `one of: ${[...META_ACTIONS].join(', ')}`));
      return undefined;
    }
    return [{ kind: 'meta', name: nameOr(`meta: ${value}`), ...common, action: value as MetaTask['action'] }];
  }
  if (short === 'import_tasks' || short === 'include_tasks' || short === 'import_role' || short === 'include_role') return parseIncludeTask(short, t, action, common, given, ctx, isHandler);
  return [parseModuleTask(t, action, { ...common, name: nameOr(findModule(action)!.name) }, ctx, isHandler)].filter((x): x is ModuleTask => !!x);
}

export function loopKeys(t: Record<string, unknown>, ctx: LoadCtx) {
  const kinds = Object.keys(t).filter((k): k is 'loop' | `with_${string}` => k === 'loop' || isWithLoop(k));
  if (kinds.length > 1) ctx.errors.push(new InputError(`only one of ${kinds.join(', ')} may be used`, keyLocOf(t, kinds[1]), "use 'loop'"));
  const loopKind = kinds[0];
  const lc = t.loop_control;
  if (lc !== undefined && !isObj(lc)) ctx.errors.push(new InputError("'loop_control' must be a mapping", valueLocOf(t, 'loop_control'), 'e.g. loop_control: {label: "{{ item.name }}"}'));
  const lco = isObj(lc) ? lc : {};
  for (const k of Object.keys(lco)) {
    if (!LOOP_CONTROL_KEYS.includes(k)) ctx.errors.push(new InputError(`unknown loop_control key '${k}'`, keyLocOf(lco, k), didYouMean(k, LOOP_CONTROL_KEYS) || `allowed: ${LOOP_CONTROL_KEYS.join(', ')}`));
  }
  checkInt(lco, 'pause', valueLocOf(t, 'loop_control') ?? keyLocOf(t, 'loop_control') ?? locOf(t) ?? { file: '?', line: 1, col: 1 }, ctx.errors);
  const loopVar = typeof lco.loop_var === 'string' ? lco.loop_var : 'item';
  ctx.defined.add(loopVar);
  if (typeof lco.index_var === 'string') ctx.defined.add(lco.index_var);
  return loopKind ? { loop: t[loopKind], loopKind, loopControl: { loopVar, indexVar: lco.index_var as string | undefined, label: lco.label, pause: lco.pause as number | undefined, extended: lco.extended, extended_allitems: lco.extended_allitems } } : {};
}

function parseModuleTask(t: Record<string, unknown>, action: string, common: Omit<ModuleTask, 'kind' | 'module' | 'params' | 'notify'>, ctx: LoadCtx, isHandler: boolean): ModuleTask | undefined {
  const mod = moduleMeta(action)!;
  const aloc = valueLocOf(t, action)!;
  let params: unknown;
  try {
    params = normalizeArgs(mod, t[action], aloc, t.args);
  } catch (e) {
    if (e instanceof InputError) ctx.errors.push(e);
    else throw e;
    return undefined;
  }
  // templated parameter names (set_fact) are known when the task runs: then it is validated there
  const dynamicKeys = !!mod.templateKeys && isObj(params) && Object.keys(params).some(isTemplated);
  // an unknown parameter is a load error; a wrong value fails the task when it runs (as in Ansible): a warning now
  if (!isTemplated(params) && !dynamicKeys) for (const e of validateParams(mod, params, { loc: keyLocOf(t, action) ?? aloc, static: true })) (UNKNOWN_NAMES.has(e) ? ctx.errors : ctx.warnings).push(e);
  // a parameter under two of its names: Ansible warns and uses the alias's value (validate.ts resolveAliases)
  if (!isTemplated(params)) ctx.warnings.push(...aliasWarnings(mod, params, keyLocOf(t, action) ?? aloc));
  let badRegister: string | undefined;
  if (t.register !== undefined && t.register !== null) {
    if (typeof t.register === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.register)) ctx.defined.add(t.register);
    else if (typeof t.register === 'string' || typeof t.register === 'number' || typeof t.register === 'boolean') {
      badRegister = typeof t.register === 'boolean' ? (t.register ? 'True' : 'False') : String(t.register);
      ctx.warnings.push(new InputError(`Invalid variable name in 'register' specified: '${badRegister}'`, valueLocOf(t, 'register'), 'a variable name: letters, digits and _ (not starting with a digit); when the task runs, the run stops there'));
    } else ctx.errors.push(new InputError(`'register' must be a variable name, got ${kindOf(t.register)}`, valueLocOf(t, 'register'), 'a variable name: letters, digits and _'));
  }
  if (mod.name === 'set_fact' && isObj(params)) for (const k of Object.keys(params)) if (!isTemplated(k)) ctx.defined.add(k);
  // include_vars: the name it stores everything under (without one, src/playbook/undefined.ts treats it as a dynamic source)
  if (mod.name === 'include_vars' && isObj(params) && typeof params.name === 'string' && !isTemplated(params.name)) ctx.defined.add(params.name);
  // add_host: its other parameters are variables of the added host (seen by later plays)
  if (mod.name === 'add_host' && isObj(params)) for (const k of Object.keys(params)) if (!['name', 'host', 'hostname', 'groups', 'group', 'groupname'].includes(k)) ctx.defined.add(k);
  const notify = stringList(t, 'notify', aloc, ctx.errors);
  checkInt(t, 'retries', aloc, ctx.errors);
  checkInt(t, 'delay', aloc, ctx.errors);
  checkInt(t, 'async', aloc, ctx.errors);
  checkInt(t, 'poll', aloc, ctx.errors);
  const notifyLocs = Array.isArray(t.notify) ? t.notify.map((_, i) => itemLocOf(t.notify, i) ?? aloc) : notify.map(() => valueLocOf(t, 'notify') ?? aloc);
  const mt: ModuleTask = {
    kind: 'module',
    ...common,
    module: mod.name,
    params,
    ...loopKeys(t, ctx),
    register: badRegister === undefined ? (t.register as string | undefined) : undefined,
    ...(badRegister !== undefined ? { badRegister } : {}),
    ...(t.async !== undefined && t.async !== null ? { async: t.async as number | string } : {}),
    ...(t.poll !== undefined && t.poll !== null ? { poll: t.poll as number | string } : {}),
    notify,
    notifyLocs,
    changedWhen: t.changed_when !== undefined ? parseConds(t.changed_when, t, 'changed_when') : undefined,
    failedWhen: t.failed_when !== undefined ? parseConds(t.failed_when, t, 'failed_when') : undefined,
    until: t.until !== undefined ? parseConds(t.until, t, 'until')[0] : undefined,
    retries: t.retries as number | undefined,
    delay: t.delay as number | undefined,
    listen: isHandler ? stringList(t, 'listen', aloc, ctx.errors) : undefined,
  };
  if (!isHandler && t.listen !== undefined) ctx.errors.push(new InputError("'listen' is only allowed in handlers", keyLocOf(t, 'listen'), 'move the task under handlers:'));
  checkTemplates(mt, t);
  checkNul(mt, t, ctx.errors, aloc);
  return mt;
}

/** Statically included tasks inherit the including task's keywords. */
export function inherit(t: Task, from: { when: Cond[]; tags: string[]; become?: boolean; becomeUser?: string; becomeMethod?: string; vars?: Vars; environment?: unknown }): Task {
  const out = { ...t, when: [...from.when, ...t.when], tags: [...new Set([...from.tags, ...t.tags])] } as Task;
  if (out.become === undefined && from.become !== undefined) out.become = from.become;
  if (out.becomeUser === undefined && from.becomeUser !== undefined) out.becomeUser = from.becomeUser;
  if (out.becomeMethod === undefined && from.becomeMethod !== undefined) out.becomeMethod = from.becomeMethod;
  if (out.environment === undefined && from.environment !== undefined) out.environment = from.environment;
  if (from.vars) out.vars = { ...from.vars, ...(out.vars ?? {}) };
  return out;
}

/** The start of the error for a file that includes itself (a dynamic include may, ended by a `when`). */
export const INCLUDE_LOOP = 'include loop';

export function loadTaskFile(file: string, from: Loc, scope: Scope, ctx: LoadCtx, _inh?: unknown, isHandler = false): Task[] | undefined {
  if (ctx.stack.includes(file)) {
    ctx.errors.push(new InputError(`${INCLUDE_LOOP}: ${[...ctx.stack.slice(ctx.stack.indexOf(file)), file].join(' -> ')}`, from, 'a task file must not include itself, directly or indirectly'));
    return undefined;
  }
  let data: unknown;
  try {
    data = loadYamlFile(file, from);
  } catch (e) {
    collectInputErrors(e, ctx.errors);
    return undefined;
  }
  ctx.stack.push(file);
  try {
    return parseTaskList(data ?? [], { ...scope, dir: dirname(file) }, ctx, { file, line: 1, col: 1 }, isHandler);
  } finally {
    ctx.stack.pop();
  }
}

/** Tasks of a role (tasks/main.yaml or tasks_from), scoped to the role. */
export function roleTasks(role: Role, tasksFrom: string | undefined, from: Loc, ctx: LoadCtx, params?: Vars, parentVars?: Vars): Task[] | undefined {
  const base = resolve(role.path, 'tasks');
  const file = tasksFrom ? findYaml(resolve(base, tasksFrom)) : findYaml(resolve(base, 'main'));
  if (!file) {
    if (tasksFrom) ctx.errors.push(new InputError(`role '${role.name}' has no tasks file '${tasksFrom}'`, from, `expected ${base}/${tasksFrom}.yaml`));
    return [];
  }
  const scope: Scope = { role, params, ...(parentVars ? { parentVars } : {}), dir: dirname(file), inherited: { when: [], tags: [], vars: [] } };
  return loadTaskFile(file, from, scope, ctx);
}

/** NAME, NAME.yaml or NAME.yml, whichever is a file. */
export function findYaml(pathNoExt: string): string | undefined {
  for (const p of [pathNoExt, pathNoExt + '.yaml', pathNoExt + '.yml']) {
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/**
 * `action: MODULE ARGS` / `action: {module: MODULE, ...}` and `local_action:` (the same, delegated
 * to localhost), as Ansible's ModuleArgsParser: the task as if written with the module as its key.
 */
function actionForm(t: Record<string, unknown>, loc: Loc, ctx: LoadCtx): Record<string, unknown> | undefined {
  const keys = ['action', 'local_action'].filter((k) => k in t);
  if (!keys.length) return t;
  const key = keys[0];
  const at = valueLocOf(t, key) ?? loc;
  if (keys.length > 1) {
    ctx.errors.push(new InputError('action and local_action are mutually exclusive', keyLocOf(t, keys[1]), 'keep one of them'));
    return undefined;
  }
  if (key === 'local_action' && t.delegate_to !== undefined) {
    ctx.errors.push(new InputError('local_action and delegate_to are mutually exclusive', keyLocOf(t, 'delegate_to'), "local_action already runs on localhost: remove delegate_to or write the module as the task's key"));
    return undefined;
  }
  const v = t[key];
  let mod: unknown;
  let args: unknown;
  if (typeof v === 'string') {
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(v);
    mod = m?.[1];
    args = m?.[2] ? m[2] : null;
  } else if (isObj(v)) {
    mod = v.module;
    const rest: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'module') rest[k] = x;
    args = copyLoc(v, rest);
  }
  if (typeof mod !== 'string' || !mod) {
    ctx.errors.push(new InputError(`${key} needs a module name, got ${kindOf(v)}`, at, `write "${key}: MODULE ARGS" or "${key}: {module: MODULE, ...}"`));
    return undefined;
  }
  const other = Object.keys(t).find((k) => k !== key && (ENGINE_ACTIONS.has(k) || !!findModule(k)));
  if (other) {
    ctx.errors.push(new InputError(`conflicting action statements: ${key}, ${other}`, keyLocOf(t, other), 'split them into separate tasks'));
    return undefined;
  }
  if (!findModule(mod)) {
    ctx.errors.push(new InputError(`couldn't resolve module/action '${mod}'`, at, didYouMean(mod, [...moduleNames()]) || "run 'kvplay --list-modules' to see the modules kvplay has"));
    return undefined;
  }
  const out = renameKey(t, key, mod, args);
  if (key === 'local_action') out.delegate_to = 'localhost';
  return out;
}
