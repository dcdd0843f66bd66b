/**
 * Public types of the inventory: an Ansible YAML inventory plus group_vars/ and host_vars/
 * directories, resolved into hosts, groups and inventory-level variables.
 * Values are never templated here: "{{ x }}" strings are kept as they are.
 */
import type { InputError, Loc } from '../util/errors.js';

/** One group, after resolution (implicit `all` and `ungrouped` included). */
export interface Group {
  name: string;
  /** Hosts listed directly in this group, in inventory (document) order. */
  hosts: string[];
  /** Hosts of this group and of all its descendants, in inventory order (what `groups[name]` is). */
  allHosts: string[];
  /** Direct child groups, in order of definition. */
  children: string[];
  /** Direct parent groups (`all` for top-level groups; none for `all` itself). */
  parents: string[];
  /** Variables from the inventory file only (group_vars/ files are applied by hostVars). */
  vars: Record<string, unknown>;
  /** Longest distance from `all` (all = 0, top-level groups = 1, ...). */
  depth: number;
  /** ansible_group_priority (default 1); higher wins among groups of equal depth. */
  priority: number;
  /** Where the group is first mentioned in the file (undefined for implicit groups). */
  loc?: Loc;
}

export interface LoadInventoryOptions {
  /**
   * Further directories holding group_vars/ and host_vars/ (typically the playbook's directory),
   * applied after the inventory's own directory; later directories win. Duplicates of the
   * inventory directory are ignored.
   */
  extraVarDirs?: string[];
}

export interface Inventory {
  /** The inventory file as given (undefined for the implicit localhost-only inventory). */
  file: string | undefined;
  /** Every host of the inventory, in inventory (document) order. The implicit localhost is not listed. */
  hosts: string[];
  /** Every group, including `all` and `ungrouped`. */
  groups: Map<string, Group>;
  /**
   * Inventory-level variables of a host, in Ansible precedence, plus magic variables
   * (inventory_hostname, inventory_hostname_short, group_names, groups, inventory_file, inventory_dir).
   * Returns a fresh object on each call; nested values are shared: treat them as read-only.
   * Throws Error for a host that is neither in the inventory nor the implicit localhost.
   */
  hostVars(host: string): Record<string, unknown>;
  /** Where the winning value of variable `name` of `host` was defined (file:line:col of its key). */
  varOrigin(host: string, name: string): Loc | undefined;
  /**
   * The host's groups as Ansible's `group_names`: every group containing it (directly or through a
   * child group), sorted, without `all` and `ungrouped`. [] for the implicit localhost.
   */
  groupsOf(host: string): string[];
  /** True for inventory hosts and for the implicit localhost names (localhost, 127.0.0.1, ::1). */
  hasHost(host: string): boolean;
  /** True when `host` is not in the inventory but is served by the implicit localhost. */
  isImplicit(host: string): boolean;
  /** Where the host is first listed in the inventory file. */
  hostLoc(host: string): Loc | undefined;
  /**
   * Hosts matched by an Ansible host pattern (play `hosts:` or `--limit`), in inventory order.
   * A list is a union of patterns. Matching nothing returns [] (the caller may warn).
   * An invalid pattern throws InputError at `loc`.
   */
  match(pattern: string | string[], loc?: Loc): string[];
  /** Non-fatal findings (odd group names, group/host name clashes, unused group_vars files...). */
  warnings: InputError[];
}
