/**
 * `with_<lookup>` loops, as Ansible's task executor runs them: the loop value is templated
 * (listify_lookup_plugin_terms), then lookup plugin <lookup> runs on those terms
 * (query('<lookup>', ...)), and every item is unsafe (Ansible wraps them all). For
 * with_first_found an undefined term is dropped instead of failing the task, and the folder
 * searched first follows the action (templates for template, vars for include_vars, else files).
 */
import { InputError, type Loc } from '../util/errors.js';
import { loopLookup, renderDeep, setVar, type Vars } from '../template/index.js';

export function lookupLoopItems(task: { loop?: unknown; loopKind?: string; loc: Loc; module?: string }, vars: Vars): unknown[] {
  const name = (task.loopKind ?? '').replace(/^with_/, '');
  let terms: unknown;
  if (name === 'first_found' && Array.isArray(task.loop)) {
    terms = task.loop.flatMap((t) => {
      try {
        return [renderDeep(t, vars, task.loc)];
      } catch (e) {
        if (e instanceof InputError && /undefined/i.test(e.message)) return []; // Ansible drops it
        throw e;
      }
    });
  } else terms = renderDeep(typeof task.loop === 'string' ? task.loop.trim() : task.loop, vars, task.loc);
  const action = task.module ?? '';
  const subdir = action.includes('template') ? 'templates' : action.includes('var') ? 'vars' : 'files';
  const items = loopLookup(name, Array.isArray(terms) ? terms : [terms], vars, task.loc, subdir);
  const out: unknown[] = [];
  items.forEach((x, i) => setVar(out, String(i), x, true));
  return out;
}
