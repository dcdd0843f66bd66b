/**
 * include_tasks and include_role when they run: per host the `when`, the loop items and the target
 * are resolved, then each distinct (target, item) runs for its hosts. Content not loaded before the
 * run (a templated name, or a file or role the loader could not read then) is loaded now, as
 * Ansible loads it: a missing file or role fails the hosts that reached the include (a rescue
 * runs; ignore_errors does not apply, as in Ansible), an error in its content stops the run.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, InputErrors } from '../util/errors.js';
import { mergeVars, render } from '../template/index.js';
import { boolish } from '../util/truth.js';
import { loadTaskFile } from '../playbook/tasks.js';
import { newLoadCtx } from '../playbook/load.js';
import type { IncludeTask, Role, Task, Vars } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import { taskVars, type TaskAt } from './vars.js';
import { execContext, pushInh, type Inh } from './context.js';
import { condsHold, errText, loopItems, loopVar } from './task.js';
import { stepAllows } from './step.js';
import type { PlayRun } from './playrun.js';
import { count, failHost } from './hoststatus.js';
import { failedForGood } from './maxfail.js';
import { runList } from './block.js';

/** Dynamic includes nested deeper than this fail the include (a file that includes itself forever). */
const MAX_INCLUDE_DEPTH = 50;

interface Content {
  tasks: Task[];
  role?: Role;
  roles?: Role[];
}


export async function runInclude(run: RunState, pr: PlayRun, t: IncludeTask, inh: Inh, hosts: HostState[]): Promise<void> {
  if (!(await stepAllows(run, t))) return;
  const groups = new Map<string, { hosts: HostState[]; content: Content; item?: Vars; publicRole?: boolean }>();
  const what = t.what === 'role' ? 'include_role' : 'include_tasks';
  const t0 = Date.now();
  run.reporter.emit({ kind: 'task_start', play: pr.play.name, task: t.name, module: what, loc: `${t.loc.file}:${t.loc.line}:${t.loc.col}`, hosts: hosts.map((h) => h.name) });
  const at: TaskAt = { run, pr, task: t, inh };
  for (const h of hosts) {
    let target = t.target;
    try {
      const vars = taskVars(at, h);
      const items: (unknown | undefined)[] = t.loop !== undefined ? loopItems(t, vars) : [undefined];
      const lv = t.loopControl?.loopVar ?? 'item';
      let included = false;
      for (let i = 0; i < items.length; i++) {
        const item = t.loop !== undefined ? loopVar(items, i, lv) : undefined;
        const ivars = item ? mergeVars(vars, item) : vars;
        if (!condsHold([...inh.when, ...t.when], ivars)) continue;
        target = String(render(t.target, ivars, t.loc));
        const chain = [...(inh.includes ?? []), `${t.loc.file}:${t.loc.line} ${what} ${target}`];
        if (chain.length > MAX_INCLUDE_DEPTH) {
          const shown = chain.length > 6 ? [...chain.slice(0, 3), '...', ...chain.slice(-2)] : chain;
          throw new InputError(`includes nested more than ${MAX_INCLUDE_DEPTH} levels deep:\n    ${shown.join('\n -> ')}`, t.loc, 'a file includes itself (directly or through others) without a when: that ends the recursion');
        }
        const key = `${target}\u0000${t.loop !== undefined ? i : ''}`;
        if (!groups.has(key)) {
          const pub = t.public === undefined ? false : typeof t.public === 'boolean' ? t.public : boolish(render(t.public, ivars, t.loc));
          groups.set(key, { hosts: [], content: includeContent(pr, t, target), ...(item ? { item } : {}), publicRole: pub });
        }
        groups.get(key)!.hosts.push(h);
        included = true;
      }
      if (!included) {
        count(h, 'skipped');
        run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'skipped', reason: 'conditional result was false', durationMs: 0 });
      }
    } catch (e) {
      if (e instanceof InputErrors) throw e; // an error in the included content: the run stops (Ansible's parser error)
      if (e instanceof MissingIncludeError) {
        // as Ansible: the host fails (a rescue runs, ignore_errors does not apply); a missing task file counts as failed
        failHost(pr, h, false, t.what === 'tasks');
        failedForGood(pr, [h]);
        run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: errText(e), durationMs: 0 });
        continue;
      }
      // the include's own when, loop or name failed: a task failure like any other
      let ignored = false;
      try {
        ignored = execContext(run, pr.play, h, t, inh, taskVars(at, h)).ignoreErrors;
      } catch {
        /* the error above is what the user needs */
      }
      if (ignored) count(h, 'failed', true);
      else {
        failHost(pr, h, inh.rescuable);
        if (!inh.rescuable && !inh.alwaysNext) failedForGood(pr, [h]);
      }
      run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: errText(e), durationMs: 0, ...(ignored ? { ignored: true } : {}) });
    }
  }
  for (const [key, g] of groups) {
    if (t.what !== 'tasks') continue;
    const file = resolve(t.scope.dir, key.split('\u0000')[0]);
    for (const h of g.hosts) {
      count(h, 'ok'); // Ansible's "included: FILE for HOST"
      run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'ok', reason: `included: ${file}`, durationMs: 0 });
    }
  }
  run.reporter.emit({ kind: 'task_end', task: t.name, durationMs: Date.now() - t0 });
  // the included tasks do not repeat the include's own `when`; `apply:` keywords wrap them
  let inner = pushInh(inh, { ...t, when: [] });
  if (t.apply) inner = pushInh(inner, t.apply);
  inner = { ...inner, alwaysNext: false };
  for (const [key, g] of groups) {
    if (t.what === 'role') addRole(pr, g.content, !!g.publicRole);
    const here = `${t.loc.file}:${t.loc.line} ${what} ${key.split('\u0000')[0]}`;
    const under: Inh = { ...inner, includes: [...(inh.includes ?? []), here] };
    const withItem: Inh = g.item ? { ...under, vars: [...under.vars, g.item] } : under;
    await runList(run, pr, g.content.tasks, withItem, g.hosts);
  }
}

/** A missing file or role when the include runs: Ansible fails the host; any other error in the content stops the run. */
class MissingIncludeError extends InputError {}

/** The tasks an include names, loaded now unless they were before the run. */
function includeContent(pr: PlayRun, t: IncludeTask, target: string): Content {
  if (t.preloaded && target === t.target) return { ...t.preloaded, roles: t.preloaded.role ? [t.preloaded.role] : [] };
  const ctx = (pr.loader ??= newLoadCtx(pr.play.dir, pr.play.roleSearch));
  ctx.errors = [];
  ctx.warnings = [];
  if (t.what === 'tasks') {
    const file = resolve(t.scope.dir, target);
    if (!existsSync(file)) throw new MissingIncludeError(`Could not find or access '${file}' on the Ansible Controller.`, t.loc, 'check the file name (relative to the file of the include)');
    const tasks = loadTaskFile(file, t.loc, t.scope, ctx);
    if (ctx.errors.length) throw new InputErrors(ctx.errors);
    return { tasks: tasks ?? [] };
  }
  const got = ctx.roleWithDeps(target, t.loc, undefined, t.from ?? {}, t.allowDuplicates);
  if (!got) throw new MissingIncludeError(`the role '${target}' was not found`, t.loc, ctx.errors[0]?.hint ?? 'check the role name');
  if (ctx.errors.length) throw new InputErrors(ctx.errors);
  return { tasks: got.tasks, role: got.role, roles: got.roles };
}

/** include_role: its handlers join the play's (once); with `public:` its roles join the play's roles (their vars and defaults). */
function addRole(pr: PlayRun, c: Content, pub: boolean): void {
  for (const r of c.roles ?? []) {
    for (const hd of r.handlers) if (!pr.handlers.includes(hd)) pr.handlers.push(hd);
    if (pub && !pr.roles.includes(r)) pr.roles.push(r);
  }
}
