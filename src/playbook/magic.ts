/**
 * Ansible's magic variables that kvplay sets: the ONE list. The engine builds their values
 * (src/engine/vars.ts, typed against this list, so the two cannot drift apart) and the static
 * undefined-variable check (src/playbook/undefined.ts) knows these names are defined.
 */
export const MAGIC_NAMES = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'playbook_dir',
  'inventory_file', 'inventory_dir', 'ansible_inventory_sources', 'ansible_check_mode', 'ansible_diff_mode',
  'ansible_play_hosts', 'ansible_play_batch', 'ansible_play_hosts_all', 'ansible_play_name', 'ansible_verbosity',
  'ansible_version', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_forks',
  'role_names', 'ansible_role_names', 'ansible_play_role_names', 'ansible_config_file', 'kvplay', 'omit',
] as const;

/** Set only where they apply (a role, a loop, a rescue): elsewhere they never shadow a user variable of that name. */
export const SCOPED_MAGIC_NAMES = [
  'ansible_limit', 'role_path', 'role_name', 'ansible_role_name', 'ansible_parent_role_names', 'ansible_parent_role_paths',
  'ansible_loop', 'ansible_loop_var', 'ansible_index_var', 'ansible_failed_task', 'ansible_failed_result', 'ansible_facts', 'environment',
  // per task: the role's directory and the task file's, where lookups look for files (src/template/lookups-files.ts)
  'ansible_search_path',
] as const;

export type MagicName = (typeof MAGIC_NAMES)[number];
