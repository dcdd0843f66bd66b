/**
 * Handlers: run when flushed (meta: flush_handlers, the end of each play section), in definition
 * order, on the hosts that notified them by name or `listen:` topic. A handler may be a module task
 * or an include_tasks / include_role (its tasks run). With force_handlers (the play keyword or
 * --force-handlers) they run on hosts that failed too, as Ansible's.
 */
import { handlerTopics } from '../playbook/keywords.js';
import type { RunState } from './state.js';
import { ROOT_INH } from './context.js';
import { active, type PlayRun } from './playrun.js';
import { reviveDuring } from './hoststatus.js';
import { runModuleOnHosts } from './block.js';
import { runInclude } from './include.js';

export async function flushHandlers(run: RunState, pr: PlayRun): Promise<void> {
  const force = pr.play.forceHandlers ?? run.opts.forceHandlers ?? false;
  // handlers that include_role adds while they run are flushed too
  for (let i = 0; i < pr.handlers.length; i++) {
    const hd = pr.handlers[i];
    if (hd.kind !== 'module' && hd.kind !== 'include') continue;
    const topics = handlerTopics(hd);
    const candidates = force ? pr.hosts.filter((h) => !h.unreachable && !h.ended) : active(pr);
    const hosts = candidates.filter((h) => topics.some((n) => h.notified.has(n)));
    if (!hosts.length) continue;
    // the notifications stay until the flush ends: every handler listening to a topic runs (as Ansible's)
    // failed hosts (force_handlers) run the handler as live hosts, and are failed again after it
    await reviveDuring(hosts, () => (hd.kind === 'module' ? runModuleOnHosts(run, pr, hd, ROOT_INH, hosts, true) : runInclude(run, pr, hd, ROOT_INH, hosts)));
    if (run.aborted) return;
  }
  for (const h of pr.hosts) h.notified.clear();
}
