/**
 * Running a plan's steps (src/engine/apply.ts calls it): each step in order, stopping at the first
 * that fails; a polling step (Step.poll) started detached and polled here, with its progress
 * events, its timeout and the abort that cancels the job; the plan's cleanup whatever happened;
 * and the one wording of a failed step (`DESC failed at: AT: ERROR. STATE. What to do: REMEDY`).
 * Modules give only pure parts (commands, parsers, remedies); progress, timeouts, cleanup and
 * failure messages come from here.
 */
import type { ExecResult } from '../transport/types.js';
import type { ModuleCtx, Poll, Step, StepResult } from './module/types.js';
import { clockMs } from '../util/pytime.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exec(ctx: ModuleCtx, cmd: string, stdin?: string | Buffer): Promise<ExecResult> {
  return ctx.transport.exec(cmd, { ...(stdin !== undefined ? { stdin } : {}), become: ctx.become });
}

export const stepOk = (s: Step, r: ExecResult) => (s.okCodes ?? [0]).includes(r.code);

/** Start a long job, poll it until it ends (aborting it after its timeout), then read its result. */
async function runPolled(step: Step, p: Poll, ctx: ModuleCtx): Promise<StepResult> {
  const startedAt = clockMs();
  const st = await exec(ctx, step.cmd, step.stdin);
  if (!stepOk(step, st)) return { ...st, startedAt, endedAt: clockMs() };
  const t0 = Date.now();
  let abortedAt: number | undefined;
  let last: string | undefined;
  for (;;) {
    const s = p.parse(await exec(ctx, p.cmd));
    if (s.progress) {
      last = s.progress.text;
      ctx.progress(`${step.desc}: ${last}`, s.progress.fraction, s.progress.metrics);
    }
    if (s.done) break;
    if (abortedAt === undefined && p.timeoutMs !== undefined && Date.now() - t0 > p.timeoutMs) {
      abortedAt = Date.now();
      ctx.log(`${step.desc}: ${p.timeoutMs / 1000}s elapsed, aborting the job`);
      if (p.abort) await exec(ctx, p.abort);
    }
    if (abortedAt !== undefined && Date.now() - abortedAt > (p.abortGraceMs ?? 60_000)) {
      ctx.log(`${step.desc}: the job did not end ${(p.abortGraceMs ?? 60_000) / 1000}s after the abort`);
      break;
    }
    await sleep(p.intervalMs);
  }
  const f = await exec(ctx, p.finish);
  return { ...f, startedAt, endedAt: clockMs(), ...(abortedAt !== undefined ? { timedOut: true } : {}), ...(last !== undefined ? { lastProgress: last } : {}) };
}

/** Run one step (plain or polled). */
export async function runStep(step: Step, ctx: ModuleCtx): Promise<StepResult> {
  if (step.progress !== undefined) ctx.progress(step.desc, step.progress);
  ctx.log(step.desc);
  let r: StepResult;
  if (step.poll) r = await runPolled(step, step.poll, ctx);
  else {
    const startedAt = clockMs();
    r = { ...(await exec(ctx, step.cmd, step.stdin)), startedAt, endedAt: clockMs() };
  }
  return step.id !== undefined ? { ...r, id: step.id } : r;
}

/** Run the steps in order; stops after the first failing one (it is the last result). */
export async function runSteps(steps: Step[], ctx: ModuleCtx): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const r = await runStep(step, ctx);
    results.push(r);
    if (!stepOk(step, r)) break;
  }
  return results;
}

/** The plan's cleanup: every step runs; a failure is only logged (it must not hide the task's outcome). */
export async function runCleanup(steps: Step[] | undefined, ctx: ModuleCtx): Promise<void> {
  for (const s of steps ?? []) {
    try {
      const r = await exec(ctx, s.cmd, s.stdin);
      if (!stepOk(s, r)) ctx.log(`cleanup: ${s.desc}: rc=${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`);
    } catch (e) {
      ctx.log(`cleanup: ${s.desc}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}

function firstLines(s: string, n = 5): string {
  const lines = s.trim().split('\n');
  return lines.slice(0, n).join('\n') + (lines.length > n ? `\n... (${lines.length - n} more lines)` : '');
}

/**
 * The reason of a failed step. A step that tells nothing of its failure (no remedy, no diagnosis,
 * no verified state) keeps the short form `DESC: rc=N: first lines of its error`.
 */
export function failureText(step: Step, r: StepResult, state?: string): string {
  const err = firstLines(r.stderr) || firstLines(r.stdout);
  if (!step.remedy && !step.failure && state === undefined) return `${step.desc}: rc=${r.code}${r.timedOut ? ' (timed out)' : ''}${err ? `: ${err}` : ''}`;
  const f = step.failure?.(r) ?? {};
  const trim = (s: string) => s.trim().replace(/[.\s]+$/, '');
  const error = trim(f.error || (r.stderr.trim() || r.stdout.trim()).split('\n').pop() || `exit code ${r.code}`);
  const remedy = f.remedy ?? step.remedy;
  return `${step.desc} failed${f.at ? ` at: ${f.at}` : ''}: ${error}.${state ? ` ${trim(state)}.` : ''}${remedy ? ` What to do: ${remedy}` : ''}${r.lastProgress ? ` (last progress: ${r.lastProgress})` : ''}`;
}

/** The stage a failed step names (register value `step`). */
export function failedAt(step: Step, r: StepResult): string {
  return step.failure?.(r).at ?? step.desc;
}
