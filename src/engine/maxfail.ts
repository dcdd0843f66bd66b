/**
 * `max_fail_percentage:` as Ansible's linear strategy checks it after every task: when the hosts
 * of the batch that failed for good (Ansible's tqm._failed_hosts: no rescue or always of theirs
 * left to run; unreachable ones do not count) are MORE than the percentage of the batch's size,
 * every host left is failed and the play and the run stop ("NO MORE HOSTS LEFT", exit 2).
 */
import { renderDeep } from '../template/index.js';
import { runtimePercent } from '../playbook/schema.js';
import type { Play } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import type { PlayRun } from './playrun.js';
import { stopHost } from './hoststatus.js';

/** The play's max_fail_percentage, rendered when the play starts (as Ansible's post_validate), or undefined. */
export function maxFailOf(run: RunState, play: Play): number | undefined {
  if (play.maxFailPercentage === undefined) return undefined;
  const v = renderDeep(play.maxFailPercentage, { ...play.vars, ...run.opts.extraVars }, play.loc);
  return runtimePercent(v, 'max_fail_percentage', play.loc);
}

/** A host failed for good in this batch (counted against max_fail_percentage). */
export function failedForGood(pr: PlayRun, hosts: HostState[]): void {
  for (const h of hosts) if (!h.unreachable) pr.failedHosts.add(h.name);
}

/** After a task: over the limit, every host left stops and so does the run. */
export function checkMaxFail(run: RunState, pr: PlayRun): void {
  if (pr.maxFail === undefined || run.aborted || !pr.failedHosts.size) return;
  if (pr.failedHosts.size / pr.hosts.length <= pr.maxFail / 100) return;
  for (const h of pr.hosts) if (!h.unreachable) stopHost(h);
  run.reporter.emit({ kind: 'warning', msg: `NO MORE HOSTS LEFT: ${pr.failedHosts.size} of the batch's ${pr.hosts.length} hosts failed, more than max_fail_percentage ${pr.maxFail}%` });
  run.aborted = true;
}
