/** setup: gather host facts explicitly (registers ansible_facts with ansible_X keys, as Ansible; the engine stores them as ansible_facts.X). */
import { gatherFacts } from '../facts/host.js';
import type { Module } from '../engine/module/types.js';
import { object, strList, type Static } from '../engine/module/schema.js';

export type SetupParams = Static<typeof schema>;

function globRe(g: string): RegExp {
  const core = g.replace(/^ansible_/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${core}$`);
}

export function filterFacts(facts: Record<string, unknown>, filter: string[] | undefined): Record<string, unknown> {
  if (!filter || !filter.length) return facts;
  const res = filter.map(globRe);
  return Object.fromEntries(Object.entries(facts).filter(([k]) => res.some((r) => r.test(k))));
}

const SUBSETS = ['all', 'min', 'hardware', 'network', 'virtual', 'ohai', 'facter'];
/** Ansible's individual collectors of the min subset (accepted by name: kvplay gathers them together) */
const MIN_NAMES = ['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user'];

/** Which subset a gathered fact belongs to (Ansible's collectors): hardware, network, else min. */
export function subsetOf(key: string, facts: Record<string, unknown>): 'hardware' | 'network' | 'min' {
  if (/^(processor|memtotal_mb|memfree_mb|memavailable_mb|swaptotal_mb|swapfree_mb|memory_mb)/.test(key)) return 'hardware';
  if (/^(interfaces|all_ipv4_addresses|all_ipv6_addresses|default_ipv4|default_ipv6)$/.test(key)) return 'network';
  const ifs = Array.isArray(facts.interfaces) ? (facts.interfaces as string[]).map((i) => i.replace(/[-:.]/g, '_')) : [];
  return ifs.includes(key) ? 'network' : 'min';
}

/**
 * Ansible's gather_subset: 'min' is always gathered (unless '!min'); 'all' (the default) is
 * everything; '!x' excludes; only exclusions mean all but those. Returns the subsets kept, or
 * throws Ansible's error for an unknown name. virtual, ohai and facter gather nothing in kvplay.
 */
export function selectSubsets(subset: string[] | undefined): Set<string> {
  const items = subset?.length ? subset : ['all'];
  const inc = new Set<string>();
  const exc = new Set<string>();
  for (const raw of items) {
    const neg = raw.startsWith('!');
    const name = neg ? raw.slice(1) : raw;
    if (!SUBSETS.includes(name) && !MIN_NAMES.includes(name)) {
      throw new Error(`Bad subset '${name}' given to Ansible. gather_subset options allowed: all, ${[...SUBSETS.slice(1), ...MIN_NAMES].sort().join(', ')}`);
    }
    const group = name === 'all' ? ['hardware', 'network', 'virtual', 'min'] : MIN_NAMES.includes(name) ? ['min'] : [name];
    for (const g of group) (neg ? exc : inc).add(g);
    if (neg && name === 'all') exc.delete('min'); // '!all' keeps min (Ansible), '!min' removes it
  }
  if (![...items].some((x) => !x.startsWith('!'))) for (const g of ['hardware', 'network', 'virtual', 'min']) inc.add(g);
  if (!exc.has('min')) inc.add('min');
  for (const g of exc) inc.delete(g);
  return inc;
}

const schema = object({
  filter: { ...strList("Only facts whose names match these globs (with or without 'ansible_'), e.g. ['ansible_distribution*']."), type: ['array', 'string'] },
  gather_subset: { ...strList("Ansible's subsets: all (default), min (always, unless '!min'), hardware, network; '!name' excludes (virtual, ohai, facter gather nothing here)."), type: ['array', 'string'] },
});

export const setup: Module<SetupParams> = {
  name: 'setup',
  readOnly: true,
  doc: 'Gather facts about the host (distribution, os_family, pkg_mgr, service_mgr, CPU, memory, interfaces, default_ipv4...).',
  schema,
  async action(p, ctx) {
    const subset = p.gather_subset === undefined ? undefined : Array.isArray(p.gather_subset) ? p.gather_subset : String(p.gather_subset).split(',').map((x) => x.trim()).filter(Boolean);
    const keep = selectSubsets(subset);
    const gathered = await gatherFacts(ctx.transport, ctx.become);
    const facts = Object.fromEntries(Object.entries(gathered).filter(([k]) => keep.has(subsetOf(k, gathered))));
    const filter = p.filter === undefined ? undefined : Array.isArray(p.filter) ? p.filter : [p.filter];
    const kept = filterFacts({ ...facts, gather_subset: subset ?? ['all'], module_setup: true }, filter);
    // Ansible's setup result: facts named ansible_X (the engine stores them as ansible_facts.X), gather_subset and module_setup as they are
    const out = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k === 'gather_subset' || k === 'module_setup' ? k : `ansible_${k}`, v]));
    return { changed: false, msg: `${Object.keys(out).length} facts`, data: { ansible_facts: out } };
  },
};
