/** Lab constants: directories, host names, package lists. Everything else derives from here. */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { LabError } from './sys.js';

export const SUITE = 'bookworm';

/** Cache directory (image tarball, unpacked image, local apt repository). Survives `lab down`. */
export function cacheDir(): string {
  return process.env.KVPLAY_CACHE_DIR || '/var/cache/kvplay';
}

/** State directory of the default lab (KVPLAY_LAB_DIR); named labs live in labsRoot()/NAME. */
export function defaultLabDir(): string {
  return process.env.KVPLAY_LAB_DIR || '/var/lib/kvplay/lab';
}

/**
 * Several labs on one machine (`kvplay lab up --name NAME`). The lab a process works on is chosen
 * once, by selectLab() in the CLI layer (`--name`, `--lab`, KVPLAY_LAB); everything below follows
 * it: labDir(), BRIDGE, HOSTS[].veth, machineName(), cgroupName(). The default lab keeps the names
 * it always had (state, links and tests of a running default lab stay valid); a named lab gets
 * short names from a hash of its name (interface names have at most 15 characters).
 */
export const DEFAULT_LAB = 'default';
let currentLab = DEFAULT_LAB;

/** Named labs' state dirs: a `labs` directory beside the default lab's. */
export function labsRoot(): string {
  return join(dirname(resolve(defaultLabDir())), 'labs');
}

/** State directory of the selected lab (overlays, keys, inventory). Removed by `lab down`. */
export function labDir(): string {
  return currentLab === DEFAULT_LAB ? defaultLabDir() : join(labsRoot(), currentLab);
}

export const LAB_NAME_RE = /^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$/;

/** Why `name` is not a lab name ('' when it is one). */
export function labNameProblem(name: string): string {
  return LAB_NAME_RE.test(name) ? '' : `invalid lab name ${JSON.stringify(name)}: a lowercase letter, then up to 23 of a-z 0-9 - (not ending in -)`;
}

/** Link-name stem of a named lab: kvp + 4 hex digits of its name's hash (kvpXXXX-br, kvpXXXX-kvm1). */
export function labStem(name: string): string {
  return 'kvp' + createHash('sha256').update(`kvplay-lab:${name}`).digest('hex').slice(0, 4);
}

const DEFAULT_BRIDGE = process.env.KVPLAY_LAB_BRIDGE || 'kvplay0';
/** The selected lab's bridge (a live binding: follows selectLab()). */
export let BRIDGE = DEFAULT_BRIDGE;

/** Candidate /24 networks (first three octets); the first that collides with no route wins. */
export const SUBNET_CANDIDATES = [
  '10.237.20',
  '10.237.21',
  '10.238.20',
  '172.31.237',
  '192.168.237',
];

export type Role = 'kvm' | 'nfs';

export interface HostDef {
  name: string;
  /** last octet of the address */
  octet: number;
  role: Role;
  /** host-side veth name (<= 15 chars) */
  veth: string;
  /** fixed libvirt host_uuid */
  uuid: string;
}

const DEFAULT_HOSTS: HostDef[] = [
  { name: 'kvm1', octet: 2, role: 'kvm', veth: 'kvp-kvm1', uuid: '6b1c3a52-0d1e-4c4b-9a51-000000000001' },
  { name: 'kvm2', octet: 3, role: 'kvm', veth: 'kvp-kvm2', uuid: '6b1c3a52-0d1e-4c4b-9a51-000000000002' },
  { name: 'nfs', octet: 4, role: 'nfs', veth: 'kvp-nfs', uuid: '6b1c3a52-0d1e-4c4b-9a51-000000000003' },
];

/** The selected lab's hosts (a live binding: follows selectLab()). */
export let HOSTS: HostDef[] = DEFAULT_HOSTS;

/** Bridge and host-side veth names of lab `name` (the default lab's are kvplay0, kvp-kvm1, ...). */
export function labLinkNames(name: string): { bridge: string; veths: string[] } {
  if (name === DEFAULT_LAB) return { bridge: DEFAULT_BRIDGE, veths: DEFAULT_HOSTS.map((h) => h.veth) };
  const stem = labStem(name);
  return { bridge: `${stem}-br`, veths: DEFAULT_HOSTS.map((h) => `${stem}-${h.name}`) };
}

/** Work on lab `name` from now on (this process handles one lab at a time). */
export function selectLab(name: string): void {
  const bad = labNameProblem(name);
  if (bad) throw new LabError(bad, 'e.g. --name student1');
  currentLab = name;
  const n = labLinkNames(name);
  BRIDGE = n.bridge;
  HOSTS = DEFAULT_HOSTS.map((h, i) => ({ ...h, veth: n.veths[i] }));
}

export function selectedLab(): string {
  return currentLab;
}

/** Machine name given to systemd-nspawn (-M). Prefixed so it cannot clash with other containers. */
export function machineName(h: HostDef): string {
  return currentLab === DEFAULT_LAB ? `kvplay-${h.name}` : `kvplay-${currentLab}-${h.name}`;
}

/** The host's tracking cgroup (src/lab/cgroup.ts), unique per lab. */
export function cgroupName(h: HostDef): string {
  return currentLab === DEFAULT_LAB ? `kvplay-lab-${h.name}` : `kvplay-lab-${currentLab}-${h.name}`;
}

/** Packages in the base image (besides the essential set mmdebstrap always installs). */
export const IMAGE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'iproute2',
  'sudo',
  'ifupdown',
  'iputils-ping',
  'netcat-openbsd',
  'bridge-utils',
  'firewalld',
  'rpcbind',
  'nfs-common',
  'procps',
  'less',
  'netbase',
];

/** Services installed in the image but disabled there (the playbooks enable what they need). */
export const IMAGE_DISABLED_UNITS = [
  'firewalld.service',
  'rpcbind.service',
  'rpcbind.socket',
  'nfs-client.target',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'e2scrub_all.timer',
  'e2scrub_reap.service',
  'fstrim.timer',
];

/** Packages (plus their full dependency closure) served by the lab's local apt repository. */
export const REPO_PACKAGES = [
  'nfs-kernel-server',
  'nfs-common',
  'rpcbind',
  'firewalld',
  'nfs-ganesha',
  'nfs-ganesha-vfs',
  'sshfs',
  'fuse3',
  'bridge-utils',
  'ifupdown',
  'libvirt-daemon-system',
  'libvirt-clients',
  'qemu-system-x86',
  'qemu-utils',
  'busybox-static',
  'ca-certificates',
  'hello',
  // Ansible's apt module needs it on the host (it installs it from here when missing): the oracle runs on the lab too
  'python3-apt',
  ...IMAGE_PACKAGES,
];

/** Debian package names (policy: lowercase letters, digits, + - .; at least two characters). */
export const PKG_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** Parse `--packages a,b,c` (`none`: no extra packages). Throws LabError naming a bad name. */
export function parsePackageList(text: string): string[] {
  if (text.trim() === 'none') return [];
  const names = text.split(/[,\s]+/).filter(Boolean);
  for (const n of names) if (!PKG_NAME.test(n)) throw new LabError(`--packages: ${JSON.stringify(n)} is not a Debian package name`, 'e.g. --packages git,ntpsec (none: no extra packages)');
  if (!names.length) throw new LabError('--packages needs package names', 'e.g. --packages git,ntpsec (none: no extra packages)');
  return [...new Set(names)].sort();
}

/** Where the local repository appears inside every host. */
export const REPO_MOUNT = '/srv/kvplay-repo';

export function hashOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** `dir` and files in it by name: { dir, key: dir/name, ... }. */
export function filesIn<K extends string>(dir: string, names: Record<K, string>): { dir: string } & Record<K, string> {
  const out: Record<string, string> = { dir };
  for (const k of Object.keys(names) as K[]) out[k] = join(dir, names[k]);
  return out as { dir: string } & Record<K, string>;
}

const STATE_FILES = { state: 'state.json', key: 'id_ed25519', knownHosts: 'known_hosts', inventory: 'inventory.yaml', sshConfig: 'ssh_config', password: 'student_password' };

/** The files every lab (container or VM) keeps in its state directory `dir()`, as functions (the directory is chosen at run time). */
export const labStateFiles = (dir: () => string) => ({
  ...(Object.fromEntries(Object.entries(STATE_FILES).map(([k, f]) => [k, () => join(dir(), f)])) as Record<keyof typeof STATE_FILES, () => string>),
  hostDir: (h: HostDef) => join(dir(), 'hosts', h.name),
});

export const paths = {
  image: () => join(cacheDir(), 'image.tar.zst'),
  imageKey: () => join(cacheDir(), 'image.key'),
  rootfs: () => join(cacheDir(), 'rootfs'),
  rootfsKey: () => join(cacheDir(), 'rootfs.key'),
  repo: () => join(cacheDir(), 'repo'),
  repoKey: () => join(cacheDir(), 'repo.key'),
  /** the user's extra packages for the repository (`kvplay lab up --packages a,b`), one per line */
  repoExtras: () => join(cacheDir(), 'repo-packages'),
  ...labStateFiles(labDir),
  nfsShare: () => join(labDir(), 'nfsshare'),
  lock: () => labDir().replace(/\/+$/, '') + '.lock',
  /** held while the shared cache (image, rootfs, repository) is built or unpacked */
  cacheLock: () => join(cacheDir(), 'build.lock'),
};
