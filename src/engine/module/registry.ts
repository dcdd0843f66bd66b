/**
 * The module registry over the ONE list of modules (src/modules/index.ts): find a module by any of
 * its names, describe it (ModuleInfo) and load its code.
 *
 * Before any task runs the playbook loader needs only each module's ModuleInfo (schema, doc,
 * free-form parameter). A build writes it into dist/modules.json (scripts/gen-validators.mjs), so a
 * run loads a module's code, with its libraries (xmldom, xpath, ...), when a task first uses it
 * (loadModule). Without that file (tests under tsx) every module is loaded once to read it.
 * Module objects are never modified: their other names live here.
 */
import { readFileSync } from 'node:fs';
import type { Module, ModuleInfo } from './types.js';
import { builtFile } from './built.js';
import type { ModuleEntry, ModuleMeta } from './entry.js';
import { MODULES } from '../../modules/index.js';

export { MODULES };
export type { ModuleEntry, ModuleGroup, ModuleMeta } from './entry.js';

const byName = new Map<string, ModuleEntry>();
for (const e of MODULES) {
  for (const n of [e.name, ...e.aliases]) {
    if (byName.has(n)) throw new Error(`module name ${n} is registered twice`);
    byName.set(n, e);
  }
}

/** A module's ModuleInfo, as dist/modules.json stores it (optional keys only when set). */
export function infoOf(m: ModuleInfo): ModuleInfo {
  const opt = <K extends 'freeForm' | 'templateKeys' | 'notes' | 'examples'>(k: K) => (m[k] !== undefined ? { [k]: m[k] } : {});
  return { name: m.name, doc: m.doc, schema: m.schema, ...opt('freeForm'), ...opt('templateKeys'), ...opt('notes'), ...opt('examples') };
}

/** The ModuleInfo of every module from dist/modules.json, or null (no build, or one without some module). */
function fromManifest(): Map<string, ModuleInfo> | null {
  const file = builtFile('modules.json');
  if (!file) return null;
  const list = JSON.parse(readFileSync(file, 'utf8')) as ModuleInfo[];
  const map = new Map(list.map((i) => [i.name, i]));
  return MODULES.every((e) => map.has(e.name)) ? map : null;
}

async function fromCode(): Promise<Map<string, ModuleInfo>> {
  const mods = await Promise.all(MODULES.map((e) => loadEntry(e)));
  return new Map(mods.map((m) => [m.name, infoOf(m)]));
}

const loaded = new Map<ModuleEntry, Promise<Module>>();
function loadEntry(e: ModuleEntry): Promise<Module> {
  let p = loaded.get(e);
  if (!p) {
    p = e.load().then((m) => {
      if (m.name !== e.name) throw new Error(`the registry's module ${e.name} loaded a module named ${m.name}`);
      // a build whose dist/modules.json is older than its code checked the playbook against other schemas
      if (MANIFEST && JSON.stringify(infoOf(m)) !== JSON.stringify(MANIFEST.get(e.name))) {
        throw new Error(`dist/modules.json does not describe the built module ${e.name}: rebuild kvplay (npm run build)`);
      }
      return m;
    });
    loaded.set(e, p);
  }
  return p;
}

const MANIFEST = fromManifest();
const INFO: Map<string, ModuleInfo> = MANIFEST ?? (await fromCode());
const metas = new Map<ModuleEntry, ModuleMeta>();

/** The registry entry for a task key (short name or collection alias), or undefined. */
export function findModule(name: string): ModuleEntry | undefined {
  return byName.get(name);
}

/** What the loader needs of a module (no module code is loaded), by any of its names; undefined when unknown. */
export function moduleMeta(name: string): ModuleMeta | undefined {
  const e = byName.get(name);
  if (!e) return undefined;
  let m = metas.get(e);
  if (!m) {
    m = Object.freeze({ ...INFO.get(e.name)!, aliases: e.aliases, group: e.group });
    metas.set(e, m);
  }
  return m;
}

/** The module's code for a task key (imported on first use), or undefined when no module has that name. */
export async function loadModule(name: string): Promise<Module | undefined> {
  const e = byName.get(name);
  return e ? loadEntry(e) : undefined;
}

/** Canonical module names, sorted. */
export function moduleNames(): string[] {
  return MODULES.map((m) => m.name).sort();
}

/** Every accepted name (canonical and aliases), for "did you mean" on unknown task keys. */
export function allModuleNames(): string[] {
  return [...byName.keys()].sort();
}
