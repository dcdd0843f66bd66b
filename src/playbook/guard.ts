/**
 * Where a static finding (an undefined variable, a template that does not parse, an unknown filter)
 * refuses the playbook and where it is only a warning. Ansible finds these only when a task runs:
 * kvplay refuses them before the run only where the task surely runs and fails on them; where
 * Ansible may never evaluate the template, or goes on after the failure, the finding is a warning
 * and the task fails when (and if) it runs, as in Ansible. A task is "guarded" by:
 *   a `when` (its own, or of an enclosing block, role or import), `ignore_errors`, `failed_when`,
 *   a templated loop (maybe empty), the tag `never`, a block with a rescue around it, being in a
 *   rescue, being a handler (runs only when notified); the play's `ignore_errors`.
 * Its own `when` guards everything of the task but the first condition (evaluated whenever reached).
 */
import type { Play, Task } from './model.js';

/** Whether a task's own keywords may keep Ansible from evaluating its templates, or from stopping on them. */
export function guards(t: Task): boolean {
  if (t.when.length || t.tags.includes('never')) return true;
  if (t.ignoreErrors !== undefined && t.ignoreErrors !== false) return true; // true, or a template that may be
  if (t.kind === 'module' && t.failedWhen !== undefined) return true;
  return (t.kind === 'module' || t.kind === 'include') && typeof t.loop === 'string';
}

/**
 * Every task of a play (blocks, and the content of includes loaded before the run), with `outer`:
 * whether what encloses it guards it (covers its first `when` condition), and `own`: whether
 * anything guards the rest of it.
 */
export function walkGuarded(play: Play, fn: (t: Task, outer: boolean, own: boolean) => void): void {
  const walk = (ts: Task[], g: boolean) => {
    for (const t of ts) {
      const own = g || guards(t);
      fn(t, g, own);
      if (t.kind === 'block') {
        walk(t.block, own || t.rescue.length > 0);
        walk(t.rescue, true); // runs only where something failed
        walk(t.always, own);
      } else if (t.kind === 'include' && t.preloaded) walk(t.preloaded.tasks, own);
    }
  };
  const ignores = play.ignoreErrors === true;
  walk([...play.preTasks, ...play.tasks, ...play.postTasks], ignores);
  walk(play.handlers, true);
}
