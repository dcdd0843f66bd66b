/** The loaded playbook: plain data with source locations, before any host is contacted. */
import type { Loc } from '../util/errors.js';

export type Vars = Record<string, unknown>;

/** A role as loaded from roles/NAME/. */
export interface Role {
  name: string;
  path: string;
  defaults: Vars;
  vars: Vars;
  handlers: Task[];
  /** meta/main.yml `dependencies` (raw entries, parsed when the role is expanded) */
  dependencies?: Array<{ spec: unknown; loc: Loc }>;
  /** meta/main.yml `allow_duplicates` */
  allowDuplicates?: boolean;
}

/** Where a task comes from: its role (for role vars/defaults and file search paths) and include params. */
export interface Scope {
  role?: Role;
  /** role params (`- role: x` with extra keys) and include vars */
  params?: Vars;
  /** for a role run as a dependency: vars/main.yml of the roles depending on it (below its own role vars) */
  parentVars?: Vars;
  /** directory for relative files (src:, include_tasks:) */
  dir: string;
  /** inherited keyword values from enclosing blocks/includes/roles */
  inherited: Inherited;
}

export interface Inherited {
  when: Cond[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  environment?: unknown;
  vars: Vars[]; // block vars outermost first
  ignoreErrors?: boolean;
  noLog?: boolean;
  checkMode?: boolean;
  delegateTo?: string;
  anyErrorsFatal?: boolean;
}

/** A condition with its location (a bare expression or a boolean). */
export interface Cond {
  expr: string | boolean;
  loc: Loc;
}

interface TaskBase {
  name: string;
  loc: Loc;
  scope: Scope;
  /** the task's own keywords (raw values, templated at run time) */
  when: Cond[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  /** 'sudo', or a template (checked when the task runs) */
  becomeMethod?: string;
  environment?: unknown;
  vars?: Vars;
  ignoreErrors?: boolean | string;
  noLog?: boolean | string;
  checkMode?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  anyErrorsFatal?: boolean;
  /** task-level `diff:` (overrides --diff for this task) */
  diff?: boolean;
}

export interface ModuleTask extends TaskBase {
  kind: 'module';
  module: string; // canonical module name
  params: unknown; // raw params (string free-form or mapping), templated at run time
  loop?: unknown;
  loopKind?: 'loop' | 'with_items' | 'with_list' | 'with_dict';
  loopControl?: { loopVar: string; indexVar?: string; label?: unknown; pause?: number; extended?: unknown; extended_allitems?: unknown };
  register?: string;
  notify: string[];
  notifyLocs?: Loc[];
  changedWhen?: Cond[];
  failedWhen?: Cond[];
  until?: Cond;
  retries?: number | string;
  delay?: number | string;
  listen?: string[]; // handlers only
}

export interface MetaTask extends TaskBase {
  kind: 'meta';
  action: 'flush_handlers' | 'noop' | 'end_play' | 'end_host' | 'clear_host_errors' | 'refresh_inventory' | 'reset_connection' | 'clear_facts';
}

export interface BlockTask extends TaskBase {
  kind: 'block';
  block: Task[];
  rescue: Task[];
  always: Task[];
}

/** include_tasks / include_role: expanded per host at run time (dynamic). */
export interface IncludeTask extends TaskBase {
  kind: 'include';
  what: 'tasks' | 'role';
  /** file (include_tasks) or role name (include_role), maybe templated */
  target: string;
  /** include_role: tasks_from */
  tasksFrom?: string;
  loop?: unknown;
  loopKind?: 'loop' | 'with_items' | 'with_list' | 'with_dict';
  loopControl?: { loopVar: string; indexVar?: string; label?: unknown };
  /** pre-loaded content when the target is not templated (validated at load time) */
  preloaded?: { tasks: Task[]; role?: Role };
}

export type Task = ModuleTask | MetaTask | BlockTask | IncludeTask;

export interface Play {
  name: string;
  loc: Loc;
  hosts: string;
  hostsLoc: Loc;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  gatherFacts: boolean;
  vars: Vars;
  varsFiles: { path: string; loc: Loc }[];
  preTasks: Task[];
  tasks: Task[]; // roles' tasks first, then tasks
  postTasks: Task[];
  handlers: Task[];
  serial?: number | string | Array<number | string>;
  anyErrorsFatal: boolean;
  tags: string[];
  environment?: unknown;
  ignoreErrors?: boolean;
  checkMode?: boolean;
  noLog?: boolean;
  roles: Role[];
  dir: string;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
  /** names defined by register, set_fact and loop variables anywhere in the playbook */
  defined: string[];
}
