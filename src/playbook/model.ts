/** The loaded playbook: plain data with source locations, before any host is contacted. */
import type { InputError, Loc } from '../util/errors.js';

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
  /** the files read instead of the main ones (vars_from, defaults_from, handlers_from of include_role/import_role) */
  from?: RoleFrom;
}

/** include_role/import_role `tasks_from`, `vars_from`, `defaults_from`, `handlers_from`. */
export interface RoleFrom {
  tasks?: string;
  vars?: string;
  defaults?: string;
  handlers?: string;
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

/** A problem of a task's template, found by the loader; `firstWhen`: in the first `when` condition. */
export interface StaticIssue {
  error: InputError;
  firstWhen: boolean;
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
  /** `ignore_unreachable:` an unreachable host is an ignored failure, the host stays in the play */
  ignoreUnreachable?: boolean | string;
  /** `throttle:` at most this many hosts run the task at once (0: no limit; a template is rendered when the task runs) */
  throttle?: number | string;
}

export interface ModuleTask extends TaskBase {
  kind: 'module';
  module: string; // canonical module name
  params: unknown; // raw params (string free-form or mapping), templated at run time
  loop?: unknown;
  /** `loop`, or `with_<lookup>` (any lookup plugin: with_items, with_sequence, with_nested...) */
  loopKind?: 'loop' | `with_${string}`;
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
  /** `register:` that is not a variable name (e.g. a number): the task fails when it runs, and the run stops (as Ansible) */
  badRegister?: string;
  /** what the loader found wrong in its templates: an error or a warning by where the task is (src/playbook/guard.ts) */
  issues?: StaticIssue[];
  /** `async:` seconds (or a template) and `poll:` seconds (or a template) */
  async?: number | string;
  poll?: number | string;
}

export interface MetaTask extends TaskBase {
  kind: 'meta';
  action: 'flush_handlers' | 'noop' | 'end_play' | 'end_batch' | 'end_host' | 'clear_host_errors' | 'refresh_inventory' | 'reset_connection' | 'clear_facts';
}

export interface BlockTask extends TaskBase {
  kind: 'block';
  block: Task[];
  rescue: Task[];
  always: Task[];
  /** `notify:` on a block: every task in it notifies these too */
  notify?: string[];
}

/** include_tasks / include_role: expanded per host at run time (dynamic). */
export interface IncludeTask extends TaskBase {
  kind: 'include';
  what: 'tasks' | 'role';
  /** file (include_tasks) or role name (include_role), maybe templated */
  target: string;
  /** include_role: tasks_from */
  tasksFrom?: string;
  /** include_role: tasks_from, vars_from, defaults_from, handlers_from */
  from?: RoleFrom;
  /** include_role `public:` the role's variables stay visible to the play's later tasks */
  public?: boolean | string;
  allowDuplicates?: boolean;
  /** include_tasks/include_role `apply:` keywords (a block around the included tasks) */
  apply?: BlockTask;
  loop?: unknown;
  /** `loop`, or `with_<lookup>` (any lookup plugin: with_items, with_sequence, with_nested...) */
  loopKind?: 'loop' | `with_${string}`;
  loopControl?: { loopVar: string; indexVar?: string; label?: unknown };
  /** pre-loaded content when the target is not templated (validated at load time) */
  preloaded?: { tasks: Task[]; role?: Role };
}

export type Task = ModuleTask | MetaTask | BlockTask | IncludeTask;

/** One `vars_prompt:` entry as written (templated with the play's variables when the play starts). */
export interface VarPrompt {
  entry: Record<string, unknown>;
  loc: Loc;
}

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
  /** `alts`: Ansible's list-of-alternatives entry (the first file found is read); `path` is then the first alternative found at load */
  varsFiles: { path: string; alts?: string[]; loc: Loc }[];
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
  /** `strategy:` as written ('linear', or a template rendered when the play starts) */
  strategy?: string;
  /** `force_handlers:` notified handlers run on hosts that failed too */
  forceHandlers?: boolean;
  ignoreUnreachable?: boolean;
  /** `throttle:` the default of the play's tasks */
  throttle?: number | string;
  /** `max_fail_percentage:` the play stops when more than this percentage of a batch's hosts failed (a template is rendered when the play starts) */
  maxFailPercentage?: number | string;
  /** `vars_prompt:` values asked (or defaulted) when the play starts: play variables */
  varsPrompt?: VarPrompt[];
  /** where roles are looked up (include_role loads its role when it runs) */
  roleSearch: string[];
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
  /** names defined by register, set_fact and loop variables anywhere in the playbook */
  defined: string[];
  /** what Ansible only finds when (and if) a task runs: told before the run, an error of the task when it runs */
  warnings: InputError[];
}
