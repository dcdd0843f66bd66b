/** A registry entry of a module (src/modules/index.ts lists them): its names, group and a loader of its code. */
import type { Module, ModuleInfo } from './types.js';

/** Where `kvplay --doc` / docs/modules.md list a module. */
export type ModuleGroup = 'core' | 'sys' | 'virt';

export interface ModuleEntry {
  readonly name: string;
  /** every other accepted name, Ansible's ansible.builtin.NAME and ansible.legacy.NAME included */
  readonly aliases: readonly string[];
  readonly group: ModuleGroup;
  /** the module's code (imported on first use) */
  load(): Promise<Module>;
}

/** A module as the loader sees it: its ModuleInfo and every name it answers to. */
export interface ModuleMeta extends ModuleInfo {
  readonly aliases: readonly string[];
  readonly group: ModuleGroup;
}

const PREFIXES = ['ansible.builtin.', 'ansible.legacy.'];

export function entry(group: ModuleGroup, name: string, load: () => Promise<Module>, aliases: string[] = []): ModuleEntry {
  return Object.freeze({ name, group, load, aliases: Object.freeze([...new Set([...aliases, ...PREFIXES.map((p) => p + name)])]) });
}
export const core = (name: string, load: () => Promise<Module>, aliases?: string[]) => entry('core', name, load, aliases);
export const sys = (name: string, load: () => Promise<Module>, aliases?: string[]) => entry('sys', name, load, aliases);
export const virt = (name: string, load: () => Promise<Module>, aliases?: string[]) => entry('virt', name, load, aliases);
