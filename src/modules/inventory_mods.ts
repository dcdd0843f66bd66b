/**
 * add_host and group_by: Ansible's actions that change the run's inventory. They only describe the
 * change (the result keys add_host / add_group, parent_groups, as Ansible's actions return them);
 * the engine applies it (src/engine/dynhosts.ts) and sets `changed` to whether the inventory
 * changed. add_host runs once per task (on the first host, per loop item), as in Ansible.
 */
import type { Module } from '../engine/module/types.js';
import { splitHostPort } from '../inventory/index.js';
import { object, str, typed, type Static } from '../engine/module/schema.js';

const strs = (description: string) => typed<string | string[]>({ type: ['array', 'string'], items: { type: 'string' }, description });

/**
 * host/hostname and group/groupname are not schema aliases here: as in Ansible's add_host (its
 * special_args), every parameter but name, hostname, groupname and groups is also a host variable.
 */
const addHostSchema = object(
  {
    name: str('The host name; NAME:PORT sets ansible_ssh_port. Aliases host, hostname.'),
    host: str('Alias of name.'),
    hostname: str('Alias of name.'),
    groups: strs("Groups to put it in (a list or 'a,b'). Aliases group, groupname."),
    group: strs('Alias of groups.'),
    groupname: strs('Alias of groups.'),
  },
  { description: 'name (host, hostname), groups (group, groupname), and any host variables.', additionalProperties: true },
);

const groupBySchema = object(
  {
    key: str('The group name (spaces become -).'),
    parents: strs('Parent groups of the group (default all).'),
  },
  { required: ['key'] },
);

/** the parameters, and any host variables */
export type AddHostParams = Static<typeof addHostSchema> & Record<string, unknown>;

/** Ansible's add_host action: the host's name (a :port becomes ansible_ssh_port), groups and variables. */
export function addHostResult(p: AddHostParams): { host_name: string; groups: string[]; host_vars: Record<string, unknown> } {
  const raw = p.name ?? p.hostname ?? p.host;
  if (raw === undefined || raw === null) throw new Error('name, host or hostname needs to be provided');
  let name = String(raw);
  const vars: Record<string, unknown> = Object.create(null);
  try {
    const hp = splitHostPort(name);
    if (hp.port !== undefined) {
      name = hp.name;
      vars.ansible_ssh_port = hp.port;
    }
  } catch {
    /* not a host:port: the name as given (Ansible) */
  }
  const g = p.groupname ?? p.groups ?? p.group ?? '';
  const list = Array.isArray(g) ? g.map(String) : String(g) ? String(g).split(',') : [];
  const groups: string[] = [];
  for (const x of list) if (!groups.includes(x)) groups.push(x.trim());
  // every other parameter is a host variable (host and group too, as in Ansible's special_args)
  for (const [k, v] of Object.entries(p)) if (!['name', 'hostname', 'groupname', 'groups'].includes(k)) vars[k] = v;
  return { host_name: name, groups, host_vars: vars };
}

export const add_host: Module<AddHostParams> = {
  name: 'add_host',
  readOnly: true,
  doc: "Add a host (and its groups and variables) to the run's inventory, for later plays; runs once per task (per loop item), as in Ansible.",
  schema: addHostSchema,
  async action(p) {
    return { changed: false, data: { add_host: addHostResult(p) } };
  },
};

export type GroupByParams = Static<typeof groupBySchema>;

export const group_by: Module<GroupByParams> = {
  name: 'group_by',
  readOnly: true,
  doc: "Put each host in a group named from a key (e.g. \"os_{{ ansible_facts.distribution }}\"), created when missing, for later plays.",
  schema: groupBySchema,
  async action(p) {
    const parents = p.parents === undefined ? ['all'] : Array.isArray(p.parents) ? p.parents : [p.parents];
    return { changed: false, data: { add_group: String(p.key).replace(/ /g, '-'), parent_groups: parents.map((x) => String(x).replace(/ /g, '-')) } };
  },
};
