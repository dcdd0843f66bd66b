/** setup: gather host facts explicitly (registers ansible_facts; the engine exposes them as ansible_*). */
import { gatherFacts } from '../facts/host.js';
import type { Module } from './types.js';
import { object, strList } from './util/schema.js';

export interface SetupParams { filter?: string | string[]; gather_subset?: string | string[] }

function globRe(g: string): RegExp {
  const core = g.replace(/^ansible_/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${core}$`);
}

export function filterFacts(facts: Record<string, unknown>, filter: string[] | undefined): Record<string, unknown> {
  if (!filter || !filter.length) return facts;
  const res = filter.map(globRe);
  return Object.fromEntries(Object.entries(facts).filter(([k]) => res.some((r) => r.test(k))));
}

export const setup: Module<SetupParams> = {
  name: 'setup',
  readOnly: true,
  doc: 'Gather facts about the host (distribution, os_family, pkg_mgr, service_mgr, CPU, memory, interfaces, default_ipv4...).',
  schema: object({
    filter: { ...strList("Only facts whose names match these globs (with or without 'ansible_'), e.g. ['ansible_distribution*']."), type: ['array', 'string'] },
    gather_subset: { ...strList('Accepted for compatibility and ignored: kvplay always gathers the same (cheap) set.'), type: ['array', 'string'] },
  }),
  async action(p, ctx) {
    const facts = await gatherFacts(ctx.transport, ctx.become);
    const filter = p.filter === undefined ? undefined : Array.isArray(p.filter) ? p.filter : [p.filter];
    const out = filterFacts(facts, filter);
    return { changed: false, msg: `${Object.keys(out).length} facts`, data: { ansible_facts: out } };
  },
};
