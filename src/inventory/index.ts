/**
 * kvplay inventory: Ansible's YAML and INI inventory formats (unchanged; ini.ts) plus group_vars/ and host_vars/
 * directories beside the inventory and beside the playbook, host patterns and magic variables.
 *
 *   const inv = loadInventory('inventory.yaml', { extraVarDirs: [playbookDir] });
 *   inv.match('kvm_hosts:!kvm2', playLoc)  // ['kvm1']
 *   inv.hostVars('kvm1')                   // { ansible_host: ..., inventory_hostname: 'kvm1', ... }
 *
 * Errors: InputErrors (every structural error of the inventory and of its vars files at once).
 */
import { InputError, InputErrors } from '../util/errors.js';
import { readInventoryFile, parseInventoryText } from './parse.js';
import { buildInventory } from './build.js';
import type { Inventory, LoadInventoryOptions } from './types.js';

export type { Group, Inventory, LoadInventoryOptions } from './types.js';
export { splitHostPattern, LOCALHOST_NAMES, type PatternTerm } from './pattern.js';
export { expandHostRange, splitHostPort } from './ranges.js';

function asErrors(e: unknown): never {
  if (e instanceof InputError) throw new InputErrors([e]);
  throw e;
}

/**
 * Load an inventory file (YAML or INI, picked as Ansible picks its plugin). Without `file`: the implicit inventory, where only the implicit
 * localhost (ansible_connection: local) exists and `all` is empty, as in Ansible.
 * Throws InputErrors.
 */
export function loadInventory(file?: string, opts: LoadInventoryOptions = {}): Inventory {
  if (file === undefined) return buildInventory(undefined, undefined, opts);
  try {
    return buildInventory(readInventoryFile(file), file, opts);
  } catch (e) {
    return asErrors(e);
  }
}

/** Build an inventory from YAML or INI text; `file` names it in messages and its directory holds group_vars/ and host_vars/. */
export function inventoryFromText(text: string, file: string, opts: LoadInventoryOptions = {}): Inventory {
  try {
    return buildInventory(parseInventoryText(text, file), file, opts);
  } catch (e) {
    return asErrors(e);
  }
}
