/**
 * One play running over one serial batch: the engine's own state of the play beside the loaded
 * model (roles include_role adds, vars_files read, handlers, hosts removed from
 * ansible_play_hosts). The hosts' status and counts: src/engine/hoststatus.ts.
 */
import type { Play, Role, Task } from '../playbook/model.js';
import type { LoadCtx } from '../playbook/tasks.js';
import type { PlayVarsFiles } from './varsfiles.js';
import type { HostState } from './state.js';
import { isActive } from './hoststatus.js';

export interface PlayRun {
  /** the play as loaded (never changed by the engine: what a run changes is kept beside it) */
  play: Play;
  /** the play's roles, and those include_role brings in with `public:` (their vars and defaults are the play's) */
  roles: Role[];
  /** the play's vars_files as read for this run (src/engine/varsfiles.ts) */
  varsFiles: PlayVarsFiles;
  /** this batch */
  hosts: HostState[];
  names: string[];
  /** every host of the play (all batches), for ansible_play_hosts_all */
  all: string[];
  /** Ansible's play._removed_hosts: failed (not rescued), unreachable, ended: not in ansible_play_hosts */
  removed: Set<string>;
  /** the play's notified handlers (those of roles that include_role brought in included) */
  handlers: Task[];
  /** meta: end_play (every batch), end_batch (this one) */
  ended: boolean;
  /** meta: end_play: the play's later batches do not run either */
  endPlay?: boolean;
  /** any_errors_fatal fired while a host was in a rescue or always: the play finishes, then the run stops */
  breakAfter?: boolean;
  /** max_fail_percentage of the play, rendered (src/engine/maxfail.ts) */
  maxFail?: number;
  /** hosts of this batch that failed for good (Ansible's tqm._failed_hosts), for max_fail_percentage */
  failedHosts: Set<string>;
  /** the loader of include_tasks/include_role content that was not loaded before the run */
  loader?: LoadCtx;
}

export const active = (pr: PlayRun): HostState[] => pr.hosts.filter(isActive);
