/**
 * One module task on one host: loop, when, templating, until/retries, changed_when/failed_when,
 * register, notify, no_log. The module plans; applyModule applies (src/engine/apply.ts).
 */
import { resolve, isAbsolute } from 'node:path';
import { existsSync } from 'node:fs';
import { InputError, InputErrors, UnreachableError, fmtLoc, type Loc } from '../util/errors.js';
import { renderDeep, renderTemplateFile, evalExpr, truthy, markUnsafe, isTemplate } from '../template/index.js';
import { renderDeepTracked, renderTracked, assignVars, carryUnsafe, isUnsafe, isUnsafeKey, mergeVars, setVar, withVar } from '../template/index.js';
import { loadModule } from './module/registry.js';
import { applyModule, type ModuleOutcome } from './apply.js';
import type { ModuleCtx, Explanation } from './module/types.js';
import type { Diff } from '../report/events.js';
import { censoredExplanation, explainCollector } from './explain.js';
import type { Cond, ModuleTask, Vars, Play } from '../playbook/model.js';
import type { HostState, RunState } from './state.js';
import { addNamedSecrets, addSecretLeaves } from '../util/secrets.js';
import type { HostStatus } from '../report/events.js';
import { NO_LOG_RESULT as NO_LOG_MSG } from '../report/redact.js';
import type { ExecContext } from './context.js';
import { stripOmit } from './vars.js';
import { applyInventoryResult } from './dynhosts.js';
import { lookupLoopItems } from './loops.js';
import { pyStr, isMapping } from '../template/py.js';
import { runtimeInt } from '../playbook/schema.js';
import { keyLocOf } from '../yaml/load.js';
import { CONTROLLER_ONLY } from '../playbook/check.js';
import { lazyTransport } from './context.js';


export interface ItemResult {
  status: HostStatus; // ok | changed | failed | skipped
  reason: string;
  data: Vars;
  diff?: Diff[];
  setVars?: Vars;
  ignored?: boolean;
  /** --explain: what the module checked and runs */
  explain?: Explanation;
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

const unsafeAt = (o: object, k: string | number) => isUnsafeKey(o, k) || isUnsafe((o as Vars)[k]);

/**
 * Items of a loop, templated; `with_<lookup>` loops run the lookup (loops.ts: with_items flattens
 * one level, with_dict gives {key, value}, with_sequence, with_nested...).
 * Items built from untrusted data are marked unsafe by index (see loopVar).
 */
export function loopItems(task: { loop?: unknown; loopKind?: string; loc: Loc; module?: string }, vars: Vars): unknown[] {
  if (task.loopKind?.startsWith('with_')) return lookupLoopItems(task, vars);
  let { value: v, unsafe } = renderDeepTracked(task.loop, vars, task.loc);
  // a template that rendered to a template is rendered once more, unless that text is untrusted
  if (typeof v === 'string' && !unsafe) ({ value: v, unsafe } = renderTracked(v, vars, task.loc));
  const out: unknown[] = [];
  const push = (x: unknown, bad: boolean) => setVar(out, String(out.length), x, unsafe || bad);
  if (!Array.isArray(v)) {
    throw new InputError(
      `Invalid data passed to 'loop', it requires a list, got this instead: ${pyStr(v)}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`,
      task.loc,
      isMapping(v) ? 'to loop over a dict use loop: "{{ mydict | dict2items }}" (items have .key and .value)' : 'give a YAML list or a template that yields one, e.g. loop: "{{ range(n) | list }}"',
    );
  }
  v.forEach((x, i) => push(x, unsafeAt(v as unknown[], i)));
  return out;
}

/** The variable layer `{name: items[i]}` of a loop, unsafe when the item is (from loopItems). */
export function loopVar(items: unknown[], i: number, name: string): Vars {
  return setVar(Object.create(null), name, items[i], unsafeAt(items, i));
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
      if (e instanceof UnreachableError) throw e;
      // a task failure like any other: reported, and ignore_errors / rescue apply
      const r: ItemResult = { status: 'failed', reason: errText(e), data: { failed: true, changed: false, msg: errText(e) }, ...(ec.ignoreErrors ? { ignored: true } : {}) };
      emitResult(run, task, host, r, undefined, 0, ec);
      return finish(task, host, [r], undefined, ec);
    }
  }
  const lv = task.loopControl?.loopVar ?? 'item';
  const results: ItemResult[] = [];
  const labels: string[] = [];
  // facts set by earlier items (set_fact in a loop) are visible to later ones, as in Ansible
  let iterBase = baseVars;
  for (let i = 0; i < (items ? items.length : 1); i++) {
    const started = Date.now();
    const vars = items
      ? mergeVars(iterBase, loopVar(items, i, lv), task.loopControl?.indexVar ? { [task.loopControl.indexVar]: i } : {}, loopExtended(task, items, i))
      : baseVars;
    let r: ItemResult;
    let label = '';
    try {
      if (items) label = noLog ? '(censored due to no_log)' : labelOf(task, items[i], vars);
      if (!condsHold([...ec.when, ...task.when], vars)) r = { status: 'skipped', reason: 'conditional result was false', data: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
      else r = await runOnce(run, play, task, host, items ? ec.forItem(vars) : ec, vars);
      // add_host / group_by: the engine changes the inventory; changed is whether it did (Ansible)
      if ((r.status === 'ok' || r.status === 'changed') && (task.module === 'add_host' || task.module === 'group_by')) {
        const ch = applyInventoryResult(run, host, r.data);
        if (ch !== undefined) r = { ...r, status: ch ? 'changed' : 'ok', data: { ...r.data, changed: ch } };
      }
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      r = { status: 'failed', reason: errText(e), data: { failed: true, changed: false, msg: errText(e) } };
    }
    if (items) r.data = { ...r.data, [lv]: noLog ? '(censored)' : items[i], ansible_loop_var: lv };
    noteSecrets(run, task, r, noLog);
    if (items && r.setVars && r.status !== 'failed' && r.status !== 'skipped') iterBase = mergeVars(iterBase, r.setVars, run.opts.extraVars);
    if (r.status === 'failed' && ec.ignoreErrors) r.ignored = true;
    results.push(r);
    labels.push(label);
    emitResult(run, task, host, r, items ? label : undefined, Date.now() - started, ec);
    if (items && task.loopControl?.pause) await new Promise((res) => setTimeout(res, Number(task.loopControl!.pause) * 1000));
  }
  return finish(task, host, results, items, ec);
}

function emitResult(run: RunState, task: ModuleTask, host: HostState, r: ItemResult, item: string | undefined, ms: number, ec: ExecContext): void {
  const hide = ec.noLog;
  if (r.explain) {
    const explain = hide ? censoredExplanation(r.explain, NO_LOG_MSG) : r.explain;
    run.reporter.emit({ kind: 'explain', task: task.name, host: host.name, ...(item !== undefined ? { item } : {}), explain });
  }
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
  // a module's warnings (Ansible's result key `warnings`) are shown as warnings, as Ansible does
  const warnings = r.data.warnings;
  if (!hide && Array.isArray(warnings)) for (const w of warnings) if (typeof w === 'string') run.reporter.emit({ kind: 'warning', msg: w, host: host.name });
}

/** kvplay's own words in a result: never secrets, even from a no_log task. */
const NOT_SECRET = new Set([NO_LOG_MSG, '(censored)', 'All items completed', 'One or more items failed', 'non-zero return code']);

/**
 * Before a result is shown: the values set for secret-named variables (set_fact) are secrets; a
 * registered no_log result stays as the module returned it (as in Ansible: conditions use it) but
 * every string in it (3+ characters) is a secret, masked wherever it shows later (debug: var=...);
 * so are the facts a no_log set_fact sets.
 */
function noteSecrets(run: RunState, task: ModuleTask, r: ItemResult, noLog: boolean): void {
  const add = (v: string) => {
    if (!NOT_SECRET.has(v)) run.secrets.add(v);
  };
  if (r.setVars) addNamedSecrets(r.setVars, add);
  if (!noLog) return;
  // strings only: a no_log rc or size is no secret
  const strings = (v: string) => void (v.length >= 3 && add(v));
  if (task.register) for (const [k, v] of Object.entries(r.data)) if (k !== 'ansible_loop_var') addSecretLeaves(v, strings, false);
  if (r.setVars) addSecretLeaves(r.setVars, strings, false);
}

/** What a debug task shows: its msg, or `var: value`. */
function debugOutput(data: Vars): string {
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  if ('msg' in data && data.msg !== undefined) return show(data.msg);
  const keys = Object.keys(data).filter((k) => !['changed', 'failed', 'skipped', 'item', 'ansible_loop_var'].includes(k));
  return keys.map((k) => `${k}: ${show(data[k])}`).join(', ');
}

/** Aggregate item results, register, set facts. */
function finish(task: ModuleTask, host: HostState, results: ItemResult[], items: unknown[] | undefined, ec: ExecContext): ItemResult {
  let agg: ItemResult;
  if (!items) agg = results[0];
  else {
    const failed = results.some((r) => r.status === 'failed' && !r.ignored);
    const anyFailed = results.some((r) => r.status === 'failed');
    const changed = results.some((r) => r.status === 'changed');
    const allSkipped = results.every((r) => r.status === 'skipped'); // no items at all: skipped too
    // as Ansible: `failed` only when an item failed (ignored or not); msg by what happened
    const msg = anyFailed ? 'One or more items failed' : allSkipped ? 'All items skipped' : 'All items completed';
    agg = {
      status: failed ? 'failed' : changed ? 'changed' : allSkipped ? 'skipped' : 'ok',
      reason: failed ? results.find((r) => r.status === 'failed')!.reason : results.length ? `${results.length} items, ${results.filter((r) => r.status === 'changed').length} changed` : 'No items in the list',
      data: results.length
        ? { results: results.map((r) => r.data), changed, ...(anyFailed ? { failed: true } : {}), msg, skipped: allSkipped }
        : { results: [], changed: false, skipped: true, skipped_reason: 'No items in the list' },
      setVars: mergeVars(...results.map((r) => r.setVars)),
    };
    if (failed && ec.ignoreErrors) agg.ignored = true;
    if (results.some((r) => r.status === 'failed') && !failed) agg.status = 'failed', agg.ignored = true;
  }
  if (agg.setVars && agg.status !== 'failed' && agg.status !== 'skipped') {
    assignVars(host.hostFacts, agg.setVars); // their secrets were noted per item (noteSecrets)
  }
  // facts returned by a module (setup) become the host's facts, as in Ansible: host data, unsafe
  for (const r of results) {
    const f = r.data.ansible_facts;
    if (!r.setVars && r.status !== 'failed' && r.status !== 'skipped' && f && typeof f === 'object' && !Array.isArray(f)) host.facts = markUnsafe({ ...host.facts, ...namespaceFacts(f as Vars) });
  }
  // after the set_fact values are stored: marking the result marks the objects inside it
  if (task.register) host.hostFacts[task.register] = markUnsafe(ec.noLog ? { ...agg.data, censored: NO_LOG_MSG } : agg.data);
  return agg;
}

/** Ansible's namespace_facts: a module's ansible_facts keys lose their ansible_ prefix (ansible_local keeps it). */
function namespaceFacts(f: Vars): Vars {
  const out: Vars = Object.create(null);
  for (const [k, v] of Object.entries(f)) out[k.startsWith('ansible_') && k !== 'ansible_local' ? k.slice(8) : k] = v;
  return out;
}

/** set_fact: the parameter names are templates too (as Ansible's set_fact renders them); validated after. */
function renderKeys(on: boolean | undefined, p: unknown, vars: Vars, loc: Loc): unknown {
  if (!on || !p || typeof p !== 'object' || Array.isArray(p) || !Object.keys(p).some(isTemplate)) return p;
  const out: Vars = Object.create(null);
  for (const [k, v] of Object.entries(p)) setVar(out, isTemplate(k) ? String(renderDeep(k, vars, keyLocOf(p, k) ?? loc)) : k, v, isUnsafeKey(p, k));
  return out;
}

async function runOnce(run: RunState, play: Play, task: ModuleTask, host: HostState, ec: ExecContext, vars: Vars): Promise<ItemResult> {
  const mod = (await loadModule(task.module))!; // its code is imported when a task first uses it
  const params = renderKeys(mod.templateKeys, stripOmit(renderDeep(task.params, vars, task.loc)), vars, task.loc);
  // a module that never runs anything on the host (debug, set_fact...) connects only if it must: an unreachable host stays out of it, as in Ansible
  const transport = CONTROLLER_ONLY.has(task.module) ? lazyTransport(host.name, () => ec.transport()) : await ec.transport();
  const ctx: ModuleCtx = {
    host: host.name,
    facts: host.facts,
    vars,
    check: ec.check,
    diff: ec.diff,
    become: ec.become,
    transport,
    factCache: run.factCache,
    findFile: (kind, p) => findFile(play, task, kind, p),
    render: (text, file, opts) => renderTemplateFile(text, vars, { file, line: 1, col: 1 }, opts),
    evalExpr: (expr) => evalExpr(expr, vars, task.loc),
    log: (msg) => {
      if (!ec.noLog) run.reporter.emit({ kind: 'log', level: 2, msg, host: host.name });
    },
    ...(run.opts.explain ? { explain: explainCollector() } : {}), // applyModule gives each application its own
    progress: (text, fraction, metrics) => run.reporter.emit({ kind: 'progress', host: host.name, task: task.name, text, ...(fraction !== undefined ? { fraction } : {}), ...(metrics ? { metrics } : {}) }),
  };
  // a non-number (a template that yields text) would retry forever: fail the task instead
  const retries = task.until ? Math.floor(runtimeInt(renderDeep(task.retries ?? 3, vars, task.loc), 'retries', task.loc)) : 0;
  const delay = runtimeInt(renderDeep(task.delay ?? 5, vars, task.loc), 'delay', task.loc);
  // as Ansible: `retries` more attempts after the first; retries <= 0 runs once and never tests `until`
  const tries = task.until && retries > 0 ? retries + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    const out: ModuleOutcome = await applyModule(mod, params, ctx);
    // set_fact: a value rendered from untrusted data stays unsafe (include_vars' values come from controller files)
    if (out.setVars && mod.templateKeys && params && typeof params === 'object') carryUnsafe(params, out.setVars);
    const predicted = ec.check && out.status === 'changed';
    // `attempts` is in the result before changed_when/failed_when run (they may use it), as in Ansible
    const r = judge(task, out, vars, predicted, task.until ? attempt : undefined);
    if (tries === 1 || predicted || out.final) return r; // a predicted change has no output to test `until` on
    const uvars = task.register ? withVar(vars, task.register, r.data, true) : vars;
    // as Ansible: `until` is tested on a failed result too (and ends the retries when it holds)
    if (truthy(evalExpr(task.until!.expr as string, uvars, task.until!.loc))) return r;
    // Ansible reports one attempt less than it made once the retries are exhausted (attempts = retries)
    if (attempt >= tries) return { ...r, status: 'failed', reason: `retries exhausted (${tries} attempts): until '${task.until!.expr}' never held at ${fmtLoc(task.until!.loc)}`, data: { ...r.data, failed: true, attempts: retries } };
    run.reporter.emit({ kind: 'log', level: 1, host: host.name, msg: `FAILED - RETRYING: ${task.name} (${tries - attempt} retries left)` });
    await new Promise((res) => setTimeout(res, delay * 1000));
  }
}

/**
 * Apply changed_when / failed_when to a module outcome. `predicted`: check mode, the change was
 * predicted and not run, so its output (rc, stdout) does not exist: a condition that needs it
 * cannot be evaluated; then changed_when keeps the prediction (unless it is the constant false)
 * and failed_when does not fail the task. `attempt`: the task has `until` (result key `attempts`).
 * As Ansible: a result the action ended early (out.final) is taken as it is; a skipped one gets
 * `failed: false` and `attempts` but no changed_when/failed_when.
 */
function judge(task: ModuleTask, out: ModuleOutcome, vars: Vars, predicted: boolean, attempt?: number): ItemResult {
  const extra = { diff: out.diff, setVars: out.setVars, ...(out.explain ? { explain: out.explain } : {}) };
  if (out.final) return { status: out.skipped ? 'skipped' : out.status, reason: out.reason, data: out.data, ...extra };
  const tries = attempt !== undefined ? { attempts: attempt } : {};
  if (out.skipped) return { status: 'skipped', reason: out.reason, data: { failed: false, ...out.data, ...tries, changed: false, skipped: true }, ...extra };
  let status: HostStatus = out.status;
  let reason = out.reason;
  // a failure may still have changed something (a command that ran and exited non-zero: changed, as Ansible)
  const data: Vars = { ...out.data, changed: out.status === 'changed' || (out.status === 'failed' && out.data.changed === true), failed: out.status === 'failed', ...tries };
  const rvars = task.register ? withVar(vars, task.register, data, true) : vars;
  const tryConds = (conds: Cond[], fallback: boolean): boolean => {
    if (!predicted) return condsHold(conds, rvars);
    try {
      return condsHold(conds, rvars);
    } catch {
      return fallback;
    }
  };
  // as Ansible, changed_when is evaluated on failed results too (failed_when may then turn them ok)
  if (task.changedWhen) {
    const c = tryConds(task.changedWhen, true);
    if (status !== 'failed') status = c ? 'changed' : 'ok';
    data.changed = c;
    if (!c) reason = `${reason} (changed_when false)`;
  }
  if (task.failedWhen) {
    let f: boolean;
    try {
      f = tryConds(task.failedWhen, false);
    } catch (e) {
      // as Ansible: a failed_when that cannot be evaluated fails the task, with what the module did (changed)
      if (!(e instanceof InputError)) throw e;
      return { status: 'failed', reason: errText(e), data: { ...data, failed: true, failed_when_result: errText(e) }, ...extra };
    }
    if (f) {
      status = 'failed';
      reason = `failed_when held: ${task.failedWhen.map((c) => c.expr).join(' or ')}`;
    } else if (status === 'failed') status = data.changed ? 'changed' : 'ok';
    data.failed = f;
    data.failed_when_result = f;
  }
  return { status, reason, data, ...extra };
}


/** Controller-side lookup for src: / template files: role dir, task file dir, playbook dir. */
export function findFile(play: Play, task: ModuleTask, kind: 'files' | 'templates' | 'vars', p: string): string {
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
  throw new InputError(`${kind === 'templates' ? 'template' : kind === 'vars' ? 'vars file' : 'file'} '${p}' not found`, task.loc, `looked in: ${[...new Set(dirs)].join(', ')}`);
}

/** `ansible_loop` (loop_control.extended, as Ansible; allitems unless extended_allitems: false) and `ansible_index_var`. */
function loopExtended(task: ModuleTask, items: unknown[], i: number): Vars {
  const lc = task.loopControl as { extended?: unknown; extended_allitems?: unknown; indexVar?: string } | undefined;
  const out: Vars = lc?.indexVar ? { ansible_index_var: lc.indexVar } : {};
  if (!lc?.extended) return out;
  const n = items.length;
  out.ansible_loop = {
    index: i + 1, index0: i, revindex: n - i, revindex0: n - i - 1, first: i === 0, last: i === n - 1, length: n,
    ...(lc.extended_allitems === false ? {} : { allitems: items }),
    ...(i > 0 ? { previtem: items[i - 1] } : {}),
    ...(i < n - 1 ? { nextitem: items[i + 1] } : {}),
  };
  return out;
}
