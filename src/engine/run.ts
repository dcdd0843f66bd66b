/**
 * The engine: plays in order, the linear strategy (each task on all hosts, at most --forks at
 * once, before the next task), blocks with rescue/always, dynamic includes, handlers, tags,
 * serial batches, any_errors_fatal, recap and exit code (0 ok, 2 a host failed, 4 unreachable).
 */
import { resolve } from 'node:path';
import { InputError, UnreachableError } from '../util/errors.js';
import { render, renderDeep, markUnsafe, mergeVars, assignVars } from '../template/index.js';
import { gatherFacts } from '../facts/host.js';
import { loadTaskFile, roleTasks, type LoadCtx } from '../playbook/tasks.js';
import type { Inventory } from '../inventory/index.js';
import type { Play, Playbook, Task, Vars, ModuleTask, IncludeTask, MetaTask, BlockTask } from '../playbook/model.js';
import type { HostStatus, Reporter } from '../report/events.js';
import { newHostState, mapLimit, onHost, collectSecrets, Semaphore, CONNECT_PARALLEL, type HostState, type RunOptions, type RunState } from './state.js';
import { taskVars } from './vars.js';
import { execContext, hostTransport, pushInh, ROOT_INH, type Inh } from './context.js';
import { runModuleTask, condsHold, errText, loopItems, loopVar } from './task.js';
import { tagsSelected } from './tags.js';
import { serialBatches } from './serial.js';
import { hostVarsFiles, playVarsFiles, type PlayVarsFiles } from './varsfiles.js';
import { beforeStart, GATHER_NAME, playStarts, startAtMissed, stepAllows } from './step.js';

type PlayX = PlayVarsFiles;

interface PlayRun {
  play: PlayX;
  hosts: HostState[]; // this batch
  names: string[];
  /** meta: end_play */
  ended: boolean;
}

export function newRunState(inv: Inventory, opts: RunOptions, reporter: Reporter, playbookDir: string): RunState {
  const hosts = new Map<string, HostState>();
  for (const h of inv.hosts) hosts.set(h, newHostState(h, inv.hostVars(h)));
  const groups: Record<string, string[]> = Object.create(null);
  for (const [g, grp] of inv.groups) groups[g] = [...grp.allHosts];
  return {
    opts,
    reporter,
    hosts,
    secrets: new Set(opts.becomePassword ? [opts.becomePassword] : []),
    factCache: new Map(),
    groups,
    groupsOf: (h) => inv.groupsOf(h),
    playbookDir,
    inventoryFile: inv.file ?? "",
    aborted: false,
    connectSlots: new Semaphore(CONNECT_PARALLEL),
  };
}

export async function runPlaybook(run: RunState, pb: Playbook, inv: Inventory): Promise<number> {
  const t0 = Date.now();
  for (const h of run.hosts.values()) collectSecrets(h.invVars, run.secrets);
  collectSecrets(run.opts.extraVars, run.secrets);
  try {
    for (const play of pb.plays) {
      if (run.aborted) break;
      await runPlay(run, play, inv);
    }
  } finally {
    await Promise.all([...run.hosts.values()].map((h) => h.transport?.close().catch(() => undefined)));
  }
  const recap: Record<string, any> = Object.create(null);
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

async function runPlay(run: RunState, play: PlayX, inv: Inventory): Promise<void> {
  const names = playHosts(run, play, inv).filter((n) => {
    const h = run.hosts.get(n)!;
    return !h.failed && !h.unreachable;
  });
  run.reporter.emit({ kind: 'play_start', play: play.name, hosts: names, loc: `${play.loc.file}:${play.loc.line}` });
  if (!names.length) {
    run.reporter.emit({ kind: 'warning', msg: `no hosts matched '${play.hosts}'${run.opts.limit ? ` with --limit ${run.opts.limit}` : ''}; skipping play` });
    return;
  }
  // vars_files: read once, or per host when a name is templated (varsfiles.ts)
  playVarsFiles(run, play);
  collectSecrets(play.vars, run.secrets);
  collectSecrets(play.varsFilesData, run.secrets);
  for (const r of play.roles) {
    collectSecrets(r.defaults, run.secrets);
    collectSecrets(r.vars, run.secrets);
  }
  const serial = play.serial === undefined ? undefined : renderDeep(play.serial, { ...play.vars, ...run.opts.extraVars }, play.loc);
  const batches = serialBatches(names, serial, play.loc);
  for (const batch of batches) {
    if (run.aborted) break;
    const pr: PlayRun = { play, hosts: batch.map((n) => run.hosts.get(n)!), names: batch, ended: false };
    for (const h of pr.hosts) h.ended = false;
    if (!playStarts(run, play)) continue;
    if (play.gatherFacts) await gather(run, pr);
    for (const h of active(pr)) {
      try {
        hostVarsFiles(run, play, h);
        collectSecrets(play.varsFilesByHost?.get(h.name), run.secrets);
      } catch (e) {
        h.failed = true;
        count(h, 'failed');
        run.reporter.emit({ kind: 'host_result', task: 'vars_files', host: h.name, status: 'failed', reason: errText(e), durationMs: 0 });
      }
    }
    for (const section of [play.preTasks, play.tasks, play.postTasks]) {
      await runList(run, pr, section, ROOT_INH);
      if (!run.aborted) await flushHandlers(run, pr);
      if (pr.ended || run.aborted) break;
    }
  }
}


/** Dynamic includes nested deeper than this fail the include (a file that includes itself forever). */
const MAX_INCLUDE_DEPTH = 50;

const active = (pr: PlayRun) => pr.hosts.filter((h) => !h.failed && !h.unreachable && !h.ended);

/** PLAY RECAP counts as Ansible's: `ok` counts every successful result, changed and ignored ones included. */
function count(h: HostState, s: HostStatus, ignored = false, changed = false): void {
  if (ignored) {
    h.counts.ignored++;
    h.counts.ok++;
    if (changed) h.counts.changed++;
    return;
  }
  h.counts[s]++;
  if (s === 'changed') h.counts.ok++;
}

function markUnreachable(run: RunState, h: HostState, task: string, e: UnreachableError): void {
  h.unreachable = true;
  count(h, 'unreachable');
  run.reporter.emit({ kind: 'host_result', task, host: h.name, status: 'unreachable', reason: e.message + (e.hint ? ` (${e.hint})` : ''), durationMs: 0 });
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
      h.facts = markUnsafe(await gatherFacts(tr));
      h.factsGathered = true;
      count(h, 'ok');
      run.reporter.emit({ kind: 'host_result', task: name, host: h.name, status: 'ok', reason: 'facts gathered', durationMs: Date.now() - s });
    } catch (e) {
      if (e instanceof UnreachableError) markUnreachable(run, h, name, e);
      else {
        h.failed = true;
        count(h, 'failed');
        run.reporter.emit({ kind: 'host_result', task: name, host: h.name, status: 'failed', reason: errText(e), durationMs: Date.now() - s });
      }
    }
  }));
  run.reporter.emit({ kind: 'task_end', task: name, durationMs: Date.now() - t0 });
}

async function runList(run: RunState, pr: PlayRun, tasks: Task[], inh: Inh, hostsIn?: HostState[]): Promise<void> {
  for (const t of tasks) {
    if (run.aborted || pr.ended) return;
    const hosts = (hostsIn ?? pr.hosts).filter((h) => !h.failed && !h.unreachable && !h.ended);
    if (!hosts.length) return;
    await runTask(run, pr, t, inh, hosts);
  }
}

function effTags(pr: PlayRun, inh: Inh, t: Task): string[] {
  return [...pr.play.tags, ...inh.tags, ...t.tags];
}

async function runTask(run: RunState, pr: PlayRun, t: Task, inh: Inh, hosts: HostState[]): Promise<void> {
  if (beforeStart(run, t, effTags(pr, inh, t))) return;
  switch (t.kind) {
    case 'block':
      return runBlock(run, pr, t, inh, hosts);
    case 'include':
      if (!tagsSelected(effTags(pr, inh, t), run.opts)) return;
      return runInclude(run, pr, t, inh, hosts);
    case 'meta':
      return runMeta(run, pr, t, inh, hosts);
    case 'module':
      if (!tagsSelected(effTags(pr, inh, t), run.opts)) return;
      return runModuleOnHosts(run, pr, t, inh, hosts, false);
  }
}

/** A task name with templates is shown rendered with the first host's variables (as Ansible does); on error, as written. */
function displayTask(run: RunState, pr: PlayRun, t: ModuleTask, inh: Inh, first: HostState): ModuleTask {
  if (!t.name.includes('{{')) return t;
  try {
    return { ...t, name: String(render(t.name, taskVars(run, pr.play, first, t, { blockVars: inh.vars }, pr.names), t.loc)) };
  } catch {
    return t;
  }
}

async function runModuleOnHosts(run: RunState, pr: PlayRun, task: ModuleTask, inh: Inh, hosts: HostState[], handler: boolean): Promise<void> {
  if (!(await stepAllows(run, task, handler))) return;
  const t0 = Date.now();
  const t = displayTask(run, pr, task, inh, hosts[0]);
  run.reporter.emit({ kind: 'task_start', play: pr.play.name, task: t.name, module: t.module, loc: `${t.loc.file}:${t.loc.line}:${t.loc.col}`, hosts: hosts.map((h) => h.name), ...(handler ? { handler: true } : {}) });
  const targets = t.runOnce ? hosts.slice(0, 1) : hosts;
  let fatal = false;
  await mapLimit(targets, run.opts.forks, (h) => onHost(run, h.name, t.name, async () => {
    const started = Date.now();
    try {
      const vars = taskVars(run, pr.play, h, t, { blockVars: inh.vars }, pr.names);
      const ec = execContext(run, pr.play, h, t, inh, vars);
      const r = await runModuleTask(run, pr.play, t, h, ec, vars);
      count(h, r.status, !!r.ignored, r.data?.changed === true);
      if (r.status === 'failed' && !r.ignored) {
        h.failed = true;
        h.lastFailure = { task: { name: t.name, action: t.module, args: t.params }, result: r.data };
        if (pr.play.anyErrorsFatal || t.anyErrorsFatal) fatal = true;
      }
      if (r.status === 'changed') for (const n of t.notify) h.notified.add(String(n));
      if (t.runOnce) {
        for (const other of hosts.slice(1)) {
          if (t.register) other.hostFacts[t.register] = h.hostFacts[t.register];
          if (r.setVars) assignVars(other.hostFacts, r.setVars);
        }
      }
    } catch (e) {
      if (e instanceof UnreachableError) markUnreachable(run, h, t.name, e);
      else {
        h.failed = true;
        count(h, 'failed');
        run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: errText(e), durationMs: Date.now() - started });
      }
    }
  }));
  run.reporter.emit({ kind: 'task_end', task: t.name, durationMs: Date.now() - t0 });
  if (fatal) {
    run.aborted = true;
    run.reporter.emit({ kind: 'warning', msg: `any_errors_fatal: stopping the run after a failure in '${t.name}'` });
  }
}

async function runBlock(run: RunState, pr: PlayRun, b: BlockTask, inh: Inh, hosts: HostState[]): Promise<void> {
  const inner = pushInh(inh, b);
  const wasFailed = new Map(hosts.map((h) => [h, h.failed] as const));
  await runList(run, pr, b.block, inner, hosts);
  const failedInBlock = hosts.filter((h) => h.failed && !wasFailed.get(h) && !h.unreachable);
  if (b.rescue.length && failedInBlock.length) {
    for (const h of failedInBlock) {
      // as Ansible: the rescue sees what failed (the result is host data: unsafe)
      if (h.lastFailure) assignVars(h.hostFacts, { ansible_failed_task: h.lastFailure.task, ansible_failed_result: markUnsafe(h.lastFailure.result) });
      h.failed = false;
      h.counts.failed = Math.max(0, h.counts.failed - 1);
      h.counts.rescued++;
    }
    await runList(run, pr, b.rescue, inner, failedInBlock);
  }
  if (b.always.length) {
    const stillFailed = hosts.filter((h) => h.failed && !h.unreachable);
    for (const h of stillFailed) h.failed = false;
    await runList(run, pr, b.always, inner, hosts.filter((h) => !h.unreachable && !h.ended));
    for (const h of stillFailed) h.failed = true;
  }
}

async function runInclude(run: RunState, pr: PlayRun, t: IncludeTask, inh: Inh, hosts: HostState[]): Promise<void> {
  // Resolve per host: when, loop items, target; then run each distinct (target, item) group.
  if (!(await stepAllows(run, t))) return;
  const groups = new Map<string, { hosts: HostState[]; tasks: Task[]; item?: Vars }>();
  for (const h of hosts) {
    try {
      const vars = taskVars(run, pr.play, h, t, { blockVars: inh.vars }, pr.names);
      const items: (unknown | undefined)[] = t.loop !== undefined ? loopItems(t, vars) : [undefined];
      const lv = t.loopControl?.loopVar ?? 'item';
      items.forEach((_item, i) => {
        const item = t.loop !== undefined ? loopVar(items, i, lv) : undefined;
        const ivars = item ? mergeVars(vars, item) : vars;
        if (!condsHold([...inh.when, ...t.when], ivars)) return;
        const target = String(render(t.target, ivars, t.loc));
        const chain = [...(inh.includes ?? []), `${t.loc.file}:${t.loc.line} ${t.what === 'role' ? 'include_role' : 'include_tasks'} ${target}`];
        if (chain.length > MAX_INCLUDE_DEPTH) {
          const shown = chain.length > 6 ? [...chain.slice(0, 3), '...', ...chain.slice(-2)] : chain;
          throw new InputError(`includes nested more than ${MAX_INCLUDE_DEPTH} levels deep:\n    ${shown.join('\n -> ')}`, t.loc, 'a file includes itself (directly or through others) without a when: that ends the recursion');
        }
        const key = `${target}\u0000${t.loop !== undefined ? i : ''}`;
        if (!groups.has(key)) groups.set(key, { hosts: [], tasks: includeTasks(run, pr, t, target), ...(item ? { item } : {}) });
        groups.get(key)!.hosts.push(h);
      });
    } catch (e) {
      let ignored = false;
      try {
        ignored = execContext(run, pr.play, h, t, inh, taskVars(run, pr.play, h, t, { blockVars: inh.vars }, pr.names)).ignoreErrors;
      } catch {
        /* the error above is what the user needs */
      }
      if (!ignored) h.failed = true;
      count(h, 'failed', ignored);
      run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: errText(e), durationMs: 0, ...(ignored ? { ignored: true } : {}) });
    }
  }
  const inner = pushInh(inh, { ...t, when: [] });
  for (const [key, g] of groups) {
    const here = `${t.loc.file}:${t.loc.line} ${t.what === 'role' ? 'include_role' : 'include_tasks'} ${key.split('\u0000')[0]}`;
    const under: Inh = { ...inner, includes: [...(inh.includes ?? []), here] };
    const withItem: Inh = g.item ? { ...under, vars: [...under.vars, g.item] } : under;
    await runList(run, pr, g.tasks, withItem, g.hosts);
  }
}

function includeTasks(run: RunState, pr: PlayRun, t: IncludeTask, target: string): Task[] {
  if (t.preloaded && target === t.target) return t.preloaded.tasks;
  const errors: InputError[] = [];
  const ctx: LoadCtx = { errors, stack: [], defined: new Set(), loadRole: () => undefined };
  let tasks: Task[] | undefined;
  if (t.what === 'tasks') tasks = loadTaskFile(resolve(t.scope.dir, target), t.loc, t.scope, ctx);
  else {
    const role = pr.play.roles.find((r) => r.name === target);
    tasks = role ? roleTasks(role, t.tasksFrom, t.loc, ctx) : undefined;
    if (!role) errors.push(new InputError(`role '${target}' not found at run time`, t.loc, 'use a literal role name so kvplay can check it before the run'));
  }
  if (errors.length) throw errors[0];
  void run;
  return tasks ?? [];
}

async function runMeta(run: RunState, pr: PlayRun, t: MetaTask, inh: Inh, hosts: HostState[]): Promise<void> {
  const applies = hosts.filter((h) => {
    try {
      return condsHold([...inh.when, ...t.when], taskVars(run, pr.play, h, t, { blockVars: inh.vars }, pr.names));
    } catch {
      return false;
    }
  });
  switch (t.action) {
    case 'flush_handlers':
      return flushHandlers(run, pr);
    case 'end_play':
      if (applies.length) pr.ended = true;
      return;
    case 'end_host':
      for (const h of applies) h.ended = true;
      return;
    case 'clear_host_errors':
      for (const h of pr.hosts) h.failed = false;
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

/** Run notified handlers, in definition order, on the hosts that notified them. */
async function flushHandlers(run: RunState, pr: PlayRun): Promise<void> {
  for (const hd of pr.play.handlers) {
    if (hd.kind !== 'module') continue;
    const topics = [hd.name, ...(hd.listen ?? [])];
    const hosts = active(pr).filter((h) => topics.some((n) => h.notified.has(n)));
    if (!hosts.length) continue;
    await runModuleOnHosts(run, pr, hd, ROOT_INH, hosts, true);
    for (const h of hosts) for (const n of topics) h.notified.delete(n);
  }
  for (const h of pr.hosts) h.notified.clear();
}

