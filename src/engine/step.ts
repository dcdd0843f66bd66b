/**
 * --step and --start-at-task, as ansible-playbook 2.14 does them (strategy/__init__.py _take_step,
 * strategy/linear.py, executor/play_iterator.py, executor/playbook_executor.py).
 *
 * --step: before each task, once for all its hosts (module tasks, includes, handlers and Gathering
 * Facts; never meta tasks): `Perform task: TASK: NAME (N)o/(y)es/(c)ontinue: ` (`HANDLER: NAME` for
 * a handler; NAME as written, `ROLE : NAME` in a role). y/yes runs it, c/continue runs it and the
 * rest without asking, anything else skips it: no banner, no result, nothing in the recap.
 *
 * --start-at-task PATTERN: for each play (each serial batch) while nothing matched yet, the play's
 * tasks are searched as Ansible's play iterator walks them: Gathering Facts, then pre_tasks, roles,
 * tasks, post_tasks, into blocks and their `always:` (not `rescue:`, not the content of dynamic
 * includes), leaving out tasks not selected by --tags/--skip-tags. A name matches when it equals
 * PATTERN or matches it as a glob (Python fnmatch: * ? [seq] [!seq], case-sensitive). A play with a
 * match gathers facts and silently skips every task before the match (no banner, not counted:
 * skipped tasks are not "skipped" in the recap); a play without one runs no task at all. Once
 * matched, later plays run whole. No match at all: an error message after the recap, exit code
 * unchanged.
 */
import type { Play, Task } from '../playbook/model.js';
import type { RunState } from './state.js';
import { tagsSelected } from './tags.js';
import { globRegex } from '../inventory/pattern.js';

/** The name of Ansible's implicit fact-gathering task. */
export const GATHER_NAME = 'Gathering Facts';

interface StartAt {
  pattern: string;
  re: RegExp;
  /** a play had the match: later plays run whole */
  done: boolean;
  /** in the play with the match, before it: tasks are skipped silently */
  skipping: boolean;
}

/** Kept on the RunState (run.stepState), made on first use from run.opts. */
export interface StepState {
  /** still asking (--step until `c`) */
  asking: boolean;
  startAt: StartAt | null;
}

function state(run: RunState): StepState {
  const p = run.opts.startAtTask;
  return (run.stepState ??= { asking: !!run.opts.step, startAt: p === undefined ? null : { pattern: p, re: globRegex(p), done: false, skipping: false } });
}

/** fnmatch-style matcher for --start-at-task; throws on an invalid pattern (e.g. "[z-a]"). */
export function startAtMatcher(pattern: string): (name: string) => boolean {
  const re = globRegex(pattern);
  return (name) => name === pattern || re.test(name);
}

const startAt = (run: RunState): StartAt | null => state(run).startAt;

/** The names a task answers to: as written, and `ROLE : NAME` in a role (Ansible's get_name()). */
function namesOf(t: { name: string; scope?: { role?: { name: string } } }): string[] {
  const role = t.scope?.role?.name;
  return role ? [t.name, `${role} : ${t.name}`] : [t.name];
}

const matches = (s: StartAt, t: { name: string; scope?: { role?: { name: string } } }) => namesOf(t).some((n) => n === s.pattern || s.re.test(n));

/** The first task of `tasks` (static walk, tags applied) that matches. */
function hasMatch(run: RunState, s: StartAt, tasks: readonly Task[], tags: readonly string[]): boolean {
  for (const t of tasks) {
    const eff = [...tags, ...t.tags];
    if (t.kind === 'block') {
      if (hasMatch(run, s, t.block, eff) || hasMatch(run, s, t.always, eff)) return true;
    } else if (tagsSelected(eff, run.opts) && matches(s, t)) return true;
  }
  return false;
}

/**
 * At the start of a play's batch: false when --start-at-task is pending and this play has no
 * matching task (the batch runs nothing); otherwise true, and tasks before the match are skipped.
 */
export function playStarts(run: RunState, play: Play): boolean {
  const s = startAt(run);
  if (!s) return true;
  s.skipping = false;
  if (s.done) return true;
  if (play.gatherFacts && matches(s, { name: GATHER_NAME })) {
    s.done = true;
    return true;
  }
  if (![play.preTasks, play.tasks, play.postTasks].some((list) => hasMatch(run, s, list, play.tags))) return false;
  s.done = true;
  s.skipping = true;
  return true;
}

/** True when `t` comes before the --start-at-task match of this play (skip it silently). `tags`: its effective tags. */
export function beforeStart(run: RunState, t: Task, tags: readonly string[]): boolean {
  const s = startAt(run);
  if (!s?.skipping || t.kind === 'block') return false;
  if (tagsSelected([...tags], run.opts) && matches(s, t)) {
    s.skipping = false;
    return false;
  }
  return true;
}

/** After the run: Ansible's error when --start-at-task never matched (the exit code stays). */
export function startAtMissed(run: RunState): void {
  const s = startAt(run);
  if (s && !s.done) run.reporter.emit({ kind: 'error', msg: `No matching task "${s.pattern}" found. Note: --start-at-task can only follow static includes.` });
}

/** --step: ask whether to run this task; false = skip it. Handlers are asked as `HANDLER: NAME`. */
export async function stepAllows(run: RunState, t: { name: string; scope?: { role?: { name: string } } }, handler = false): Promise<boolean> {
  const st = state(run);
  if (!st.asking) return true;
  const ask = run.opts.askStep;
  if (!ask) throw new Error('--step needs a terminal to ask on');
  const name = namesOf(t).pop();
  const answer = (await ask(`Perform task: ${handler ? 'HANDLER' : 'TASK'}: ${name} (N)o/(y)es/(c)ontinue: `)).trim().toLowerCase();
  if (answer === 'y' || answer === 'yes') return true;
  if (answer === 'c' || answer === 'continue') {
    st.asking = false;
    return true;
  }
  return false;
}
