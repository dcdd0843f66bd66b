/**
 * Apply one module to one host:
 *   runtime validation -> prepare -> facts (ALL in ONE transport.execMany, with become) -> plan
 *   -> ok | changed (check mode: predicted, steps not run) | run steps in order, stop at the first failing one
 *   -> result().
 * Action modules: validation -> prepare -> action().
 * InputError/InputErrors/UnreachableError propagate (the caller reports them); any other exception -> failed.
 */
import type { ExecResult } from '../transport/types.js';
import { InputError, InputErrors, ModuleFailure, UnreachableError } from '../util/errors.js';
import type { ActionResult, Fact, Module, ModuleCtx, Plan, PlanCtx, StepResult } from './module/types.js';
import type { Diff } from '../report/events.js';
import { coerceParams, validateParams } from './module/validate.js';
import type { Explanation } from './module/types.js';
import { actionExplanation, explainCollector, markRan, planExplanation, recordingTransport } from './explain.js';
import { failedAt, failureText, runCleanup, runSteps, stepOk } from './steps.js';

export interface ModuleOutcome {
  status: 'ok' | 'changed' | 'failed';
  /** the plan's reason ("/etc/exports: line added") or the error message */
  reason: string;
  diff?: Diff[];
  /** the register value: changed, failed, msg, rc/stdout/..., backup_file, diff, ... */
  data: Record<string, unknown>;
  setVars?: Record<string, unknown>;
  /** the module decided to skip itself (debug verbosity) */
  skipped?: boolean;
  /** the action ended early: the result is taken as is (ActionResult.final) */
  final?: boolean;
  /** --explain: what was checked, what runs, why (only when ctx.explain is set) */
  explain?: Explanation;
}

/**
 * The registered `diff` (diff mode only, as Ansible's modules return it): a list of
 * {before, after, before_header, after_header}; kvplay's header is the path on both sides.
 */
export function registeredDiff(d: Diff[]): Record<string, string>[] {
  return d.map((x) => ({ before: x.before, after: x.after, before_header: x.path, after_header: x.path }));
}

function fromAction(r: ActionResult, diffMode: boolean): ModuleOutcome {
  const status = r.failed ? 'failed' : r.changed ? 'changed' : 'ok';
  const data: Record<string, unknown> = { changed: !!r.changed, ...(r.failed ? { failed: true } : {}), ...(r.msg !== undefined ? { msg: r.msg } : {}), ...(r.data ?? {}) };
  if (r.skipped) data.skipped = true;
  if (r.diff && diffMode) data.diff = registeredDiff(r.diff);
  const reason = r.reason ?? (typeof r.msg === 'string' ? r.msg : undefined) ?? (r.skipped ? 'skipped' : status);
  return { status, reason, diff: r.diff, data, ...(r.setVars ? { setVars: r.setVars } : {}), ...(r.skipped ? { skipped: true } : {}), ...(r.final ? { final: true } : {}) };
}

function failed(reason: string, data: Record<string, unknown> = {}): ModuleOutcome {
  return { status: 'failed', reason, data: { changed: false, ...data, failed: true, msg: data.msg ?? reason } };
}

/** The context plan() gets: no transport (nor the run's fact cache, progress or --explain sink) at run time either. */
function planCtx(ctx: ModuleCtx): PlanCtx {
  const { transport: _t, factCache: _c, progress: _p, explain: _e, ...rest } = ctx;
  return rest;
}

function isPassThrough(e: unknown): boolean {
  return e instanceof InputError || e instanceof InputErrors || e instanceof UnreachableError;
}

/** Run a module's facts in one round trip and parse them; then its facts that depend on those (Module.moreFacts), if any. */
export async function readFacts(mod: Module, params: unknown, ctx: ModuleCtx, prep?: unknown): Promise<Record<string, unknown>> {
  const first = await readFactDefs(mod.facts ? mod.facts(params, ctx, prep) : {}, ctx);
  const more = mod.moreFacts ? mod.moreFacts(params, first, ctx) : {};
  return Object.keys(more).length ? { ...first, ...(await readFactDefs(more, ctx)) } : first;
}

/** Read facts in one round trip (the run's cache first, Fact.cache) and parse them, in the given order. */
export async function readFactDefs(defs: Record<string, Fact<unknown>>, ctx: ModuleCtx): Promise<Record<string, unknown>> {
  const names = Object.keys(defs);
  if (!names.length) return {};
  const cache = ctx.factCache;
  const keyOf = (n: string) => `${ctx.transport.name}\0${ctx.become?.user ?? ''}\0${defs[n].cmd}`;
  const cached = (n: string) => (defs[n].cache && cache ? cache.get(keyOf(n)) : undefined);
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const c = cached(n);
    if (c) out[n] = defs[n].parse(c);
  }
  // a fact the cached ones make unnecessary (Fact.skipIfCached) is not read
  const skipped = new Set(names.filter((n) => !(n in out) && Object.keys(out).length > 0 && defs[n].skipIfCached?.({ ...out }) === true));
  const toRun = names.filter((n) => !(n in out) && !skipped.has(n));
  const fresh = toRun.length ? await ctx.transport.execMany(toRun.map((n) => defs[n].cmd), { become: ctx.become }) : [];
  toRun.forEach((n, i) => {
    if (defs[n].cache && cache && fresh[i].code === 0) cache.set(keyOf(n), fresh[i]);
    out[n] = defs[n].parse(fresh[i]);
  });
  for (const n of skipped) out[n] = defs[n].parse({ code: 0, stdout: '', stderr: '' });
  // in the module's order (explain lists them so)
  return Object.fromEntries(names.map((n) => [n, out[n]]));
}

function safeResult(mod: Module, params: unknown, facts: unknown, results: ExecResult[], ctx: ModuleCtx, after?: Record<string, unknown>, prep?: unknown): Record<string, unknown> {
  if (!mod.result) return {};
  try {
    return mod.result(params, facts, results, ctx, after, prep) ?? {};
  } catch (e) {
    if (isPassThrough(e)) throw e;
    return { result_error: (e as Error).message };
  }
}

/** The registered msg of an ok/changed plan: its reason, unless the module registers only its own result (Module.reasonIsMsg). */
function msgOf(mod: Module, plan: Plan): { msg?: string } {
  return mod.reasonIsMsg === false ? {} : { msg: plan.reason };
}

export async function applyModule(mod: Module, rawParams: unknown, ctx: ModuleCtx): Promise<ModuleOutcome> {
  const errors = validateParams(mod, rawParams, { static: false });
  if (errors.length) {
    return failed(errors.map((e) => e.message + (e.hint ? ` (${e.hint})` : '')).join('; '), { invalid_parameters: true });
  }
  let params: Record<string, unknown> = coerceParams(mod, rawParams as Record<string, unknown>);
  try {
    const prep = mod.prepare ? await mod.prepare(params, ctx) : undefined;
    if (mod.action) {
      // an action may change any host: cached facts are no longer trusted
      if (!mod.readOnly) ctx.factCache?.clear();
      const ec = ctx.explain ? explainCollector() : undefined;
      const r = await mod.action(params, ec ? { ...ctx, explain: ec, transport: recordingTransport(ctx.transport, ec) } : ctx, prep);
      if (!mod.readOnly) ctx.factCache?.clear(); // also what other hosts cached while it ran
      const explain = ec && actionExplanation(ec, r, ctx.check, mod.readOnly);
      return { ...fromAction(r, ctx.diff), ...(explain ? { explain } : {}) };
    }
    if (!mod.plan) throw new Error(`module ${mod.name} has neither plan nor action`);
    const facts = await readFacts(mod, params, ctx, prep);
    const plan: Plan = mod.plan(params, facts, planCtx(ctx), prep);
    const diff = plan.kind === 'change' && plan.diff?.length ? plan.diff : undefined;
    const ex = ctx.explain ? { explain: planExplanation(mod, params, facts, plan, ctx, prep) } : {};
    if (plan.kind === 'ok') {
      const data = { changed: false, ...msgOf(mod, plan), ...(plan.result ?? {}), ...safeResult(mod, params, facts, [], ctx, undefined, prep) };
      return { status: 'ok', reason: plan.reason, data, ...ex };
    }
    const quiet = plan.changed === false; // the steps run, the task reports ok (Plan.changed)
    const done = quiet ? 'ok' : 'changed';
    const base = { changed: !quiet, ...msgOf(mod, plan), ...(plan.result ?? {}), ...(diff && ctx.diff ? { diff: registeredDiff(diff) } : {}) };
    if (ctx.check) {
      const data: Record<string, unknown> = { ...base, ...safeResult(mod, params, facts, [], ctx, undefined, prep) };
      // a module that does not run in check mode says so (command, raw: skipped, as in Ansible)
      if (data.skipped === true) return { status: 'ok', skipped: true, reason: plan.reason, diff, data: { ...data, changed: false }, ...ex };
      return { status: done, reason: plan.reason, diff, data, ...ex };
    }
    ctx.factCache?.clear(); // steps change the host: cached facts are no longer trusted
    let results: StepResult[] = [];
    try {
      results = await runSteps(plan.steps, { ...ctx, log: (m) => ctx.log(`${mod.name}: ${m}`) });
    } finally {
      await runCleanup(plan.cleanup, ctx);
      ctx.factCache?.clear(); // also what other hosts cached while the steps ran
    }
    const explained = ex.explain ? { explain: markRan(ex.explain, results) } : {};
    // read where things are now (Module.verify), also after a failed step: its message tells it
    const after = mod.verify ? await readFactDefs(mod.verify.facts(params, facts), ctx) : undefined;
    const verdict = mod.verify && after ? mod.verify.judge(params, facts, after, results, planCtx(ctx)) : undefined;
    const last = results[results.length - 1];
    const step = plan.steps[results.length - 1];
    if (last && step && !stepOk(step, last)) {
      const reason = failureText(step, last, verdict?.state);
      const told = step.remedy || step.failure || verdict ? { step: failedAt(step, last) } : {};
      const extra = safeResult(mod, params, facts, results, ctx, after, prep);
      const changedBefore = !quiet && plan.steps.slice(0, results.length - 1).some((s) => !s.housekeeping);
      return { status: 'failed', reason, diff, data: { ...base, rc: last.code, ...told, ...extra, changed: changedBefore || extra.changed === true, failed: true, msg: extra.msg ?? reason }, ...explained };
    }
    const extra = safeResult(mod, params, facts, results, ctx, after, prep);
    if (verdict?.error) return { status: 'failed', reason: verdict.error, diff, data: { ...base, step: 'verify', ...extra, changed: !quiet, failed: true, msg: verdict.error }, ...explained };
    const reason = verdict?.done ?? plan.reason;
    return { status: done, reason, diff, data: { ...base, ...(verdict?.done ? { msg: reason } : {}), ...extra }, ...explained };
  } catch (e) {
    if (isPassThrough(e)) throw e;
    if (e instanceof ModuleFailure) return failed(e.message, e.result);
    return failed((e as Error)?.message ?? String(e));
  }
}
