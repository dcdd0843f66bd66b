/**
 * Roles with their dependencies, as Ansible runs them: a role's `meta/main.yml` `dependencies`
 * run before the role, recursively; a role (with the same parameters, tags and when) runs once
 * per play unless its meta says `allow_duplicates: true`; a dependency cycle is a load-time error
 * naming the chain. Dependencies inherit the depending role's params, vars, tags, when and become.
 */
import { dirname } from 'node:path';
import { InputError, type Loc } from '../util/errors.js';
import { valueLocOf } from '../yaml/load.js';
import { dict } from '../util/dict.js';
import { parseConds, parseTags, roleTasks, type LoadCtx } from './tasks.js';
import { checkTags, kindOf } from './schema.js';
import type { Cond, Role, RoleFrom, Task, Vars } from './model.js';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A reference to a role: `- NAME`, `- role: NAME` with keywords and params, or a meta dependency. */
export interface RoleRef {
  name: string;
  loc: Loc;
  params: Vars;
  tags: string[];
  when: Cond[];
  become?: boolean;
  becomeUser?: string;
}

/** Keywords inherited down a dependency chain. */
export interface RoleInh {
  params: Vars;
  /** vars/main.yml of the depending roles (outermost first, merged) */
  parentVars: Vars;
  tags: string[];
  when: Cond[];
  become?: boolean;
  becomeUser?: string;
}

export const NO_INH: RoleInh = { params: dict(), parentVars: dict(), tags: [], when: [] };

/** Which role instances already ran in this play (dedupe). */
export interface RoleRunState {
  seen: Set<string>;
}

/** Parse a role reference; problems go to `errors`. */
export function parseRoleRef(r: unknown, loc: Loc, errors: InputError[]): RoleRef | undefined {
  const spec = typeof r === 'string' ? dict({ role: r }) : isObj(r) ? r : undefined;
  const name = spec ? (spec.role ?? spec.name) : undefined;
  if (typeof name !== 'string' || !name) {
    errors.push(new InputError(`a role entry needs a name, got ${kindOf(spec ? (spec.role ?? spec.name) : r)}`, loc, 'write "- ROLE" or "- role: ROLE"'));
    return undefined;
  }
  const s = spec as Record<string, unknown>;
  checkTags(s, loc, errors);
  const params: Vars = dict();
  for (const [k, v] of Object.entries(s)) if (!['role', 'name', 'tags', 'when', 'vars', 'become', 'become_user'].includes(k)) params[k] = v;
  if (s.vars !== undefined && s.vars !== null && !isObj(s.vars)) errors.push(new InputError(`'vars' of role '${name}' must be a mapping, got ${kindOf(s.vars)}`, valueLocOf(s, 'vars') ?? loc, 'write vars as "key: value" lines'));
  if (isObj(s.vars)) Object.assign(params, s.vars);
  if (s.become !== undefined && typeof s.become !== 'boolean') errors.push(new InputError(`'become' must be a boolean, got ${kindOf(s.become)}`, valueLocOf(s, 'become') ?? loc, 'use true or false'));
  return {
    name,
    loc,
    params,
    tags: parseTags(s.tags),
    when: s.when === undefined ? [] : parseConds(s.when, s, 'when').map((c) => ({ ...c, loc: c.loc ?? loc })),
    become: typeof s.become === 'boolean' ? s.become : undefined,
    becomeUser: typeof s.become_user === 'string' ? s.become_user : undefined,
  };
}

/** JSON with sorted keys: the identity of a role's parameters. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Vars)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export interface Expanded {
  tasks: Task[];
  /** every role involved (dependencies first), for defaults and handlers */
  roles: Role[];
  /** the referenced role itself (undefined when it could not be loaded) */
  role?: Role;
}

/**
 * The tasks of a role reference with its dependencies before them. `chain`: the depending roles
 * (cycle detection); `st`: the play's roles that already ran; `tasksFrom`: include_role/import_role.
 */
export function expandRole(ref: RoleRef, ctx: LoadCtx, st: RoleRunState, inh: RoleInh = NO_INH, chain: Array<{ role: Role; name: string }> = [], from: RoleFrom = {}, allowDuplicates?: boolean): Expanded {
  const parent = chain[chain.length - 1];
  const role = ctx.loadRole(ref.name, ref.loc, parent ? [dirname(parent.role.path)] : [], from);
  if (!role) return { tasks: [], roles: [] };
  const at = chain.findIndex((c) => c.role.path === role.path);
  if (at >= 0) {
    const names = [...chain.slice(at).map((c) => c.name), ref.name].join(' -> ');
    ctx.errors.push(new InputError(`role dependency cycle: ${names}`, ref.loc, `remove '${ref.name}' from the dependencies in ${parent.role.path}/meta/main.yml`));
    return { tasks: [], roles: [] };
  }
  const params = dict(inh.params, ref.params);
  const tags = [...inh.tags, ...ref.tags];
  const when = [...inh.when, ...ref.when];
  const become = ref.become ?? inh.become;
  const becomeUser = ref.becomeUser ?? inh.becomeUser;
  const key = `${role.path}\0${from.tasks ?? ''}\0${stable({ params, tags, when: when.map((c) => c.expr) })}`;
  if (st.seen.has(key) && !(allowDuplicates ?? role.allowDuplicates)) return { tasks: [], roles: [role], role };

  const out: Expanded = { tasks: [], roles: [], role };
  const down: RoleInh = { params, parentVars: dict(inh.parentVars, role.vars), tags, when, become, becomeUser };
  for (const dep of role.dependencies ?? []) {
    const dref = parseRoleRef(dep.spec, dep.loc, ctx.errors);
    if (!dref) continue;
    const sub = expandRole(dref, ctx, st, down, [...chain, { role, name: ref.name }]);
    out.tasks.push(...sub.tasks);
    out.roles.push(...sub.roles);
  }
  out.roles.push(role);
  const own = roleTasks(role, from.tasks, ref.loc, ctx, params, chain.length ? inh.parentVars : undefined) ?? [];
  for (const t of own) {
    t.tags = [...new Set([...tags, ...t.tags])];
    if (when.length) t.when = [...when, ...t.when];
    if (t.become === undefined && become !== undefined) t.become = become;
    if (t.becomeUser === undefined && becomeUser !== undefined) t.becomeUser = becomeUser;
    out.tasks.push(t);
  }
  st.seen.add(key);
  return out;
}
