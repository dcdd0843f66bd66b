/**
 * Module registry. Every module answers to its short name and to ansible.builtin.NAME /
 * ansible.legacy.NAME (parameters match Ansible's). The engine handles meta, block,
 * include_tasks/import_tasks, include_role/import_role itself.
 */
import type { Module } from './types.js';
import { command, raw, shell } from './command.js';
import { copy, template } from './copy.js';
import { file } from './file.js';
import { lineinfile } from './lineinfile.js';
import { blockinfile } from './blockinfile.js';
import { slurp, stat } from './stat.js';
import { fetch } from './fetch.js';
import { assert, debug, fail, ping, set_fact } from './control.js';
import { wait_for } from './wait_for.js';
import { pause } from './pause.js';
import { setup } from './setup.js';
import { SYS_MODULES } from './sys/index.js';
import { VIRT_MODULES } from './virt/index.js';

const ALL: Module[] = [
  command, shell, raw, copy, template, file, lineinfile, blockinfile, stat, slurp, fetch,
  debug, set_fact, assert, fail, ping, wait_for, pause, setup,
  ...SYS_MODULES,
  ...VIRT_MODULES,
];

const PREFIXES = ['ansible.builtin.', 'ansible.legacy.'];

const byName = new Map<string, Module>();
for (const m of ALL) {
  m.aliases = [...new Set([...(m.aliases ?? []), ...PREFIXES.map((p) => p + m.name)])];
  byName.set(m.name, m);
  for (const a of m.aliases) byName.set(a, m);
}

/** The module for a task key (short name or collection alias), or undefined. */
export function getModule(name: string): Module | undefined {
  return byName.get(name);
}

/** Canonical module names, sorted. */
export function moduleNames(): string[] {
  return ALL.map((m) => m.name).sort();
}

/** Every accepted name (canonical and aliases), for "did you mean" on unknown task keys. */
export function allModuleNames(): string[] {
  return [...byName.keys()].sort();
}

/** Register an extra module (other folders' modules: packages, services, virt...). */
export function registerModule(m: Module): void {
  if (!ALL.includes(m)) ALL.push(m);
  byName.set(m.name, m);
  for (const a of m.aliases ?? []) byName.set(a, m);
}
