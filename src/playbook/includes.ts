/**
 * include_tasks / import_tasks / include_role / import_role, as Ansible parses them: the arguments
 * (a mapping, `file=x.yml` / `name=r tasks_from=y` pairs, or a bare file name), the options each
 * takes (anything else is a load error, as Ansible's "Invalid options for include_role"), static
 * imports (loaded now: a missing file or role is a load error), and dynamic includes, which Ansible
 * loads only when they run: kvplay loads them now for its static checks, but whatever is wrong in
 * them (a missing file or role, an unknown module...) is a warning now, never the load of a
 * playbook whose include is never reached; when the include runs, a missing file or role fails the
 * host and an error in the content stops the run, as in Ansible (src/engine/include.ts).
 */
import { resolve } from 'node:path';
import { InputError, fmtLoc, type Loc } from '../util/errors.js';
import { copyLoc, keyLocOf, valueLocOf } from '../yaml/load.js';
import { splitArgs, unquote } from '../util/shlex.js';
import { didYouMean } from '../util/suggest.js';
import { kindOf } from './schema.js';
import { INCLUDE_LOOP, inherit, loadTaskFile, loopKeys, parseTaskList, type LoadCtx } from './tasks.js';
import type { BlockTask, RoleFrom, Scope, Task } from './model.js';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isTemplated = (v: unknown) => typeof v === 'string' && (v.includes('{{') || v.includes('{%'));

/** The options each action takes (Ansible 2.14: IncludeRole.VALID_ARGS, TaskInclude.VALID_ARGS). */
const OPTIONS: Record<string, string[]> = {
  include_tasks: ['file', '_raw_params', 'apply'],
  import_tasks: ['file', '_raw_params'],
  include_role: ['name', 'role', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'apply', 'allow_duplicates', 'rolespec_validate'],
  import_role: ['name', 'role', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'allow_duplicates', 'rolespec_validate'],
};

export interface IncludeArgs {
  /** include_tasks/import_tasks: the file; include_role/import_role: the role name */
  target: string;
  from: RoleFrom;
  /** include_role `public:` (a boolean or a template) */
  public?: boolean | string;
  allowDuplicates?: boolean;
  /** include_tasks/include_role `apply:` keywords, as a block around the included tasks */
  apply?: Record<string, unknown>;
}

/** `k=v` pairs and bare words (Ansible's parse_kv with check_raw: the bare words are _raw_params). */
function parseKv(s: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  const raw: string[] = [];
  for (const t of splitArgs(s)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(t.raw);
    if (m) out[m[1]] = unquote(m[2]);
    else raw.push(t.raw);
  }
  if (raw.length) out._raw_params = raw.join(' ');
  return out;
}

/** The arguments of an include or import task; problems go to ctx.errors (Ansible's parser errors). */
function includeArgs(action: string, value: unknown, aloc: Loc, ctx: LoadCtx): IncludeArgs | undefined {
  let args: Record<string, unknown>;
  try {
    args = typeof value === 'string' ? parseKv(value) : isObj(value) ? value : Object.create(null);
  } catch (e) {
    ctx.errors.push(new InputError(`${action}: ${(e as Error).message}`, aloc, 'close the quote, or write the arguments as a YAML mapping'));
    return undefined;
  }
  const isRole = action.endsWith('_role');
  const example = isRole ? `${action}:\\n  name: ROLE` : `${action}: other.yaml`;
  if (value !== null && value !== undefined && typeof value !== 'string' && !isObj(value)) {
    ctx.errors.push(new InputError(`${action} takes a ${isRole ? 'mapping' : 'file name'}, got ${kindOf(value)}`, aloc, `write "${example}"`));
    return undefined;
  }
  const allowed = OPTIONS[action];
  const bad = Object.keys(args).filter((k) => !allowed.includes(k) && !(isRole && k === '_raw_params'));
  if (bad.length) {
    const hint = bad.includes('vars') ? 'vars go on the task (beside the action), not in its arguments' : didYouMean(bad[0], allowed) || `${action} takes: ${allowed.filter((k) => k !== '_raw_params').join(', ')}`;
    ctx.errors.push(new InputError(`Invalid options for ${action}: ${bad.join(', ')}`, keyLocOf(value, bad[0]) ?? aloc, hint));
    return undefined;
  }
  const target = isRole ? (args.name ?? args.role) : (args.file ?? args._raw_params);
  if (isRole && args._raw_params !== undefined) {
    ctx.errors.push(new InputError(`${action} takes name=ROLE, not a bare word: ${String(args._raw_params)}`, aloc, `write "${example}"`));
    return undefined;
  }
  if (typeof target !== 'string' || !target) {
    ctx.errors.push(new InputError(isRole ? `'name' is a required field for ${action}` : `${action} needs a file name`, aloc, `write "${example}"`));
    return undefined;
  }
  const from: RoleFrom = {};
  for (const k of ['tasks_from', 'vars_from', 'defaults_from', 'handlers_from'] as const) {
    const v = args[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') {
      ctx.errors.push(new InputError(`Expected a string for ${k} but got ${kindOf(v)}`, valueLocOf(value, k) ?? aloc, `e.g. ${k}: other`));
      return undefined;
    }
    from[k.replace('_from', '') as keyof RoleFrom] = v;
  }
  const apply = args.apply;
  if (apply !== undefined && apply !== null && !isObj(apply)) {
    ctx.errors.push(new InputError(`Expected a dict for apply but got ${kindOf(apply)}`, valueLocOf(value, 'apply') ?? aloc, 'e.g. apply: {tags: [web], become: true}'));
    return undefined;
  }
  const bool = (k: string): boolean | string | undefined => {
    const v = args[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(yes|true|on|no|false|off)$/i.test(v)) return /^(yes|true|on)$/i.test(v);
    if (isTemplated(v)) return v as string;
    ctx.errors.push(new InputError(`'${k}' must be a boolean, got ${kindOf(v)}`, valueLocOf(value, k) ?? aloc, 'use true or false'));
    return undefined;
  };
  const pub = bool('public');
  const dup = bool('allow_duplicates');
  return {
    target,
    from,
    ...(pub !== undefined ? { public: pub } : {}),
    ...(typeof dup === 'boolean' ? { allowDuplicates: dup } : {}),
    ...(isObj(apply) ? { apply } : {}),
  };
}

/**
 * Load a dynamic include's content now (for the static checks). Ansible loads it only when the
 * include runs: whatever is wrong in it is a warning now (and fails the include when it runs),
 * and the include is then left to load at run time (`undefined`).
 */
function preloadSoftly<T>(ctx: LoadCtx, what: string, at: Loc, load: () => T | undefined): T | undefined {
  const saved = ctx.errors;
  const mine: InputError[] = [];
  ctx.errors = mine;
  let value: T | undefined;
  try {
    value = load();
  } finally {
    ctx.errors = saved;
  }
  if (!mine.length) return value;
  // a file that includes itself dynamically is Ansible's recursion (a `when` ends it; the engine bounds it)
  if (mine.every((e) => e.message.startsWith(INCLUDE_LOOP))) return undefined;
  const when = `${what} at ${fmtLoc(at)} fails when it runs`;
  for (const e of mine) ctx.warnings.push(new InputError(e.message, e.loc, e.hint ? `${e.hint}; ${when}` : when));
  return undefined;
}

/** The keywords of the include/import task itself (what tasks.ts parsed). */
type Common = Parameters<typeof inherit>[1] & { loc: Loc; scope: Scope; when: Task['when']; tags: string[] };

/**
 * An include/import task: import_tasks/import_role are replaced by their tasks now (inheriting the
 * task's keywords); include_tasks/include_role stay one task, run when reached, their content
 * loaded now when it can be (`preloaded`, for the static checks and --list-tasks).
 */
export function parseIncludeTask(action: string, raw: Record<string, unknown>, key: string, common: Common, name: string | undefined, ctx: LoadCtx, isHandler: boolean): Task[] | undefined {
  const aloc = valueLocOf(raw, key) ?? common.loc;
  const a = includeArgs(action, raw[key], aloc, ctx);
  if (!a) return undefined;
  const isImport = action.startsWith('import_');
  const isRole = action.endsWith('_role');
  const scope = common.scope;
  if (isImport && isTemplated(a.target)) {
    ctx.errors.push(new InputError(`${action} is static: its ${isRole ? 'role name' : 'file name'} cannot use variables`, aloc, `use ${action.replace('import_', 'include_')} for a dynamic ${isRole ? 'role' : 'file'} name`));
    return undefined;
  }
  const apply = a.apply ? applyBlock((b) => parseTaskList([b], scope, ctx, aloc, isHandler), a.apply) : undefined;
  if (!isRole) {
    const load = () => loadTaskFile(resolve(scope.dir, a.target), aloc, scope, ctx);
    if (isImport) return load()?.map((x) => inherit(x, common));
    const tasks = isTemplated(a.target) ? undefined : preloadSoftly(ctx, 'this include_tasks', aloc, load);
    return [{ kind: 'include', what: 'tasks', name: name ?? `include_tasks: ${a.target}`, ...common, target: a.target, ...loopKeys(raw, ctx), ...(apply ? { apply } : {}), preloaded: tasks ? { tasks } : undefined }];
  }
  const nameLoc = valueLocOf(raw[key], 'name') ?? aloc;
  const load = () => ctx.roleWithDeps(a.target, nameLoc, undefined, a.from, a.allowDuplicates);
  if (isImport) {
    const got = load();
    if (!got) return undefined;
    ctx.playRoles?.push(...got.roles); // an imported role is one of the play's roles (its vars, defaults, handlers)
    return got.tasks.map((x) => inherit(x, common));
  }
  const got = isTemplated(a.target) ? undefined : preloadSoftly(ctx, 'this include_role', aloc, load);
  if (got) ctx.includedRoles?.push(...got.roles);
  return [{
    kind: 'include', what: 'role', name: name ?? `include_role: ${a.target}`, ...common, target: a.target,
    tasksFrom: a.from.tasks, from: a.from, ...(a.public !== undefined ? { public: a.public } : {}), ...(a.allowDuplicates !== undefined ? { allowDuplicates: a.allowDuplicates } : {}),
    ...loopKeys(raw, ctx), ...(apply ? { apply } : {}), preloaded: got ? { tasks: got.tasks, role: got.role } : undefined,
  }];
}

/** `apply:` keywords as a block around the included tasks. */
function applyBlock(parse: (raw: Record<string, unknown>) => Task[] | undefined, apply: Record<string, unknown>): BlockTask | undefined {
  const b = parse(copyLoc(apply, { ...apply, block: [] }))?.[0];
  return b && b.kind === 'block' ? b : undefined;
}
