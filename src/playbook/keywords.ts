/** Keywords kvplay understands, and the Ansible ones it knowingly refuses (with the reason). */
import { InputError, type Loc } from '../util/errors.js';
import { valueLocOf } from '../yaml/load.js';
import { showValue } from './schema.js';
import type { Task } from './model.js';
import { hasLookup } from '../template/index.js';

/** `with_<name>`: a loop over lookup plugin <name> (with_items, with_sequence, with_nested...). */
export const isWithLoop = (k: string) => k.startsWith('with_') && hasLookup(k.slice(5));

export const PLAY_KEYS = new Set([
  'name', 'hosts', 'become', 'become_user', 'become_method', 'gather_facts', 'vars', 'vars_files',
  'pre_tasks', 'roles', 'tasks', 'post_tasks', 'handlers', 'serial', 'any_errors_fatal', 'tags',
  'environment', 'ignore_errors', 'check_mode', 'no_log', 'remote_user', 'strategy', 'connection',
  'force_handlers', 'ignore_unreachable', 'max_fail_percentage', 'throttle', 'vars_prompt',
]);

export const TASK_KEYS = new Set([
  'name', 'when', 'loop', 'with_items', 'with_list', 'with_dict', 'loop_control', 'register', 'notify',
  'tags', 'changed_when', 'failed_when', 'ignore_errors', 'until', 'retries', 'delay', 'delegate_to',
  'run_once', 'no_log', 'check_mode', 'become', 'become_user', 'become_method', 'environment', 'vars', 'args',
  'listen', 'any_errors_fatal', 'diff', 'remote_user', 'async', 'poll', 'ignore_unreachable', 'throttle',
]);

export const BLOCK_KEYS = new Set([
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'become', 'become_user', 'become_method', 'environment', 'vars',
  'ignore_errors', 'no_log', 'check_mode', 'delegate_to', 'run_once', 'any_errors_fatal', 'remote_user',
  'notify', 'ignore_unreachable', 'throttle',
]);

/** Actions the engine implements itself (not modules). */
export const ENGINE_ACTIONS = new Set([
  'meta', 'include_tasks', 'import_tasks', 'include_role', 'import_role', 'action', 'local_action',
  'ansible.builtin.meta', 'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks',
  'ansible.builtin.include_role', 'ansible.builtin.import_role',
]);

/** Ansible keywords kvplay does not support, with what to do instead. */
export const UNSUPPORTED: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  import_playbook: 'import_playbook is only allowed as a top-level item of a playbook',
  debugger: 'kvplay has no task debugger; use -vvv',
  collections: 'kvplay resolves ansible.builtin.* names itself; collections are not loaded',
  module_defaults: 'set parameters on each task or use vars',
  order: 'hosts run in inventory order',
});

export const META_ACTIONS = new Set([
  'flush_handlers', 'noop', 'end_play', 'end_batch', 'end_host', 'clear_host_errors', 'refresh_inventory', 'reset_connection', 'clear_facts',
]);

/** The become methods kvplay has (src/transport: sudo, and su through the persistent shell). */
export const BECOME_METHODS = new Set(['sudo', 'su']);

const isTemplated = (v: unknown) => typeof v === 'string' && (v.includes('{{') || v.includes('{%'));

/**
 * `become_method:` one kvplay does not have is no load error (Ansible fails only a task that
 * becomes with it): a warning now, and such a task fails when it runs (src/engine/context.ts).
 */
export function checkBecomeMethod(o: Record<string, unknown>, loc: Loc, ctx: { warnings: InputError[] }): void {
  const v = o.become_method;
  if (v === undefined || v === null || isTemplated(v) || (typeof v === 'string' && BECOME_METHODS.has(v))) return;
  ctx.warnings.push(new InputError(`become_method ${showValue(v)} is not supported by kvplay: a task that becomes with it fails when it runs`, valueLocOf(o, 'become_method') ?? loc, `kvplay becomes with: ${[...BECOME_METHODS].join(', ')}`));
}

/** Ansible's strategies: kvplay runs each of them as linear (its only strategy). */
export const STRATEGIES = new Set(['linear', 'free', 'host_pinned', 'debug']);

/** What a play's `strategy:` is, as written; a warning when kvplay will not run it as asked (checked again when the play starts). */
export function checkStrategy(p: Record<string, unknown>, loc: Loc, ctx: { errors: InputError[]; warnings: InputError[] }): string | undefined {
  const v = p.strategy;
  if (v === undefined || v === null) return undefined;
  const at = valueLocOf(p, 'strategy') ?? loc;
  if (typeof v !== 'string') {
    ctx.errors.push(new InputError(`'strategy' must be a string, got ${showValue(v)}`, at, 'e.g. strategy: linear'));
    return undefined;
  }
  if (v !== 'linear' && !isTemplated(v)) ctx.warnings.push(strategyProblem(v, at));
  return v;
}

/** The warning (a known strategy, run as linear) or the error (an unknown one: the play fails when it starts) for a strategy. */
export function strategyProblem(v: string, at: Loc): InputError {
  return STRATEGIES.has(v)
    ? new InputError(`strategy '${v}': kvplay runs this play with the linear strategy`, at, 'the results are those of linear: each task on all hosts before the next')
    : new InputError(`Invalid play strategy specified: ${v}`, at, `strategies: ${[...STRATEGIES].join(', ')}`);
}

/** The names a handler answers to: its name and its `listen:` topics. */
export function handlerTopics(h: Task): string[] {
  return [h.name, ...(h.kind === 'module' ? (h.listen ?? []) : [])];
}
