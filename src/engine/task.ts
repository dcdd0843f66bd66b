/**
 * One module task on one host: loop, when, templating, until/retries, changed_when/failed_when,
 * register, notify, no_log. The module plans; applyModule applies (src/engine/apply.ts).
 */
import { resolve, isAbsolute } from 'node:path';
import { existsSync } from 'node:fs';
import { InputError, InputErrors, UnreachableError, fmtLoc, type Loc } from '../util/errors.js';
import { render, renderDeep, evalExpr, truthy, markUnsafe } from '../template/index.js';
import { getModule } from '../modules/index.js';
import { applyModule, type ModuleOutcome } from './apply.js';
import type { ModuleCtx, Diff } from '../modules/types.js';
import type { Cond, ModuleTask, Vars, Play } from '../playbook/model.js';
import { collectSecrets, type HostState, type RunState } from './state.js';
import type { HostStatus } from '../report/events.js';
import type { ExecContext } from './context.js';
import { stripOmit } from './vars.js';

export const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export interface ItemResult {
  status: HostStatus; // ok | changed | failed | skipped
  reason: string;
  data: Vars;
  diff?: Diff[];
  setVars?: Vars;
  ignored?: boolean;
}

/** Evaluate a list of conditions (all must hold). */
export function condsHold(conds: Cond[], vars: Vars): boolean {
  return conds.every((c) => (typeof c.expr === 'boolean' ? c.expr : truthy(evalExpr(c.expr, vars, c.loc))));
}

export function errText(e: unknown): string {
  if (e instanceof InputError) return e.format();
  if (e instanceof InputErrors) return e.errors.map((x) => x.format()).join('\n');
  return e instanceof Error ? e.message : String(e);
}

/** Items of a loop, templated. with_items flattens one level; with_dict gives {key, value}. */
export function loopItems(task: { loop?: unknown; loopKind?: string; loc: Loc }, vars: Vars): unknown[] {
  let v = renderDeep(task.loop, vars, task.loc);
  if (typeof v === 'string') v = render(v, vars, task.loc);
  if (task.loopKind === 'with_dict') {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InputError('with_dict needs a mapping', task.loc, 'use a dict or loop: "{{ d | dict2items }}"');
    return Object.entries(v as Vars).map(([key, value]) => ({ key, value }));
  }
  if (task.loopKind === 'with_items' && Array.isArray(v)) return v.flatMap((x) => (Array.isArray(x) ? x : [x]));
  if (!Array.isArray(v)) throw new InputError(`loop needs a list, got ${v === null ? 'null' : typeof v}`, task.loc, 'give a YAML list or a template that yields one, e.g. "{{ names | list }}"');
  return v;
}

function labelOf(task: ModuleTask, item: unknown, vars: Vars): string {
  if (task.loopControl?.label !== undefined) return String(renderDeep(task.loopControl.label, vars, task.loc));
  return typeof item === 'string' ? item : JSON.stringify(item);
}

/** Run a module task on one host; emits a host_result per item; returns the aggregate. */
export async function runModuleTask(run: RunState, play: Play, task: ModuleTask, host: HostState, ec: ExecContext, baseVars: Vars): Promise<ItemResult> {
  const noLog = ec.noLog;
  let items: unknown[] | undefined;
  if (task.loop !== undefined) {
    try {
      items = loopItems(task, baseVars);
    } catch (e) {
      return finish(run, task, host, [{ status: 'failed', reason: errText(e), data: { failed: true, msg: errText(e) } }], undefined, ec);
    }
  }
  const lv = task.loopControl?.loopVar ?? 'item';
  const results: ItemResult[] = [];
  const labels: string[] = [];
  for (let i = 0; i < (items ? items.length : 1); i++) {
    const started = Date.now();
    const vars = items
      ? { ...baseVars, [lv]: items[i], ...(task.loopControl?.indexVar ? { [task.loopControl.indexVar]: i } : {}), ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === items.length - 1, length: items.length } }
      : baseVars;
    let r: ItemResult;
    let label = '';
    try {
      if (items) label = noLog ? '(censored due to no_log)' : labelOf(task, items[i], vars);
      if (!condsHold([...ec.when, ...task.when], vars)) r = { status: 'skipped', reason: 'conditional result was false', data: { skipped: true, changed: false } };
      else r = await runOnce(run, play, task, host, ec, vars);
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      r = { status: 'failed', reason: errText(e), data: { failed: true, changed: false, msg: errText(e) } };
    }
    if (items) r.data = { ...r.data, [lv]: noLog ? '(censored)' : items[i], ansible_loop_var: lv };
    if (r.status === 'failed' && ec.ignoreErrors) r.ignored = true;
    results.push(r);
    labels.push(label);
    emitResult(run, task, host, r, items ? label : undefined, Date.now() - started, ec);
    if (items && task.loopControl?.pause) await new Promise((res) => setTimeout(res, Number(task.loopControl!.pause) * 1000));
  }
  return finish(run, task, host, results, items, ec);
}

function emitResult(run: RunState, task: ModuleTask, host: HostState, r: ItemResult, item: string | undefined, ms: number, ec: ExecContext): void {
  const hide = ec.noLog;
  run.reporter.emit({
    kind: 'host_result',
    task: task.name,
    host: host.name,
    status: r.status,
    reason: hide && r.status !== 'skipped' ? NO_LOG_MSG : r.reason,
    ...(item !== undefined ? { item } : {}),
    ...(task.module === 'debug' && !hide && r.status === 'ok' ? { output: debugOutput(r.data) } : {}),
    ...(r.diff && !hide && ec.diff ? { diff: r.diff } : {}),
    durationMs: ms,
    data: hide ? { censored: NO_LOG_MSG } : r.data,
    ...(r.ignored ? { ignored: true } : {}),
    ...(ec.check ? { check: true } : {}),
  });
}

/** What a debug task shows: its msg, or `var: value`. */
function debugOutput(data: Vars): string {
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  if ('msg' in data && data.msg !== undefined) return show(data.msg);
  const keys = Object.keys(data).filter((k) => !['changed', 'failed', 'skipped', 'item', 'ansible_loop_var'].includes(k));
  return keys.map((k) => `${k}: ${show(data[k])}`).join(', ');
}

/** Aggregate item results, register, set facts. */
function finish(run: RunState, task: ModuleTask, host: HostState, results: ItemResult[], items: unknown[] | undefined, ec: ExecContext): ItemResult {
  let agg: ItemResult;
  if (!items) agg = results[0];
  else {
    const failed = results.some((r) => r.status === 'failed' && !r.ignored);
    const changed = results.some((r) => r.status === 'changed');
    const allSkipped = results.length > 0 && results.every((r) => r.status === 'skipped');
    agg = {
      status: failed ? 'failed' : changed ? 'changed' : allSkipped ? 'skipped' : 'ok',
      reason: failed ? results.find((r) => r.status === 'failed')!.reason : `${results.length} items, ${results.filter((r) => r.status === 'changed').length} changed`,
      data: { results: results.map((r) => r.data), changed, failed, msg: failed ? 'One or more items failed' : 'All items completed', skipped: allSkipped },
      setVars: Object.assign({}, ...results.map((r) => r.setVars ?? {})),
    };
    if (failed && ec.ignoreErrors) agg.ignored = true;
    if (results.some((r) => r.status === 'failed') && !failed) agg.status = 'failed', agg.ignored = true;
  }
  if (task.register) host.hostFacts[task.register] = markUnsafe(ec.noLog ? { ...agg.data, censored: NO_LOG_MSG } : agg.data);
  if (agg.setVars && agg.status !== 'failed' && agg.status !== 'skipped') {
    collectSecrets(agg.setVars, run.secrets);
    Object.assign(host.hostFacts, agg.setVars);
  }
  return agg;
}

async function runOnce(run: RunState, play: Play, task: ModuleTask, host: HostState, ec: ExecContext, vars: Vars): Promise<ItemResult> {
  const mod = getModule(task.module)!;
  const params = stripOmit(renderDeep(task.params, vars, task.loc));
  const transport = await ec.transport();
  const ctx: ModuleCtx = {
    host: host.name,
    facts: host.facts,
    vars,
    check: ec.check,
    diff: ec.diff,
    become: ec.become,
    transport,
    findFile: (kind, p) => findFile(play, task, kind, p),
    render: (text, file) => String(render(text, vars, { file, line: 1, col: 1 })),
    evalExpr: (expr) => evalExpr(expr, vars, task.loc),
    log: (msg) => {
      if (!ec.noLog) run.reporter.emit({ kind: 'log', level: 2, msg, host: host.name });
    },
    progress: (text, fraction) => run.reporter.emit({ kind: 'progress', host: host.name, task: task.name, text, ...(fraction !== undefined ? { fraction } : {}) }),
  };
  const retries = task.until ? Number(renderDeep(task.retries ?? 3, vars, task.loc)) : 0;
  const delay = Number(renderDeep(task.delay ?? 5, vars, task.loc));
  let attempt = 0;
  for (;;) {
    const out: ModuleOutcome = await applyModule(mod, params, ctx);
    const predicted = ec.check && out.status === 'changed';
    const r = judge(task, out, vars, predicted);
    if (!task.until || predicted) return r; // a predicted change has no output to test `until` on
    const uvars = task.register ? { ...vars, [task.register]: r.data } : vars;
    if (r.status !== 'failed' && truthy(evalExpr(task.until.expr as string, uvars, task.until.loc))) return { ...r, data: { ...r.data, attempts: attempt + 1 } };
    if (attempt >= retries) return { ...r, status: 'failed', reason: `retries exhausted (${retries + 1} attempts): until '${task.until.expr}' never held at ${fmtLoc(task.until.loc)}`, data: { ...r.data, failed: true, attempts: attempt + 1 } };
    attempt++;
    run.reporter.emit({ kind: 'log', level: 1, host: host.name, msg: `FAILED - RETRYING: ${task.name} (${retries - attempt + 1} retries left)` });
    await new Promise((res) => setTimeout(res, delay * 1000));
  }
}

/** Apply changed_when / failed_when to a module outcome. */
/**
 * Apply changed_when / failed_when to a module outcome. `predicted`: check mode, the change was
 * predicted and not run, so its output (rc, stdout) does not exist: a condition that needs it
 * cannot be evaluated; then changed_when keeps the prediction (unless it is the constant false)
 * and failed_when does not fail the task.
 */
function judge(task: ModuleTask, out: ModuleOutcome, vars: Vars, predicted: boolean): ItemResult {
  let status: HostStatus = out.status;
  let reason = out.reason;
  const data: Vars = { ...out.data, changed: out.status === 'changed', failed: out.status === 'failed' };
  const rvars = task.register ? { ...vars, [task.register]: data } : vars;
  const tryConds = (conds: Cond[], fallback: boolean): boolean => {
    if (!predicted) return condsHold(conds, rvars);
    try {
      return condsHold(conds, rvars);
    } catch {
      return fallback;
    }
  };
  if (task.changedWhen && status !== 'failed') {
    const c = tryConds(task.changedWhen, true);
    status = c ? 'changed' : 'ok';
    data.changed = c;
    if (!c) reason = `${reason} (changed_when false)`;
  }
  if (task.failedWhen) {
    const f = tryConds(task.failedWhen, false);
    if (f) {
      status = 'failed';
      reason = `failed_when held: ${task.failedWhen.map((c) => c.expr).join(' or ')}`;
    } else if (status === 'failed') status = data.changed ? 'changed' : 'ok';
    data.failed = f;
  }
  return { status, reason, data, diff: out.diff, setVars: out.setVars };
}


/** Controller-side lookup for src: / template files: role dir, task file dir, playbook dir. */
export function findFile(play: Play, task: ModuleTask, kind: 'files' | 'templates', p: string): string {
  if (isAbsolute(p)) {
    if (existsSync(p)) return p;
    throw new InputError(`file not found: ${p}`, task.loc, 'check the path');
  }
  const dirs = [
    task.scope.role ? resolve(task.scope.role.path, kind) : undefined,
    task.scope.role?.path,
    resolve(task.scope.dir, kind),
    task.scope.dir,
    resolve(task.scope.dir, '..', kind),
    resolve(play.dir, kind),
    play.dir,
  ].filter((d): d is string => !!d);
  for (const d of dirs) {
    const f = resolve(d, p);
    if (existsSync(f)) return f;
  }
  throw new InputError(`${kind === 'templates' ? 'template' : 'file'} '${p}' not found`, task.loc, `looked in: ${[...new Set(dirs)].join(', ')}`);
}
