/**
 * The module registry: ONE list of every module, each as its names and a loader of its code.
 * Every module also answers to ansible.builtin.NAME / ansible.legacy.NAME (parameters match Ansible's).
 * The engine handles meta, block, include_tasks/import_tasks, include_role/import_role itself.
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

function entry(group: ModuleGroup, name: string, load: () => Promise<Module>, aliases: string[] = []): ModuleEntry {
  return Object.freeze({ name, group, load, aliases: Object.freeze([...new Set([...aliases, ...PREFIXES.map((p) => p + name)])]) });
}
const core = (name: string, load: () => Promise<Module>, aliases?: string[]) => entry('core', name, load, aliases);
const sys = (name: string, load: () => Promise<Module>, aliases?: string[]) => entry('sys', name, load, aliases);
const virt = (name: string, load: () => Promise<Module>, aliases?: string[]) => entry('virt', name, load, aliases);

export const MODULES: readonly ModuleEntry[] = Object.freeze([
  core('command', async () => (await import('./command.js')).command),
  core('shell', async () => (await import('./command.js')).shell),
  core('raw', async () => (await import('./command.js')).raw),
  core('copy', async () => (await import('./copy.js')).copy),
  core('template', async () => (await import('./copy.js')).template),
  core('file', async () => (await import('./file.js')).file),
  core('lineinfile', async () => (await import('./lineinfile.js')).lineinfile),
  core('blockinfile', async () => (await import('./blockinfile.js')).blockinfile),
  core('stat', async () => (await import('./stat.js')).stat),
  core('slurp', async () => (await import('./stat.js')).slurp),
  core('fetch', async () => (await import('./fetch.js')).fetch),
  core('debug', async () => (await import('./control.js')).debug),
  core('set_fact', async () => (await import('./control.js')).set_fact),
  core('assert', async () => (await import('./control.js')).assert),
  core('fail', async () => (await import('./control.js')).fail),
  core('ping', async () => (await import('./control.js')).ping),
  core('wait_for', async () => (await import('./wait_for.js')).wait_for),
  core('pause', async () => (await import('./pause.js')).pause),
  core('async_status', async () => (await import('./async_status.js')).async_status),
  core('setup', async () => (await import('./setup.js')).setup),
  core('include_vars', async () => (await import('./include_vars.js')).include_vars),
  core('apt', async () => (await import('./apt.js')).apt),
  core('systemd', async () => (await import('./systemd.js')).systemd, ['systemd_service', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd_service']),
  core('user', async () => (await import('./user.js')).user),
  core('group', async () => (await import('./group.js')).group),
  core('replace', async () => (await import('./replace.js')).replace),
  core('service_facts', async () => (await import('./service_facts.js')).service_facts),
  core('package_facts', async () => (await import('./package_facts.js')).package_facts),
  core('add_host', async () => (await import('./inventory_mods.js')).add_host),
  core('group_by', async () => (await import('./inventory_mods.js')).group_by),
  core('find', async () => (await import('./find.js')).find),
  core('tempfile', async () => (await import('./tempfile.js')).tempfile),
  core('hostname', async () => (await import('./hostname.js')).hostname),
  core('timezone', async () => (await import('./timezone.js')).timezone, ['community.general.timezone']),
  core('modprobe', async () => (await import('./modprobe.js')).modprobe, ['community.general.modprobe']),
  core('uri', async () => (await import('./uri.js')).uri),
  core('get_url', async () => (await import('./get_url.js')).get_url),
  core('nmcli', async () => (await import('./collections.js')).nmcli, ['community.general.nmcli']),
  core('virt', async () => (await import('./collections.js')).virt, ['community.libvirt.virt']),
  core('virt_pool', async () => (await import('./collections.js')).virt_pool, ['community.libvirt.virt_pool']),
  core('unarchive', async () => (await import('./unarchive.js')).unarchiveModule),
  core('dnf', async () => (await import('./dnf.js')).dnf),
  core('yum', async () => (await import('./dnf.js')).yum),
  sys('package', async () => (await import('./package.js')).packageModule, ['ansible.builtin.package']),
  sys('service', async () => (await import('./service.js')).service, ['ansible.builtin.service']),
  sys('firewalld', async () => (await import('./firewalld.js')).firewalld, ['ansible.posix.firewalld']),
  sys('nfs_export', async () => (await import('./nfs_export.js')).nfs_export),
  sys('mount', async () => (await import('./mount.js')).mount, ['ansible.posix.mount', 'ansible.builtin.mount']),
  sys('bridge', async () => (await import('./bridge.js')).bridge),
  sys('ssh_keypair', async () => (await import('./ssh_keypair.js')).ssh_keypair, ['community.crypto.openssh_keypair', 'openssh_keypair']),
  sys('authorized_key', async () => (await import('./authorized_key.js')).authorized_key, ['ansible.posix.authorized_key']),
  sys('known_hosts', async () => (await import('./known_hosts.js')).known_hosts, ['ansible.builtin.known_hosts']),
  sys('sysctl', async () => (await import('./sysctl.js')).sysctl, ['ansible.posix.sysctl']),
  virt('libvirt_pool', async () => (await import('./libvirt_pool.js')).libvirt_pool),
  virt('libvirt_domain', async () => (await import('./libvirt_domain.js')).libvirt_domain),
  virt('domain_xml', async () => (await import('./domain_xml.js')).domain_xml),
  virt('migrate', async () => (await import('./migrate.js')).migrate),
  virt('cold_migrate', async () => (await import('./cold_migrate.js')).cold_migrate),
  virt('guest_image', async () => (await import('./virt/guest_image.js')).guest_image),
]);

const byName = new Map<string, ModuleEntry>();
for (const e of MODULES) {
  for (const n of [e.name, ...e.aliases]) {
    if (byName.has(n)) throw new Error(`module name ${n} is registered twice`);
    byName.set(n, e);
  }
}

/** A module's ModuleInfo, as dist/modules.json stores it (optional keys only when set). */
export function infoOf(m: ModuleInfo): ModuleInfo {
  return { name: m.name, doc: m.doc, schema: m.schema, ...(m.freeForm !== undefined ? { freeForm: m.freeForm } : {}), ...(m.templateKeys !== undefined ? { templateKeys: m.templateKeys } : {}) };
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
