/** `meta:` tasks, as Ansible's strategy runs them (they are no results: nothing is counted). */
import type { MetaTask } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import { taskVars } from './vars.js';
import type { Inh } from './context.js';
import { condsHold } from './task.js';
import type { PlayRun } from './playrun.js';
import { clearHostErrors, endHost } from './hoststatus.js';
import { flushHandlers } from './handlers.js';

export async function runMeta(run: RunState, pr: PlayRun, t: MetaTask, inh: Inh, hosts: HostState[]): Promise<void> {
  const applies = hosts.filter((h) => {
    try {
      return condsHold([...inh.when, ...t.when], taskVars({ run, pr, task: t, inh }, h));
    } catch {
      return false;
    }
  });
  switch (t.action) {
    case 'flush_handlers':
      return flushHandlers(run, pr);
    case 'end_play':
      // every host, and the play's later serial batches too
      if (applies.length) {
        pr.ended = true;
        pr.endPlay = true;
        for (const h of pr.hosts) pr.removed.add(h.name);
      }
      return;
    case 'end_batch':
      if (applies.length) pr.ended = true;
      return;
    case 'end_host':
      for (const h of applies) endHost(pr, h);
      return;
    case 'clear_host_errors':
      // as Ansible: the play's failed and unreachable hosts run again (they stay out of ansible_play_hosts)
      if (applies.length) clearHostErrors(pr);
      return;
    case 'reset_connection':
      await Promise.all(applies.map(async (h) => {
        await h.transport?.close();
        h.transport = undefined;
        h.connected = false;
      }));
      return;
    case 'clear_facts':
      for (const h of applies) {
        h.facts = {};
        h.factsGathered = false;
        h.hostFacts = Object.create(null);
      }
      return;
    default:
      return;
  }
}
