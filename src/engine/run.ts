/**
 * The engine: plays in order, each in serial batches, facts gathered, then pre_tasks, roles and
 * tasks, post_tasks, each section followed by its handlers; recap and exit code (0 ok, 2 a host
 * failed, 4 unreachable). Task lists, blocks and any_errors_fatal: block.ts; includes: include.ts;
 * handlers: handlers.ts; meta: meta.ts; async: async.ts.
 */
import { UnreachableError } from '../util/errors.js';
import { render, renderDeep, markUnsafe, mergeVars } from '../template/index.js';
import { gatherFacts } from '../facts/host.js';
import { strategyProblem, STRATEGIES } from '../playbook/keywords.js';
import type { Inventory } from '../inventory/index.js';
import type { Play, Playbook } from '../playbook/model.js';
import type { Counts, Reporter } from '../report/events.js';
import { newHostState, mapLimit, onHost, collectSecrets, Semaphore, CONNECT_PARALLEL, type HostState, type RunOptions, type RunState } from './state.js';
import { hostTransport, ROOT_INH } from './context.js';
import { errText } from './task.js';
import { serialBatches } from './serial.js';
import { hostVarsFiles, playVarsFiles } from './varsfiles.js';
import { GATHER_NAME, playStarts, startAtMissed, stepAllows } from './step.js';
import { active, type PlayRun } from './playrun.js';
import { count, failHost, markUnreachable, startBatch } from './hoststatus.js';
import { runList } from './block.js';
import { timedTransport } from './timing.js';
import { loadModulesAhead, prefetchedFacts, readAhead } from './prefetch.js';
import { flushHandlers } from './handlers.js';
import { runInventory } from './dynhosts.js';
import { checkMaxFail, failedForGood, maxFailOf } from './maxfail.js';
import { withPrompts } from './varsprompt.js';

export function newRunState(inv: Inventory, opts: RunOptions, reporter: Reporter, playbookDir: string): RunState {
  const hosts = new Map<string, HostState>();
  for (const h of inv.hosts) hosts.set(h, newHostState(h, inv.hostVars(h)));
  const groups: Record<string, string[]> = Object.create(null);
  for (const [g, grp] of inv.groups) groups[g] = [...grp.allHosts];
  const rinv = runInventory(inv); // add_host / group_by change it (src/engine/dynhosts.ts)
  return {
    opts,
    reporter,
    hosts,
    secrets: new Set(opts.becomePassword ? [opts.becomePassword] : []),
    factCache: new Map(),
    groups,
    groupsOf: (h) => rinv.groupsOf(h),
    inventory: rinv,
    playbookDir,
    inventoryFile: inv.file ?? "",
    aborted: false,
    connectSlots: new Semaphore(opts.connectParallel || CONNECT_PARALLEL),
  };
}

export async function runPlaybook(run: RunState, pb: Playbook, inv: Inventory): Promise<number> {
  const t0 = Date.now();
  for (const h of run.hosts.values()) collectSecrets(h.invVars, run.secrets);
  collectSecrets(run.opts.extraVars, run.secrets);
  // SSH handshakes and facts of the hosts of later plays, started now (src/engine/prefetch.ts)
  // (not under --step: there the user decides, task by task, what touches the hosts)
  const ahead = run.opts.step ? Promise.resolve() : readAhead(run, pb.plays, (play) => playHosts(run, play, run.inventory ?? inv));
  void ahead.then(() => loadModulesAhead(pb.plays, run.opts));
  try {
    for (const play of pb.plays) {
      if (run.aborted) break;
      await runPlay(run, play, run.inventory ?? inv);
    }
  } finally {
    await Promise.all([...run.hosts.values()].map((h) => h.transport?.close().catch(() => undefined)));
  }
  const recap: Record<string, Counts> = Object.create(null);
  for (const h of run.hosts.values()) if (h.factsGathered || Object.values(h.counts).some((n) => n > 0)) recap[h.name] = h.counts;
  run.reporter.emit({ kind: 'recap', hosts: recap });
  startAtMissed(run);
  const hs = [...run.hosts.values()];
  const code = run.interrupted?.code ?? (hs.some((h) => h.unreachable) ? 4 : hs.some((h) => h.failed) ? 2 : 0);
  run.reporter.emit({ kind: 'run_end', exitCode: code, durationMs: Date.now() - t0 });
  return code;
}

function playHosts(run: RunState, play: Play, inv: Inventory): string[] {
  const pattern = String(render(play.hosts, mergeVars(play.vars, run.opts.extraVars), play.hostsLoc));
  let names = inv.match(pattern, play.hostsLoc);
  // the implicit localhost (not in `all`, as in Ansible) gets its state on first use
  for (const n of names) if (!run.hosts.has(n)) run.hosts.set(n, newHostState(n, inv.hostVars(n)));
  if (run.opts.limit) {
    const lim = new Set(inv.match(run.opts.limit));
    names = names.filter((n) => lim.has(n));
  }
  return names;
}

async function runPlay(run: RunState, loaded: Play, inv: Inventory): Promise<void> {
  // vars_prompt: asked before the play's hosts are matched, as Ansible's PlaybookExecutor
  const play = await withPrompts(run, loaded);
  const all = playHosts(run, play, inv);
  const names = all.filter((n) => {
    const h = run.hosts.get(n)!;
    return !h.failed && !h.unreachable;
  });
  run.reporter.emit({ kind: 'play_start', play: play.name, hosts: names, loc: `${play.loc.file}:${play.loc.line}` });
  if (!names.length) {
    run.reporter.emit({ kind: 'warning', msg: `no hosts matched '${play.hosts}'${run.opts.limit ? ` with --limit ${run.opts.limit}` : ''}; skipping play` });
    return;
  }
  checkStrategy(run, play);
  // vars_files: read once, or per host when a name is templated (varsfiles.ts)
  const varsFiles = playVarsFiles(run, play);
  collectSecrets(play.vars, run.secrets);
  collectSecrets(varsFiles.all, run.secrets);
  for (const r of play.roles) {
    collectSecrets(r.defaults, run.secrets);
    collectSecrets(r.vars, run.secrets);
  }
  const serial = play.serial === undefined ? undefined : renderDeep(play.serial, { ...play.vars, ...run.opts.extraVars }, play.loc);
  const batches = serialBatches(names, serial, play.loc);
  const maxFail = maxFailOf(run, play);
  // Ansible's play._removed_hosts (kept over the batches): hosts that failed in earlier plays are out too
  const removed = new Set(all.filter((n) => !names.includes(n)));
  // include_role adds to these while the play runs (the loaded play stays as it is)
  const handlers = [...play.handlers];
  const roles = [...play.roles];
  let endPlay = false;
  for (const batch of batches) {
    if (run.aborted || endPlay) break;
    const pr: PlayRun = { play, roles, varsFiles, hosts: batch.map((n) => run.hosts.get(n)!), names: batch, all, removed, handlers, ended: false, failedHosts: new Set(), ...(maxFail !== undefined ? { maxFail } : {}) };
    startBatch(run, pr);
    if (!playStarts(run, play)) continue;
    if (play.gatherFacts) await gather(run, pr);
    for (const h of active(pr)) {
      try {
        hostVarsFiles(run, play, varsFiles, h);
        collectSecrets(varsFiles.byHost.get(h.name), run.secrets);
      } catch (e) {
        failHost(pr, h, false);
        run.reporter.emit({ kind: 'host_result', task: 'vars_files', host: h.name, status: 'failed', reason: errText(e), durationMs: 0 });
      }
    }
    for (const section of [play.preTasks, play.tasks, play.postTasks]) {
      await runList(run, pr, section, ROOT_INH);
      if (!run.aborted) await flushHandlers(run, pr);
      if (pr.ended || run.aborted) break;
    }
    endPlay = !!pr.endPlay;
    if (pr.breakAfter) run.aborted = true;
    // as Ansible: when every host of a batch failed, the run stops (later batches and plays do not run)
    else if (pr.hosts.every((h) => h.failed || h.unreachable) && !run.aborted) run.aborted = true;
  }
}

/** `strategy:` rendered when the play starts: kvplay runs linear (said once for a templated one); an unknown one stops the run. */
function checkStrategy(run: RunState, play: Play): void {
  if (play.strategy === undefined || play.strategy === 'linear') return;
  const at = play.loc;
  const v = String(render(play.strategy, mergeVars(play.vars, run.opts.extraVars), at));
  if (!STRATEGIES.has(v)) throw strategyProblem(v, at);
  if (v !== 'linear' && v !== play.strategy) run.reporter.emit({ kind: 'warning', msg: strategyProblem(v, at).message });
}

async function gather(run: RunState, pr: PlayRun): Promise<void> {
  const todo = active(pr).filter((h) => !h.factsGathered);
  if (!todo.length) return;
  const name = GATHER_NAME;
  if (!(await stepAllows(run, { name }))) return;
  run.reporter.emit({ kind: 'task_start', play: pr.play.name, task: name, module: 'setup', loc: `${pr.play.loc.file}:${pr.play.loc.line}`, hosts: todo.map((h) => h.name) });
  const t0 = Date.now();
  await mapLimit(todo, run.opts.forks, (h) => onHost(run, h.name, name, async () => {
    const s = Date.now();
    try {
      const tr = await hostTransport(run, h, mergeVars(h.invVars, run.opts.extraVars));
      const ahead = await prefetchedFacts(run, h);
      h.facts = markUnsafe(ahead ?? (await gatherFacts(run.opts.verbosity >= 3 ? timedTransport(tr, run.reporter, h.name, name, false) : tr)));
      h.factsGathered = true;
      count(h, 'ok');
      run.reporter.emit({ kind: 'host_result', task: name, host: h.name, status: 'ok', reason: 'facts gathered', durationMs: Date.now() - s });
    } catch (e) {
      if (e instanceof UnreachableError) markUnreachable(run, pr, h, name, e);
      else {
        failHost(pr, h, false);
        failedForGood(pr, [h]);
        run.reporter.emit({ kind: 'host_result', task: name, host: h.name, status: 'failed', reason: errText(e), durationMs: Date.now() - s });
      }
    }
  }));
  run.reporter.emit({ kind: 'task_end', task: name, durationMs: Date.now() - t0 });
  checkMaxFail(run, pr);
}
