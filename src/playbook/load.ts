/**
 * Load a playbook: plays, roles (Ansible's layout), static imports, with every error of every
 * file collected at once (InputErrors) before any host is contacted.
 */
import { dirname, resolve, isAbsolute } from 'node:path';
import { existsSync } from 'node:fs';
import { collectInputErrors, InputError, InputErrors, type Loc } from '../util/errors.js';
import { keyLocOf, valueLocOf, itemLocOf, loadYamlFile } from '../yaml/load.js';
import { didYouMean } from '../util/suggest.js';
import { PLAY_KEYS, UNSUPPORTED } from './keywords.js';
import { parseTaskList, parseTags, findYaml, toList, loadTaskFile, type LoadCtx } from './tasks.js';
import { expandRole, parseRoleRef, NO_INH, type RoleRunState } from './roles.js';
import { dict } from '../util/dict.js';
import { checkHosts, checkInt, checkName, checkPercent, checkSerial, checkStrings, checkTags, kindOf, showValue, varsField } from './schema.js';
import { checkBecomeMethod, checkStrategy, handlerTopics } from './keywords.js';
import { walkGuarded } from './guard.js';
import { parseVarsPrompt } from './varsprompt.js';
import type { Play, Playbook, Role, Scope, Task, Vars } from './model.js';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export interface LoadOptions {
  /** extra role directories (ansible.cfg roles_path, then KVPLAY_ROLES_PATH: the CLI reads them) */
  rolesPath?: string[];
}

/** Where roles are looked up: PLAYBOOK_DIR/roles, then PLAYBOOK_DIR/../roles (kvplay's layout: playbooks/ and roles/ side by side), then `extra`. */
function roleSearchPath(playbookDir: string, extra: string[] = []): string[] {
  return [resolve(playbookDir, 'roles'), resolve(playbookDir, '..', 'roles'), ...extra];
}

function yamlOrEmpty(file: string | undefined, ctx: LoadCtx, from: Loc): Vars {
  if (!file) return {};
  try {
    const v = loadYamlFile(file, from);
    if (v == null) return {};
    if (!isObj(v)) {
      ctx.errors.push(new InputError('expected a mapping of variables', { file, line: 1, col: 1 }, 'write "name: value" lines'));
      return {};
    }
    return v;
  } catch (e) {
    collectInputErrors(e, ctx.errors);
    return {};
  }
}

/**
 * A loader: the playbook's (errors collected in ctx.errors, warnings in ctx.warnings) and the
 * engine's, which loads include_tasks/include_role content when it runs. Roles are read once
 * (per *_from variant); a role's load errors are given again to every later use of it.
 */
export function newLoadCtx(dir: string, search: string[]): LoadCtx {
  const roles = new Map<string, Role>();
  const roleErrors = new Map<string, InputError[]>();
  const ctx: LoadCtx = {
    errors: [],
    warnings: [],
    stack: [],
    defined: new Set(),
    loadRole(name, loc, dirs = [], from = {}) {
      const where = [...search, ...dirs.filter((d) => !search.includes(d))];
      const found = where.map((d) => resolve(d, name)).find((d) => existsSync(d));
      const rpath = isAbsolute(name) || name.startsWith('.') ? resolve(dir, name) : found;
      if (!rpath || !existsSync(rpath)) {
        ctx.errors.push(new InputError(`role ${showValue(name)} not found`, loc, `looked in: ${where.join(', ')}`));
        return undefined;
      }
      const key = `${rpath}\0${from.vars ?? ''}\0${from.defaults ?? ''}\0${from.handlers ?? ''}`;
      if (roles.has(key)) {
        ctx.errors.push(...(roleErrors.get(key) ?? []));
        return roles.get(key);
      }
      const before = ctx.errors.length;
      const part = (kind: 'defaults' | 'vars' | 'handlers') => {
        const want = from[kind];
        const f = findYaml(resolve(rpath, kind, want ?? 'main'));
        if (!f && want) ctx.errors.push(new InputError(`Could not find specified file in role: ${kind}/${want}`, loc, `expected ${resolve(rpath, kind, want)}.yml (or .yaml)`));
        return f;
      };
      const role: Role = {
        name,
        path: rpath,
        defaults: yamlOrEmpty(part('defaults'), ctx, loc),
        vars: yamlOrEmpty(part('vars'), ctx, loc),
        handlers: [],
        ...(from.vars || from.defaults || from.handlers ? { from } : {}),
      };
      roles.set(key, role);
      loadRoleMeta(role, ctx, loc);
      const hfile = part('handlers');
      if (hfile) {
        const scope: Scope = { role, dir: dirname(hfile), inherited: { when: [], tags: [], vars: [] } };
        role.handlers = loadTaskFile(hfile, loc, scope, ctx, undefined, true) ?? [];
        markHandlers(role.handlers, ctx, hfile);
      }
      roleErrors.set(key, ctx.errors.slice(before));
      return role;
    },
    roleWithDeps(name, loc, params, from, allowDuplicates) {
      const ex = expandRole({ name, loc, params: dict(params ?? {}), tags: [], when: [] }, ctx, { seen: new Set() }, NO_INH, [], from, allowDuplicates);
      return ex.role ? { tasks: ex.tasks, role: ex.role, roles: ex.roles } : undefined;
    },
  };
  return ctx;
}

export function loadPlaybook(file: string, opts: LoadOptions = {}): Playbook {
  const path = resolve(file);
  const dir = dirname(path);
  const search = roleSearchPath(dir, opts.rolesPath);
  const ctx = newLoadCtx(dir, search);
  const errors = ctx.errors;

  const plays: Play[] = [];
  const loadFile = (f: string, from: Loc | undefined, stack: string[]) => {
    if (stack.includes(f)) {
      errors.push(new InputError(`import_playbook loop: ${[...stack, f].join(' -> ')}`, from, 'a playbook must not import itself'));
      return;
    }
    let data: unknown;
    try {
      data = loadYamlFile(f, from);
    } catch (e) {
      collectInputErrors(e, errors);
      return;
    }
    const top: Loc = { file: f, line: 1, col: 1 };
    if (!Array.isArray(data)) {
      errors.push(new InputError('a playbook must be a list of plays', top, 'start each play with "- hosts: PATTERN"'));
      return;
    }
    data.forEach((p, i) => {
      const loc = itemLocOf(data, i) ?? top;
      if (isObj(p) && 'import_playbook' in p) {
        if (typeof p.import_playbook !== 'string' || !p.import_playbook) {
          errors.push(new InputError(`import_playbook needs a file name, got ${kindOf(p.import_playbook)}`, valueLocOf(p, 'import_playbook') ?? loc, 'write "- import_playbook: other.yaml"'));
          return;
        }
        const target = resolve(dirname(f), p.import_playbook);
        loadFile(target, valueLocOf(p, 'import_playbook'), [...stack, f]);
        return;
      }
      const play = parsePlay(p, loc, dirname(f), ctx, search);
      if (play) plays.push(play);
    });
  };
  loadFile(path, undefined, []);
  // a template that does not parse stops the load only where its task surely runs (src/playbook/guard.ts)
  for (const play of plays) {
    walkGuarded(play, (t, outer, own) => {
      if (t.kind === 'module') for (const i of t.issues ?? []) ((i.firstWhen ? outer : own) ? ctx.warnings : errors).push(i.error);
    });
  }
  if (errors.length) throw new InputErrors(dedupe(errors));
  return { file: path, dir, plays, defined: [...ctx.defined], warnings: dedupe(ctx.warnings) };
}

/** meta/main.yml: `dependencies` (run before the role) and `allow_duplicates`. */
function loadRoleMeta(role: Role, ctx: LoadCtx, from: Loc): void {
  const file = findYaml(resolve(role.path, 'meta', 'main'));
  if (!file) return;
  const meta = yamlOrEmpty(file, ctx, from);
  const top: Loc = { file, line: 1, col: 1 };
  const deps = meta.dependencies;
  if (deps !== undefined && deps !== null && !Array.isArray(deps)) {
    ctx.errors.push(new InputError(`'dependencies' must be a list of roles, got ${kindOf(deps)}`, valueLocOf(meta, 'dependencies') ?? top, 'write "dependencies:\n  - role: NAME"'));
  } else role.dependencies = toList(deps).map((spec, i) => ({ spec, loc: itemLocOf(deps, i) ?? top }));
  const ad = meta.allow_duplicates;
  if (ad !== undefined && ad !== null && typeof ad !== 'boolean') ctx.errors.push(new InputError(`'allow_duplicates' must be a boolean, got ${kindOf(ad)}`, valueLocOf(meta, 'allow_duplicates') ?? top, 'use true or false'));
  role.allowDuplicates = ad === true;
}

function dedupe(errs: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = e.format();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every task that can notify: module tasks and blocks (`notify` on a block). */
function forEachModuleTask(tasks: Task[], fn: (t: { notify?: string[]; notifyLocs?: Loc[]; loc: Loc }) => void): void {
  for (const t of tasks) {
    if (t.kind === 'module') fn(t);
    else if (t.kind === 'block') {
      fn(t);
      forEachModuleTask([...t.block, ...t.rescue, ...t.always], fn);
    }
    else if (t.kind === 'include' && t.preloaded) forEachModuleTask(t.preloaded.tasks, fn);
  }
}

function markHandlers(list: Task[], ctx: LoadCtx, file: string): void {
  for (const h of list) {
    if (h.kind === 'block') ctx.errors.push(new InputError('blocks are not allowed in handlers', h.loc, 'write handlers as plain tasks'));
    void file;
  }
}

function parsePlay(p: unknown, loc: Loc, dir: string, ctx: LoadCtx, roleSearch: string[]): Play | undefined {
  if (!isObj(p)) {
    ctx.errors.push(new InputError('a play must be a mapping', loc, 'a play starts with "- hosts: PATTERN"'));
    return undefined;
  }
  for (const k of Object.keys(p)) {
    if (PLAY_KEYS.has(k)) continue;
    if (UNSUPPORTED[k]) ctx.errors.push(new InputError(`'${k}' is not supported by kvplay`, keyLocOf(p, k), UNSUPPORTED[k]));
    else ctx.errors.push(new InputError(`unknown play keyword '${k}'`, keyLocOf(p, k), didYouMean(k, PLAY_KEYS) || (['command', 'shell', 'copy', 'file', 'debug'].includes(k) ? 'tasks go under "tasks:"' : `play keywords: ${[...PLAY_KEYS].join(', ')}`)));
  }
  if (p.hosts === undefined || p.hosts === null || p.hosts === '' || (Array.isArray(p.hosts) && !p.hosts.length)) {
    ctx.errors.push(new InputError("play has no 'hosts'", loc, 'add "hosts: all" (or a group/pattern)'));
  }
  const hostsOk = checkHosts(p, loc, ctx.errors);
  const playName = checkName(p, loc, ctx.errors);
  checkTags(p, loc, ctx.errors);
  checkSerial(p, loc, ctx.errors);
  checkInt(p, 'throttle', loc, ctx.errors);
  checkPercent(p, 'max_fail_percentage', loc, ctx.errors);
  const varsPrompt = parseVarsPrompt(p, loc, ctx);
  checkStrings(p, ['become_user', 'remote_user'], loc, ctx.errors);
  checkBecomeMethod(p, loc, ctx);
  const strategy = checkStrategy(p, loc, ctx);
  const hosts = !hostsOk ? '' : Array.isArray(p.hosts) ? p.hosts.join(':') : String(p.hosts);
  const bool = (k: string, d: boolean) => {
    const v = p[k];
    if (v === undefined || v === null) return d;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(yes|true|on|no|false|off)$/i.test(v)) return /^(yes|true|on)$/i.test(v);
    ctx.errors.push(new InputError(`'${k}' must be a boolean`, valueLocOf(p, k), 'use true or false'));
    return d;
  };
  const vars = varsField(p, loc, ctx.errors) ?? {};
  const scope: Scope = { dir, inherited: { when: [], tags: [], vars: [] } };
  const parsed = new Map<string, Task[]>();
  const list = (k: string, handler = false) => {
    if (!parsed.has(k)) parsed.set(k, parseTaskList(p[k], scope, ctx, keyLocOf(p, k) ?? loc, handler));
    return parsed.get(k)!;
  };

  const roles: Role[] = [];
  const roleTaskList: Task[] = [];
  ctx.playRoles = [];
  ctx.includedRoles = [];
  const rolesVal = p.roles;
  if (rolesVal !== undefined && !Array.isArray(rolesVal)) ctx.errors.push(new InputError("'roles' must be a list", valueLocOf(p, 'roles'), 'write "roles:\\n  - name"'));
  const ran: RoleRunState = { seen: new Set() };
  toList(rolesVal).forEach((r, i) => {
    const rloc = itemLocOf(rolesVal, i) ?? loc;
    const ref = parseRoleRef(r, rloc, ctx.errors);
    if (!ref) return;
    const ex = expandRole(ref, ctx, ran);
    for (const role of ex.roles) if (!roles.includes(role)) roles.push(role);
    roleTaskList.push(...ex.tasks);
  });

  for (const k of ['pre_tasks', 'tasks', 'post_tasks']) list(k);
  list('handlers', true);
  for (const role of ctx.playRoles) if (!roles.includes(role)) roles.push(role); // import_role: one of the play's roles
  const handlers = [...roles.flatMap((r) => r.handlers), ...list('handlers', true)];
  const topics = new Set([...handlers, ...ctx.includedRoles.flatMap((r) => r.handlers)].flatMap(handlerTopics));
  const tasksAll = [...list('pre_tasks'), ...roleTaskList, ...list('tasks'), ...list('post_tasks'), ...handlers];
  forEachModuleTask(tasksAll, (t) => (t.notify ?? []).forEach((n, i) => {
    if (!topics.has(n) && !n.includes('{{')) ctx.errors.push(new InputError(`no handler named ${showValue(n)}`, t.notifyLocs?.[i] ?? t.loc, didYouMean(n, topics) || (topics.size ? `handlers: ${[...topics].join(', ')}` : 'define it under handlers:')));
  }));
  const varsFiles: Play['varsFiles'] = [];
  toList(p.vars_files).forEach((f, i) => {
    const vloc = itemLocOf(p.vars_files, i) ?? loc;
    if (typeof f === 'string' && f) varsFiles.push({ path: f, loc: vloc });
    // Ansible's alternatives: `- [vars/{{ os }}.yml, vars/default.yml]` reads the first file found
    else if (Array.isArray(f) && f.length && f.every((x) => typeof x === 'string' && x)) {
      const alts = f as string[];
      varsFiles.push({ path: alts.find((a) => !a.includes('{{') && existsSync(resolve(dir, a))) ?? alts[0], alts, loc: vloc });
    } else ctx.errors.push(new InputError(`a vars_files entry must be a file name or a list of alternatives, got ${kindOf(f)}`, vloc, 'write "vars_files: [vars/main.yaml]"'));
  });
  for (const vf of varsFiles) {
    if (vf.path.includes('{{')) continue;
    // as Ansible: a missing vars file fails the play when it starts (earlier plays run), not the load
    if (!existsSync(resolve(dir, vf.path))) {
      if (!vf.alts) ctx.warnings.push(new InputError(`vars file ${vf.path} was not found: the play fails when it starts`, vf.loc, `resolved to ${resolve(dir, vf.path)}`));
    } else yamlOrEmpty(resolve(dir, vf.path), ctx, vf.loc); // syntax, encoding and shape errors now, not mid-run
  }
  return {
    name: playName ?? (Array.isArray(p.hosts) ? p.hosts.join(',') : hosts),
    loc,
    hosts,
    hostsLoc: valueLocOf(p, 'hosts') ?? loc,
    become: p.become === undefined ? undefined : bool('become', false),
    becomeUser: p.become_user as string | undefined,
    becomeMethod: p.become_method as string | undefined,
    gatherFacts: bool('gather_facts', true),
    vars: isObj(vars) ? vars : {},
    varsFiles,
    preTasks: list('pre_tasks'),
    tasks: [...roleTaskList, ...list('tasks')],
    postTasks: list('post_tasks'),
    handlers,
    serial: p.serial as Play['serial'],
    anyErrorsFatal: bool('any_errors_fatal', false),
    tags: parseTags(p.tags),
    environment: p.environment,
    ignoreErrors: p.ignore_errors === undefined ? undefined : bool('ignore_errors', false),
    checkMode: p.check_mode === undefined ? undefined : bool('check_mode', false),
    noLog: p.no_log === undefined ? undefined : bool('no_log', false),
    roles,
    dir,
    ...(strategy !== undefined ? { strategy } : {}),
    ...(p.force_handlers !== undefined ? { forceHandlers: bool('force_handlers', false) } : {}),
    ...(p.ignore_unreachable !== undefined ? { ignoreUnreachable: bool('ignore_unreachable', false) } : {}),
    ...(p.throttle !== undefined && p.throttle !== null ? { throttle: p.throttle as number | string } : {}),
    ...(p.max_fail_percentage !== undefined && p.max_fail_percentage !== null ? { maxFailPercentage: p.max_fail_percentage as number | string } : {}),
    ...(varsPrompt.length ? { varsPrompt } : {}),
    roleSearch,
  };
}
