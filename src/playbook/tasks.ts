/** Parsing of task lists (tasks, blocks, includes, handlers) with static validation. */
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { InputError, type Loc } from '../util/errors.js';
import { keyLocOf, valueLocOf, itemLocOf, locOf, loadYamlFile } from '../yaml/load.js';
import { didYouMean } from '../util/suggest.js';
import { findModule, moduleMeta, moduleNames } from '../modules/index.js';
import { normalizeArgs } from '../modules/args.js';
import { validateParams } from '../modules/validate.js';
import { TASK_KEYS, BLOCK_KEYS, ENGINE_ACTIONS, UNSUPPORTED, META_ACTIONS } from './keywords.js';
import { checkTemplates, checkNul } from './check.js';
import { checkName, checkTags, checkInt, checkStrings, showValue, stringList } from './schema.js';
import type { Task, Cond, Scope, ModuleTask, Vars, Role } from './model.js';

export interface LoadCtx {
  errors: InputError[];
  /** files being included (loop detection) */
  stack: string[];
  /** load roles/NAME (cached); `dirs`: more directories to look in (a dependency's depending role's roles dir) */
  loadRole(name: string, loc: Loc, dirs?: string[]): Role | undefined;
  /** a role with its meta dependencies before it (src/playbook/roles.ts), for import_role/include_role */
  roleWithDeps?(name: string, loc: Loc, params: Vars | undefined, tasksFrom: string | undefined): { tasks: Task[]; role: Role } | undefined;
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

function parseTask(t: Record<string, unknown>, scope: Scope, ctx: LoadCtx, loc: Loc, isHandler: boolean): Task[] | undefined {
  const errsBefore = ctx.errors.length;
  const given = checkName(t, loc, ctx.errors);
  const nameOr = (d: string) => given ?? d;
  checkTags(t, loc, ctx.errors);
  checkStrings(t, ['become_user', 'delegate_to'], loc, ctx.errors);
  const isBlock = 'block' in t;
  const allowed = isBlock ? BLOCK_KEYS : TASK_KEYS;
  const actions: string[] = [];
  for (const k of Object.keys(t)) {
    if (allowed.has(k)) continue;
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
    vars: t.vars as Vars | undefined,
    ignoreErrors: boolKey(t, 'ignore_errors', ctx, true),
    noLog: boolKey(t, 'no_log', ctx, true),
    checkMode: boolKey(t, 'check_mode', ctx),
    delegateTo: t.delegate_to as string | undefined,
    runOnce: boolKey(t, 'run_once', ctx),
    anyErrorsFatal: boolKey(t, 'any_errors_fatal', ctx),
    diff: boolKey(t, 'diff', ctx),
  };
  if (t.vars !== undefined && !isObj(t.vars)) ctx.errors.push(new InputError("'vars' must be a mapping", valueLocOf(t, 'vars'), 'write vars as "key: value" lines'));
  if (t.become_method !== undefined && t.become_method !== 'sudo' && !isTemplated(t.become_method)) ctx.errors.push(new InputError(`become_method ${showValue(t.become_method)} is not supported`, valueLocOf(t, 'become_method'), 'kvplay becomes with sudo only'));
  if (isBlock) {
    const sub = (k: string) => parseTaskList(t[k], scope, ctx, keyLocOf(t, k) ?? loc, isHandler);
    return [{ kind: 'block', name: nameOr('block'), ...common, block: sub('block'), rescue: sub('rescue'), always: sub('always') }];
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
    return [{ kind: 'meta', name: nameOr(`meta: ${value}`), ...common, action: value as any }];
  }
  if (short === 'import_tasks' || short === 'include_tasks') {
    const file = isObj(value) ? value.file : value;
    if (typeof file !== 'string') {
      ctx.errors.push(new InputError(`${short} needs a file name`, aloc, `write "${short}: other.yaml"`));
      return undefined;
    }
    if (short === 'import_tasks' && isTemplated(file)) {
      ctx.errors.push(new InputError('import_tasks is static: its file name cannot use variables', aloc, 'use include_tasks for a dynamic file name'));
      return undefined;
    }
    const tasks = isTemplated(file) ? undefined : loadTaskFile(resolve(scope.dir, file), aloc, scope, ctx, { ...common, tags: common.tags });
    if (short === 'import_tasks') {
      // static: inherit this task's keywords into the imported tasks
      return tasks ? tasks.map((x) => inherit(x, common)) : undefined;
    }
    return [{ kind: 'include', what: 'tasks', name: nameOr(`include_tasks: ${file}`), ...common, target: file, ...loopKeys(t, ctx), preloaded: tasks ? { tasks } : undefined }];
  }
  if (short === 'import_role' || short === 'include_role') {
    if (!isObj(value) || typeof value.name !== 'string') {
      ctx.errors.push(new InputError(`${short} needs 'name:'`, aloc, `write "${short}:\\n  name: ROLE"`));
      return undefined;
    }
    const tasksFrom = typeof value.tasks_from === 'string' ? value.tasks_from : undefined;
    const nameLoc = valueLocOf(value, 'name') ?? aloc;
    let role: Role | undefined;
    let tasks: Task[] | undefined;
    if (!isTemplated(value.name) && ctx.roleWithDeps) ({ role, tasks } = ctx.roleWithDeps(value.name, nameLoc, value.vars as Vars | undefined, tasksFrom) ?? {});
    else if (!isTemplated(value.name)) {
      role = ctx.loadRole(value.name, nameLoc);
      tasks = role ? roleTasks(role, tasksFrom, aloc, ctx, value.vars as Vars | undefined) : undefined;
    }
    if (short === 'import_role') return tasks ? tasks.map((x) => inherit(x, common)) : undefined;
    return [{ kind: 'include', what: 'role', name: nameOr(`include_role: ${value.name}`), ...common, target: value.name, tasksFrom, ...loopKeys(t, ctx), preloaded: tasks && role ? { tasks, role } : undefined }];
  }
  return [parseModuleTask(t, action, { ...common, name: nameOr(findModule(action)!.name) }, ctx, isHandler)].filter((x): x is ModuleTask => !!x);
}

function loopKeys(t: Record<string, unknown>, ctx: LoadCtx) {
  const kinds = (['loop', 'with_items', 'with_list', 'with_dict'] as const).filter((k) => k in t);
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

function parseModuleTask(t: Record<string, unknown>, action: string, common: any, ctx: LoadCtx, isHandler: boolean): ModuleTask | undefined {
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
  if (!isTemplated(params) && !dynamicKeys) ctx.errors.push(...validateParams(mod, params, { loc: keyLocOf(t, action) ?? aloc, static: true }));
  if (t.register !== undefined) {
    if (typeof t.register !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.register)) ctx.errors.push(new InputError(`invalid register name ${JSON.stringify(t.register)}`, valueLocOf(t, 'register'), 'a variable name: letters, digits and _'));
    else ctx.defined.add(t.register);
  }
  if (mod.name === 'set_fact' && isObj(params)) for (const k of Object.keys(params)) if (!isTemplated(k)) ctx.defined.add(k);
  // include_vars: the name it stores everything under (without one, src/playbook/undefined.ts treats it as a dynamic source)
  if (mod.name === 'include_vars' && isObj(params) && typeof params.name === 'string' && !isTemplated(params.name)) ctx.defined.add(params.name);
  const notify = stringList(t, 'notify', aloc, ctx.errors);
  checkInt(t, 'retries', aloc, ctx.errors);
  checkInt(t, 'delay', aloc, ctx.errors);
  const notifyLocs = Array.isArray(t.notify) ? t.notify.map((_, i) => itemLocOf(t.notify, i) ?? aloc) : notify.map(() => valueLocOf(t, 'notify') ?? aloc);
  const mt: ModuleTask = {
    kind: 'module',
    ...common,
    module: mod.name,
    params,
    ...loopKeys(t, ctx),
    register: t.register as string | undefined,
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
  checkTemplates(mt, t, ctx.errors);
  checkNul(mt, t, ctx.errors, aloc);
  return mt;
}

/** Statically included tasks inherit the including task's keywords. */
function inherit(t: Task, from: { when: Cond[]; tags: string[]; become?: boolean; becomeUser?: string; becomeMethod?: string; vars?: Vars; environment?: unknown }): Task {
  const out = { ...t, when: [...from.when, ...t.when], tags: [...new Set([...from.tags, ...t.tags])] } as Task;
  if (out.become === undefined && from.become !== undefined) out.become = from.become;
  if (out.becomeUser === undefined && from.becomeUser !== undefined) out.becomeUser = from.becomeUser;
  if (out.becomeMethod === undefined && from.becomeMethod !== undefined) out.becomeMethod = from.becomeMethod;
  if (out.environment === undefined && from.environment !== undefined) out.environment = from.environment;
  if (from.vars) out.vars = { ...from.vars, ...(out.vars ?? {}) };
  return out;
}

export function loadTaskFile(file: string, from: Loc, scope: Scope, ctx: LoadCtx, _inh?: unknown): Task[] | undefined {
  if (ctx.stack.includes(file)) {
    ctx.errors.push(new InputError(`include loop: ${[...ctx.stack.slice(ctx.stack.indexOf(file)), file].join(' -> ')}`, from, 'a task file must not include itself, directly or indirectly'));
    return undefined;
  }
  let data: unknown;
  try {
    data = loadYamlFile(file, from);
  } catch (e: any) {
    if (e instanceof InputError) ctx.errors.push(e);
    else if (e?.errors) ctx.errors.push(...e.errors);
    else throw e;
    return undefined;
  }
  ctx.stack.push(file);
  try {
    return parseTaskList(data ?? [], { ...scope, dir: dirname(file) }, ctx, { file, line: 1, col: 1 });
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
