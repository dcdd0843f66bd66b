/**
 * Work done ahead, at the start of the run, so that hosts of later plays do not wait for it:
 *   - the SSH handshake of every host some play of the run targets (all at once, within
 *     connectSlots), instead of host after host as the plays reach them;
 *   - the facts of every host some gathering play targets.
 * Nothing is reported here. A failed handshake is not kept: when the host's first task comes
 * after it failed, that task connects again (as without read-ahead); when the task comes while it
 * is still under way, the task waits for it and reports its outcome.
 * Facts read ahead are used only when no task has reported a change (or a failure, or an
 * unreachable host) on any host since they were asked for, and only once: otherwise the play
 * gathers them again, as it would have. A task that reports ok changed nothing (that is what ok
 * means, changed_when included), so the host is as the play would find it when it starts.
 */
import { mergeVars } from '../template/index.js';
import { loadModule } from './module/registry.js';
import { gatherFacts } from '../facts/host.js';
import type { Play, Task } from '../playbook/model.js';
import { hostTransport } from './context.js';
import { GATHER_NAME } from './step.js';
import type { HostState, RunState } from './state.js';
import { timedTransport } from './timing.js';
import { tagsSelected } from './tags.js';

/**
 * The modules the run's tasks (as --tags/--skip-tags select them) and handlers use, imported ahead
 * (after the handshakes: compiling them on the one thread would delay the handshakes, which the
 * first task waits for): a module's code (and libraries such as xmldom) otherwise loads when its
 * first task starts, on the run's critical path. A task whose module is not loaded yet loads it
 * then, as before; a module that fails to load fails its task (the registry keeps the outcome).
 */
export function loadModulesAhead(plays: Play[], opts: { tags: string[]; skipTags: string[] }): void {
  const names = new Set<string>();
  const walk = (ts: Task[], tags: string[]) => {
    for (const t of ts) {
      const eff = [...tags, ...t.tags];
      if (t.kind === 'module' && tagsSelected(eff, opts)) names.add(t.module);
      else if (t.kind === 'block') for (const part of [t.block, t.rescue, t.always]) walk(part, eff);
      else if (t.kind === 'include' && t.preloaded) walk(t.preloaded.tasks, eff);
    }
  };
  for (const play of plays) {
    walk([...play.preTasks, ...play.tasks, ...play.postTasks], play.tags);
    walk(play.handlers, ['always']);
  }
  for (const n of names) loadModule(n).catch(() => undefined);
}

/** Task label of the read-ahead in -vvv timings. */
const AHEAD = 'connect ahead';

/**
 * `hostsOf`: the hosts a play targets (after --limit); it may throw for a pattern it cannot resolve
 * yet. Resolves when every handshake started here has ended (either way).
 */
export function readAhead(run: RunState, plays: Play[], hostsOf: (play: Play) => string[]): Promise<void> {
  const gather = new Set<string>();
  const connect = new Set<string>();
  for (const play of plays) {
    let names: string[];
    try {
      names = hostsOf(play);
    } catch {
      continue; // a pattern that cannot be resolved yet: the play reports it when it starts
    }
    for (const n of names) (play.gatherFacts ? gather : connect).add(n);
  }
  const handshakes: Promise<unknown>[] = [];
  for (const n of new Set([...gather, ...connect])) {
    const h = run.hosts.get(n);
    if (!h || h.connected || h.transport) continue;
    const vars = mergeVars(h.invVars, run.opts.extraVars);
    const conn = hostTransport(run, h, vars, AHEAD);
    handshakes.push(conn.catch(() => undefined));
    if (!gather.has(n)) continue;
    const mark = changeMark(run);
    const facts = conn.then(
      (tr) => gatherFacts(run.opts.verbosity >= 3 ? timedTransport(tr, run.reporter, h.name, GATHER_NAME, false) : tr).catch(() => undefined),
      () => undefined,
    );
    h.prefetch = { mark, facts };
  }
  return Promise.all(handshakes).then(() => undefined);
}

/** Grows with every result that is not ok or skipped, on any host (the PLAY RECAP counts). */
export function changeMark(run: RunState): number {
  let n = 0;
  for (const h of run.hosts.values()) n += h.counts.changed + h.counts.failed + h.counts.unreachable + h.counts.rescued + h.counts.ignored;
  return n;
}

/** The facts read ahead for this host, when still valid (used once). */
export async function prefetchedFacts(run: RunState, h: HostState): Promise<Record<string, unknown> | undefined> {
  const p = h.prefetch;
  if (!p) return undefined;
  h.prefetch = undefined;
  const facts = await p.facts;
  return facts && changeMark(run) === p.mark ? facts : undefined;
}
