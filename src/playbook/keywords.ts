/** Keywords kvplay understands, and the Ansible ones it knowingly refuses (with the reason). */

export const PLAY_KEYS = new Set([
  'name', 'hosts', 'become', 'become_user', 'become_method', 'gather_facts', 'vars', 'vars_files',
  'pre_tasks', 'roles', 'tasks', 'post_tasks', 'handlers', 'serial', 'any_errors_fatal', 'tags',
  'environment', 'ignore_errors', 'check_mode', 'no_log', 'remote_user', 'strategy', 'connection',
]);

export const TASK_KEYS = new Set([
  'name', 'when', 'loop', 'with_items', 'with_list', 'with_dict', 'loop_control', 'register', 'notify',
  'tags', 'changed_when', 'failed_when', 'ignore_errors', 'until', 'retries', 'delay', 'delegate_to',
  'run_once', 'no_log', 'check_mode', 'become', 'become_user', 'become_method', 'environment', 'vars', 'args',
  'listen', 'any_errors_fatal', 'diff', 'remote_user',
]);

export const BLOCK_KEYS = new Set([
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'become', 'become_user', 'become_method', 'environment', 'vars',
  'ignore_errors', 'no_log', 'check_mode', 'delegate_to', 'run_once', 'any_errors_fatal', 'remote_user',
]);

/** Actions the engine implements itself (not modules). */
export const ENGINE_ACTIONS = new Set([
  'meta', 'include_tasks', 'import_tasks', 'include_role', 'import_role',
  'ansible.builtin.meta', 'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks',
  'ansible.builtin.include_role', 'ansible.builtin.import_role',
]);

/** Ansible keywords kvplay does not support, with what to do instead. */
export const UNSUPPORTED: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  async: "kvplay has no async tasks; long-running work belongs in a module with progress (e.g. migrate)",
  poll: "kvplay has no async tasks",
  throttle: 'use --forks to limit parallelism',
  max_fail_percentage: 'kvplay supports any_errors_fatal but not max_fail_percentage',
  local_action: "use 'delegate_to: localhost' instead",
  action: 'write the module name as the key (e.g. `copy:`), as modern Ansible does',
  with_fileglob: 'use loop with a list of files',
  with_sequence: "use loop: \"{{ range(1, N + 1) | list }}\"",
  import_playbook: 'import_playbook is only allowed as a top-level item of a playbook',
  debugger: 'kvplay has no task debugger; use -vvv',
  collections: 'kvplay resolves ansible.builtin.* names itself; collections are not loaded',
  module_defaults: 'set parameters on each task or use vars',
  vars_prompt: 'pass values with -e or inventory vars (kvplay never prompts during a run)',
  order: 'hosts run in inventory order',
});

export const META_ACTIONS = new Set([
  'flush_handlers', 'noop', 'end_play', 'end_host', 'clear_host_errors', 'refresh_inventory', 'reset_connection', 'clear_facts',
]);
