/** Lab constants: directories, host names, package lists. Everything else derives from here. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const SUITE = 'bookworm';

/** Cache directory (image tarball, unpacked image, local apt repository). Survives `lab down`. */
export function cacheDir(): string {
  return process.env.KVPLAY_CACHE_DIR || '/var/cache/kvplay';
}

/** State directory of the running lab (overlays, keys, inventory). Removed by `lab down`. */
export function labDir(): string {
  return process.env.KVPLAY_LAB_DIR || '/var/lib/kvplay/lab';
}

export const BRIDGE = process.env.KVPLAY_LAB_BRIDGE || 'kvplay0';

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

export const HOSTS: HostDef[] = [
  { name: 'kvm1', octet: 2, role: 'kvm', veth: 'kvp-kvm1', uuid: '6b1c3a52-0d1e-4c4b-9a51-000000000001' },
  { name: 'kvm2', octet: 3, role: 'kvm', veth: 'kvp-kvm2', uuid: '6b1c3a52-0d1e-4c4b-9a51-000000000002' },
  { name: 'nfs', octet: 4, role: 'nfs', veth: 'kvp-nfs', uuid: '6b1c3a52-0d1e-4c4b-9a51-000000000003' },
];

/** Machine name given to systemd-nspawn (-M). Prefixed so it cannot clash with other containers. */
export function machineName(h: HostDef): string {
  return `kvplay-${h.name}`;
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
  ...IMAGE_PACKAGES,
];

/** Where the local repository appears inside every host. */
export const REPO_MOUNT = '/srv/kvplay-repo';

export function hashOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

export const paths = {
  image: () => join(cacheDir(), 'image.tar.zst'),
  imageKey: () => join(cacheDir(), 'image.key'),
  rootfs: () => join(cacheDir(), 'rootfs'),
  rootfsKey: () => join(cacheDir(), 'rootfs.key'),
  repo: () => join(cacheDir(), 'repo'),
  repoKey: () => join(cacheDir(), 'repo.key'),
  state: () => join(labDir(), 'state.json'),
  key: () => join(labDir(), 'id_ed25519'),
  knownHosts: () => join(labDir(), 'known_hosts'),
  inventory: () => join(labDir(), 'inventory.yaml'),
  sshConfig: () => join(labDir(), 'ssh_config'),
  password: () => join(labDir(), 'student_password'),
  nfsShare: () => join(labDir(), 'nfsshare'),
  hostDir: (h: HostDef) => join(labDir(), 'hosts', h.name),
  lock: () => labDir().replace(/\/+$/, '') + '.lock',
};
