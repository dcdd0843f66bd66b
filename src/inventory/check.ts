/**
 * Load-time checks of an inventory against the playbook: a template in a host's connection
 * variables (ansible_host: "{{ x }}") that reads a name nothing defines is an error at the
 * inventory line that sets it, before any host is contacted.
 */
import { InputError } from '../util/errors.js';
import { freeNames } from '../template/index.js';
import { didYouMean } from '../util/suggest.js';
import type { Inventory } from './types.js';

const templated = (v: unknown): v is string => typeof v === 'string' && (v.includes('{{') || v.includes('{%'));

/** `known`: every name a playbook/inventory/extra vars source defines. */
export function undefinedInConnVars(inv: Inventory, known: Set<string>): InputError[] {
  const out = new Map<string, InputError>();
  for (const h of inv.hosts) {
    const vars = inv.hostVars(h);
    for (const [k, v] of Object.entries(vars)) {
      if (!(k.startsWith('ansible_') || k.startsWith('kvplay_')) || !templated(v)) continue;
      let names: string[];
      try {
        names = freeNames(v, false);
      } catch {
        continue; // a template syntax error is reported when it is rendered
      }
      for (const n of names) {
        if (known.has(n) || Object.prototype.hasOwnProperty.call(vars, n) || n.startsWith('ansible_')) continue;
        const at = inv.varOrigin(h, k);
        const key = `${at?.file}:${at?.line}:${at?.col}:${n}`;
        if (!out.has(key)) out.set(key, new InputError(`undefined variable '${n}' in ${k} of host \`${h}\``, at, didYouMean(n, known) || `define '${n}' in the inventory, the playbook's vars or with -e`));
      }
    }
  }
  return [...out.values()];
}
