/**
 * One play running over one serial batch, and the host bookkeeping of Ansible's strategy: the
 * PLAY RECAP counts, failed hosts (and `rescued` when a rescue will run), hosts removed from
 * ansible_play_hosts, unreachable hosts (and ignore_unreachable).
 */
import type { HostStatus } from '../report/events.js';
import type { UnreachableError } from '../util/errors.js';
import type { Task } from '../playbook/model.js';
import type { LoadCtx } from '../playbook/tasks.js';
import type { PlayVarsFiles } from './varsfiles.js';
import type { HostState, RunState } from './state.js';
import type { PlayHosts } from './vars.js';

export interface PlayRun {
  /** the play: a copy per play run, whose roles and handlers grow when include_role brings more */
  play: PlayVarsFiles;
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
  /** the loader of include_tasks/include_role content that was not loaded before the run */
  loader?: LoadCtx;
}

export const active = (pr: PlayRun): HostState[] => pr.hosts.filter((h) => !h.failed && !h.unreachable && !h.ended);

export function hostsView(pr: PlayRun): PlayHosts {
  return { all: pr.all, batch: pr.names, removed: pr.removed };
}

/** PLAY RECAP counts as Ansible's: `ok` counts every successful result, changed and ignored ones included. */
export function count(h: HostState, s: HostStatus, ignored = false, changed = false): void {
  if (ignored) {
    h.counts.ignored++;
    h.counts.ok++;
    if (changed) h.counts.changed++;
    return;
  }
  h.counts[s]++;
  if (s === 'changed') h.counts.ok++;
}

/**
 * A task failed on a host and nothing ignores it: as Ansible's strategy, it counts as `rescued`
 * (not `failed`) when a rescue of an enclosing block will run, and the host leaves
 * ansible_play_hosts unless it is rescued.
 */
export function failHost(pr: PlayRun, h: HostState, rescuable: boolean | undefined): void {
  h.failed = true;
  if (rescuable) h.counts.rescued++;
  else {
    h.counts.failed++;
    pr.removed.add(h.name);
  }
}

/** A host could not be reached: out of the play (or, with ignore_unreachable, an ignored result). */
export function markUnreachable(run: RunState, pr: PlayRun | undefined, h: HostState, task: string, e: UnreachableError, ignore = false): void {
  const reason = e.message + (e.hint ? ` (${e.hint})` : '');
  if (ignore) {
    h.counts.ok++;
    h.counts.ignored++;
    // the next task connects again
    h.transport?.close().catch(() => undefined);
    h.transport = undefined;
    h.connected = false;
    run.reporter.emit({ kind: 'host_result', task, host: h.name, status: 'unreachable', reason, durationMs: 0, ignored: true });
    return;
  }
  h.unreachable = true;
  pr?.removed.add(h.name);
  count(h, 'unreachable');
  run.reporter.emit({ kind: 'host_result', task, host: h.name, status: 'unreachable', reason, durationMs: 0 });
}
