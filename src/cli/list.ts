/** --list-hosts, --list-tasks, --list-tags. */
import type { Inventory } from '../inventory/index.js';
import type { Playbook, Task } from '../playbook/model.js';
import type { Reporter } from '../report/events.js';
import type { CliOptions } from './args.js';
import { tagsSelected } from '../engine/tags.js';

export function listPlaybook(pb: Playbook, inv: Inventory, opts: CliOptions, reporter: Reporter): void {
  for (const play of pb.plays) {
    if (opts.listHosts) {
      let hosts = play.hosts.includes('{{') ? [] : inv.match(play.hosts, play.hostsLoc);
      if (opts.limit) {
        const lim = new Set(inv.match(opts.limit));
        hosts = hosts.filter((h) => lim.has(h));
      }
      reporter.emit({ kind: 'list', what: 'hosts', play: play.name, items: hosts });
    }
    const all: { name: string; tags: string[] }[] = [];
    const walk = (tasks: Task[], inherited: string[]) => {
      for (const t of tasks) {
        const tags = [...new Set([...play.tags, ...inherited, ...t.tags])];
        if (t.kind === 'block') walk([...t.block, ...t.rescue, ...t.always], tags);
        else {
          if (tagsSelected(tags, opts)) all.push({ name: t.name, tags });
          if (t.kind === 'include' && t.preloaded) walk(t.preloaded.tasks, tags);
        }
      }
    };
    walk([...play.preTasks, ...play.tasks, ...play.postTasks], []);
    if (opts.listTasks) reporter.emit({ kind: 'list', what: 'tasks', play: play.name, items: all.map((t) => `${t.name}\tTAGS: [${t.tags.join(', ')}]`) });
    if (opts.listTags) reporter.emit({ kind: 'list', what: 'tags', play: play.name, items: [...new Set(all.flatMap((t) => t.tags))].sort() });
  }
}
