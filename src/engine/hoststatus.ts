/**
 * A host's status in a run, kept here and only here: failed, unreachable, ended (meta: end_host),
 * the PLAY RECAP counts, and the moves of Ansible's strategy that revive a failed host for a while
 * (a rescue, an always, a handler under force_handlers, meta: clear_host_errors). HostState's
 * status fields are readonly elsewhere: every change goes through a function of this file.
 */
import type { HostStatus } from '../report/events.js';
import type { UnreachableError } from '../util/errors.js';
import type { HostState, RunState } from './state.js';
import type { PlayRun } from './playrun.js';

type Status = { failed: boolean; unreachable: boolean; ended: boolean; clears?: number };
const w = (h: HostState): Status => h as Status;

/** The host runs the next task: neither failed, unreachable nor ended. */
export const isActive = (h: HostState): boolean => !h.failed && !h.unreachable && !h.ended;

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
 * ansible_play_hosts unless it is rescued. `counted: false`: failed, not counted (a missing
 * include_role, as Ansible), and out of ansible_play_hosts.
 */
export function failHost(pr: PlayRun, h: HostState, rescuable: boolean | undefined, counted = true): void {
  w(h).failed = true;
  if (!counted) pr.removed.add(h.name);
  else if (rescuable) h.counts.rescued++;
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
    dropConnection(h);
    run.reporter.emit({ kind: 'host_result', task, host: h.name, status: 'unreachable', reason, durationMs: 0, ignored: true });
    return;
  }
  w(h).unreachable = true;
  pr?.removed.add(h.name);
  count(h, 'unreachable');
  run.reporter.emit({ kind: 'host_result', task, host: h.name, status: 'unreachable', reason, durationMs: 0 });
}

/** The host's connection is closed; the next task connects again. */
function dropConnection(h: HostState): Promise<void> {
  const tr = h.transport;
  h.transport = undefined;
  h.connected = false;
  return tr ? tr.close().catch(() => undefined) : Promise.resolve();
}

/** any_errors_fatal: the host stops here (not counted: no task of its own failed). */
export function stopHost(h: HostState): void {
  w(h).failed = true;
}

/** meta: end_host: the host runs nothing more in this play and leaves ansible_play_hosts. */
export function endHost(pr: PlayRun, h: HostState): void {
  w(h).ended = true;
  pr.removed.add(h.name);
}

/**
 * A new serial batch: its hosts run again if an earlier play ended them, and the hosts an earlier
 * batch only ended (meta: end_host; not failed, not unreachable) are back in ansible_play_hosts,
 * as Ansible's play copy per batch forgets them.
 */
export function startBatch(run: RunState, pr: PlayRun): void {
  for (const n of [...pr.removed]) {
    const h = run.hosts.get(n);
    if (h?.ended && !h.failed && !h.unreachable) pr.removed.delete(n);
  }
  for (const h of pr.hosts) w(h).ended = false;
}

/** meta: clear_host_errors: the play's failed and unreachable hosts run again (they stay out of ansible_play_hosts). */
export function clearHostErrors(pr: PlayRun): void {
  for (const h of pr.hosts) {
    // counted for every host: one that fails until its block's always ends (reviveDuring) stays alive
    w(h).clears = (h.clears ?? 0) + 1;
    if (!h.failed && !h.unreachable) continue;
    w(h).failed = false;
    if (h.unreachable) {
      w(h).unreachable = false;
      void dropConnection(h);
    }
  }
}

/** A rescue starts: the hosts that failed in the block run it as live hosts. */
export function enterRescue(hosts: HostState[]): void {
  for (const h of hosts) w(h).failed = false;
}

/**
 * Failed hosts run `fn` as live hosts (an always; a handler under force_handlers), and are failed
 * again after it, unless `keepCleared` and meta: clear_host_errors revived them meanwhile.
 */
export async function reviveDuring(hosts: HostState[], fn: () => Promise<void>, keepCleared = false): Promise<void> {
  const failed = hosts.filter((h) => h.failed && !h.unreachable);
  const clears = new Map(failed.map((h) => [h, h.clears ?? 0] as const));
  for (const h of failed) w(h).failed = false;
  try {
    await fn();
  } finally {
    for (const h of failed) if (!keepCleared || (h.clears ?? 0) === clears.get(h)) w(h).failed = true;
  }
}
