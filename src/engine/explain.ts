/**
 * --explain: the manual procedure, visible. For one task on one host: what kvplay checked (each
 * fact as a command a student would type, and what it found), the commands it runs (or would run
 * under --check) as plain shell, and the plan's reason. Built from the module's own words where
 * it gives them (Module.explain, Fact.explain, Step.explain), else from the commands themselves
 * with their framing stripped (src/engine/module/explain.ts). It only DESCRIBES: nothing here
 * changes what runs. Redaction happens where every event is redacted (src/report/index.ts).
 */
import type { ExecResult, Transport } from '../transport/types.js';
import type { ActionResult, ExplainCheck, ExplainRun, ExplainSink, Explanation, Fact, Module, ModuleCtx, Plan, PlanCtx, Step } from './module/types.js';
import { plainFactShell, plainShell, plainStep, summarize } from './module/explain.js';

const list = (x: ExplainCheck | ExplainCheck[] | null | undefined): ExplainCheck[] => (x ? (Array.isArray(x) ? x : [x]) : []);

/** A fact as it explains itself, else its command (framing stripped) and a summary of what it parsed to. */
export function explainFact(def: Fact<unknown>, value: unknown): ExplainCheck[] {
  if (def.explain) return list(def.explain(value));
  const cmd = plainFactShell(def.cmd);
  return cmd === ':' || cmd === '' ? [] : [{ cmd, found: summarize(value) }];
}

/** What the facts checked: the module's explain, else each fact's. Never throws (an explanation never fails a task). */
export function explainChecks(mod: Module, params: unknown, defs: Record<string, Fact<unknown>>, facts: Record<string, unknown>, ctx: PlanCtx, prep?: unknown): ExplainCheck[] {
  try {
    if (mod.explain) return mod.explain(params, facts, ctx, prep);
    // facts sharing a step (the user's home of two ssh files) tell it once
    const seen = new Set<string>();
    return Object.keys(defs).flatMap((n) => explainFact(defs[n], facts[n])).filter((c) => !seen.has(`${c.cmd}\0${c.found}`) && !!seen.add(`${c.cmd}\0${c.found}`));
  } catch (e) {
    return [{ cmd: '(the checks could not be explained)', found: (e as Error)?.message ?? String(e) }];
  }
}

/** A step as plain shell: its own explain, else its command with the framing stripped. */
export function explainStep(s: Step): ExplainRun {
  return { cmd: s.explain ?? plainStep(s.cmd, s.stdin), why: s.desc };
}

/** The explanation of a planned module (before its steps run). */
export function planExplanation(mod: Module, params: unknown, facts: Record<string, unknown>, plan: Plan, ctx: ModuleCtx, prep?: unknown): Explanation {
  let defs: Record<string, Fact<unknown>> = {};
  try {
    defs = mod.facts ? mod.facts(params, ctx, prep) : {};
    if (mod.moreFacts) defs = { ...defs, ...mod.moreFacts(params, facts, ctx) };
  } catch {
    defs = {};
  }
  return {
    checked: explainChecks(mod, params, defs, facts, ctx, prep),
    runs: plan.kind === 'change' ? plan.steps.map(explainStep) : [],
    reason: plan.reason,
    check: ctx.check,
  };
}

/** After the steps ran: each gets its exit code; those after a failing one are marked not run. */
export function markRan(ex: Explanation, results: ExecResult[]): Explanation {
  return { ...ex, runs: ex.runs.map((r, i) => (i < results.length ? { ...r, rc: results[i].code } : { ...r, notRun: true })) };
}

/** An ExplainSink collecting what an action module tells, plus the commands it sent to the host. */
export interface ExplainCollector extends ExplainSink {
  readonly checks: ExplainCheck[];
  readonly runs: ExplainRun[];
  /** commands the action ran on the host, in order, each once (with how many times) */
  readonly sent: Map<string, { count: number; rc: number }>;
}

export function explainCollector(): ExplainCollector {
  const checks: ExplainCheck[] = [];
  const runs: ExplainRun[] = [];
  return {
    checks,
    runs,
    sent: new Map(),
    check: (cmd, found) => void checks.push({ cmd, found }),
    run: (cmd, why, rc) => void runs.push({ cmd, why, ...(rc !== undefined ? { rc } : {}) }),
  };
}

/** The transport, recording each command an action sends (for actions that tell nothing themselves). */
export function recordingTransport(t: Transport, c: ExplainCollector): Transport {
  const note = (cmd: string, r: ExecResult) => {
    const seen = c.sent.get(cmd);
    c.sent.set(cmd, { count: (seen?.count ?? 0) + 1, rc: r.code });
  };
  return new Proxy(t, {
    get(target, k) {
      if (k === 'exec') {
        return async (cmd: string, opts?: Parameters<Transport['exec']>[1]) => {
          const r = await target.exec(cmd, opts);
          note(cmd, r);
          return r;
        };
      }
      if (k === 'execMany') {
        return async (cmds: string[], opts?: Parameters<Transport['execMany']>[1]) => {
          const rs = await target.execMany(cmds, opts);
          cmds.forEach((cmd, i) => rs[i] && note(cmd, rs[i]));
          return rs;
        };
      }
      const v: unknown = Reflect.get(target, k, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The explanation of an action module: what it told (ctx.explain), else the commands it sent
 * (each once, with how often when repeated, e.g. a poll), as commands it ran. undefined when it
 * did neither (debug, set_fact, assert: nothing happens on the host, there is nothing to explain).
 */
export function actionExplanation(c: ExplainCollector, r: ActionResult, check: boolean, readOnly = false): Explanation | undefined {
  const told = c.checks.length > 0 || c.runs.length > 0;
  if (!told && !c.sent.size) return undefined;
  const reason = r.msg ?? (r.failed ? 'failed' : r.changed ? 'changed' : 'ok');
  if (told) return { checked: c.checks, runs: c.runs, reason, check };
  const sent = [...c.sent].map(([cmd, s]) => ({ cmd: plainShell(cmd, 12), times: s.count > 1 ? `, ${s.count} times (polling)` : '', rc: s.rc }));
  // a read-only action (wait_for, fetch, setup) only asks: what it sent are checks
  if (readOnly) return { checked: sent.map((x) => ({ cmd: x.cmd, found: `exit code ${x.rc}${x.times}` })), runs: [], reason, check };
  return { checked: [], runs: sent.map((x) => ({ cmd: x.cmd, why: `sent by the module${x.times}`, rc: x.rc })), reason, check };
}

/** What a no_log task shows of its explanation: nothing but that it is hidden. */
export function censoredExplanation(ex: Explanation, msg: string): Explanation {
  return { checked: [], runs: [], reason: msg, check: ex.check, censored: true };
}
