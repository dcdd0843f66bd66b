/**
 * Task lists as Ansible's linear strategy runs them: each task on all hosts (at most --forks at
 * once) before the next; blocks with rescue/always; any_errors_fatal as Ansible decides it (a host
 * whose failure a rescue or an always will handle does not end the play); `notify` of blocks.
 */
import { InputError, UnreachableError } from '../util/errors.js';
import { assignVars, isTemplate, markUnsafe, render } from '../template/index.js';
import type { BlockTask, ModuleTask, Task } from '../playbook/model.js';
import { mapLimit, onHost, type HostState, type RunState } from './state.js';
import { taskVars, type TaskAt } from './vars.js';
import { execContext, pushInh, type Inh } from './context.js';
import { runModuleTask, errText } from './task.js';
import { tagsSelected } from './tags.js';
import { beforeStart, stepAllows } from './step.js';
import type { PlayRun } from './playrun.js';
import { count, enterRescue, failHost, isActive, markUnreachable, reviveDuring, stopHost } from './hoststatus.js';
import { runInclude } from './include.js';
import { runMeta } from './meta.js';
import { runAsync } from './async.js';
import { boolish } from '../util/truth.js';
import { checkMaxFail, failedForGood } from './maxfail.js';

export async function runList(run: RunState, pr: PlayRun, tasks: Task[], inh: Inh, hostsIn?: HostState[]): Promise<void> {
  for (const t of tasks) {
    if (run.aborted || pr.ended) return;
    const hosts = (hostsIn ?? pr.hosts).filter(isActive);
    if (!hosts.length) return;
    await runTask(run, pr, t, inh, hosts);
    if (t.kind !== 'block') checkMaxFail(run, pr);
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
    return { ...t, name: String(render(t.name, taskVars({ run, pr, task: t, inh }, first), t.loc)) };
  } catch {
    return t;
  }
}

/** A boolean keyword as written (Ansible's strategy reads any_errors_fatal and ignore_errors before templating: a template is true). */
const literal = (v: unknown): boolean => (typeof v === 'boolean' ? v : typeof v === 'string' ? isTemplate(v) || boolish(v) : false);

export async function runModuleOnHosts(run: RunState, pr: PlayRun, task: ModuleTask, inh: Inh, hosts: HostState[], handler: boolean): Promise<void> {
  if (!(await stepAllows(run, task, handler))) return;
  const t0 = Date.now();
  const t = displayTask(run, pr, task, inh, hosts[0]);
  run.reporter.emit({ kind: 'task_start', play: pr.play.name, task: t.name, module: t.module, loc: `${t.loc.file}:${t.loc.line}:${t.loc.col}`, hosts: hosts.map((h) => h.name), ...(handler ? { handler: true } : {}) });
  // add_host bypasses the host loop: once per task (per loop item), as in Ansible
  const targets = t.runOnce || t.module === 'add_host' ? hosts.slice(0, 1) : hosts;
  const fatal: HostState[] = [];
  const at: TaskAt = { run, pr, task: t, inh };
  await mapLimit(targets, throttleOf(at, targets[0]), (h) => onHost(run, h.name, t.name, async () => {
    const started = Date.now();
    let ignoreUnreachable = false;
    try {
      const vars = taskVars(at, h);
      const ec = execContext(run, pr.play, h, t, inh, vars);
      const iu = t.ignoreUnreachable ?? inh.ignoreUnreachable ?? pr.play.ignoreUnreachable;
      ignoreUnreachable = iu === true || (typeof iu === 'string' && boolish(render(iu, vars, t.loc)));
      const r = t.async !== undefined ? await runAsync(run, pr, t, h, ec, vars, inh) : await runModuleTask(run, pr.play, t, h, ec, vars);
      if (r.status !== 'failed' || r.ignored) count(h, r.status, !!r.ignored, r.data?.changed === true);
      else {
        failHost(pr, h, inh.rescuable);
        h.lastFailure = { task: { name: t.name, action: t.module, args: t.params }, result: r.data };
        if (!inh.rescuable && !inh.alwaysNext) fatal.push(h);
      }
      if (r.status === 'changed') for (const n of [...t.notify, ...(inh.notify ?? [])]) h.notified.add(String(n));
      if (t.runOnce) {
        for (const other of hosts.slice(1)) {
          if (t.register) other.hostFacts[t.register] = h.hostFacts[t.register];
          if (r.setVars) assignVars(other.hostFacts, r.setVars);
        }
      }
    } catch (e) {
      if (e instanceof UnreachableError) {
        markUnreachable(run, pr, h, t.name, e, ignoreUnreachable);
        if (!ignoreUnreachable) fatal.push(h);
      } else {
        failHost(pr, h, inh.rescuable);
        h.lastFailure = { task: { name: t.name, action: t.module, args: t.params }, result: { failed: true, changed: false, msg: errText(e) } };
        if (!inh.rescuable && !inh.alwaysNext) fatal.push(h);
        run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: errText(e), durationMs: Date.now() - started });
      }
    }
  }));
  run.reporter.emit({ kind: 'task_end', task: t.name, durationMs: Date.now() - t0 });
  failedForGood(pr, fatal);
  if (t.badRegister !== undefined) {
    // as Ansible's strategy: a register that is no variable name stops the run (exit 1) once the task ran
    for (const h of targets) run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: `Invalid variable name in 'register' specified: '${t.badRegister}'`, durationMs: 0 });
    throw new InputError(`Invalid variable name in 'register' specified: '${t.badRegister}'`, t.loc, 'a variable name: letters, digits and _ (not starting with a digit)');
  }
  const aef = literal(task.anyErrorsFatal ?? inh.anyErrorsFatal ?? pr.play.anyErrorsFatal) || !!task.runOnce;
  if (aef && fatal.length && !literal(task.ignoreErrors ?? inh.ignoreErrors ?? pr.play.ignoreErrors)) anyErrorsFatal(run, pr, t, hosts, fatal);
  // handlers too (they do not run through runList)
  if (handler) checkMaxFail(run, pr);
}

/**
 * How many hosts run the task at once: --forks, or less by `throttle:` of the task, its blocks or
 * includes, or the play (a template rendered with the first host's variables; 0: no limit;
 * ignored with run_once), as Ansible's strategy cuts its workers.
 */
function throttleOf(at: TaskAt, first: HostState | undefined): number {
  const { run, pr, task: t, inh } = at;
  const v = t.throttle ?? inh.throttle ?? pr.play.throttle;
  if (v === undefined || t.runOnce || !first) return run.opts.forks;
  const r = isTemplate(v) ? render(v, taskVars(at, first), t.loc) : v;
  const n = typeof r === 'number' ? r : typeof r === 'string' && /^\s*[-+]?\d+\s*$/.test(r) ? Number(r) : NaN;
  if (!Number.isFinite(n)) throw new InputError(`Failed to convert the throttle value to an integer: ${JSON.stringify(r)}`, t.loc, 'throttle: a number of hosts, or a template that yields one');
  const k = Math.trunc(n);
  return k > 0 ? Math.min(k, run.opts.forks) : run.opts.forks;
}

/**
 * any_errors_fatal, as Ansible's linear strategy: when a host failed for good (no rescue or always
 * of its block to run) or was unreachable, every host of the batch not about to run a rescue or an
 * always is failed; if that is all of them the play and the run stop now, else once the play ends.
 */
function anyErrorsFatal(run: RunState, pr: PlayRun, t: ModuleTask, ran: HostState[], fatal: HostState[]): void {
  const left = pr.hosts.filter((h) => !h.unreachable);
  // a host about to run a rescue or an always: it failed this task, and the failure does not count as fatal
  const handling = new Set(ran.filter((h) => h.failed && !fatal.includes(h)));
  const marked = left.filter((h) => !handling.has(h));
  for (const h of marked) stopHost(h);
  failedForGood(pr, marked);
  run.reporter.emit({ kind: 'warning', msg: `any_errors_fatal: stopping the run after a failure in '${t.name}'` });
  if (marked.length >= left.length) run.aborted = true;
  else pr.breakAfter = true;
}

export async function runBlock(run: RunState, pr: PlayRun, b: BlockTask, inh: Inh, hosts: HostState[]): Promise<void> {
  const base: Inh = {
    ...pushInh(inh, b),
    anyErrorsFatal: b.anyErrorsFatal ?? inh.anyErrorsFatal,
    ignoreUnreachable: b.ignoreUnreachable ?? inh.ignoreUnreachable,
    ...(b.notify ? { notify: [...(inh.notify ?? []), ...b.notify] } : {}),
  };
  const wasFailed = new Map(hosts.map((h) => [h, h.failed] as const));
  await runList(run, pr, b.block, { ...base, rescuable: inh.rescuable || b.rescue.length > 0, alwaysNext: b.always.length > 0 }, hosts);
  const failedInBlock = hosts.filter((h) => h.failed && !wasFailed.get(h) && !h.unreachable);
  if (b.rescue.length && failedInBlock.length && !run.aborted) {
    for (const h of failedInBlock) {
      // as Ansible: the rescue sees what failed (the result is host data: unsafe)
      if (h.lastFailure) assignVars(h.hostFacts, { ansible_failed_task: h.lastFailure.task, ansible_failed_result: markUnsafe(h.lastFailure.result) });
    }
    enterRescue(failedInBlock);
    await runList(run, pr, b.rescue, { ...base, rescuable: inh.rescuable, alwaysNext: b.always.length > 0 }, failedInBlock);
  }
  if (b.always.length && !run.aborted) {
    // failed hosts run the always, and are failed again after it, unless meta: clear_host_errors revived them there
    await reviveDuring(hosts, () => runList(run, pr, b.always, { ...base, rescuable: inh.rescuable, alwaysNext: false }, hosts.filter((h) => !h.unreachable && !h.ended)), true);
  }
}
