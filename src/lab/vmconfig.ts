/**
 * The VM flavour of the lab (`kvplay lab up --vm`): the same three hosts kvm1, kvm2, nfs as real
 * Debian kernels under QEMU (KVM where /dev/kvm really runs a guest, else TCG), in a network
 * namespace of their own. Constants and paths only; everything else derives from here.
 */
import { join } from 'node:path';
import { HOSTS, HostDef, cacheDir, defaultLabDir, filesIn, labStateFiles } from './config.js';

export const VM_HOSTS: HostDef[] = HOSTS;

/** State dir of the running VM lab (overlays, keys, inventory, PID files). Removed by `lab down --vm`. */
export function vmLabDir(): string {
  return process.env.KVPLAY_VMLAB_DIR || join(defaultLabDir(), '..', 'vmlab');
}

/**
 * Machine-wide run dir (tmpfs: gone with the VMs at a reboot): the VM lab lock and the owner file.
 * One VM lab per machine: its namespace, veth and tap names are the machine's, whatever
 * KVPLAY_VMLAB_DIR says. KVPLAY_VMLAB_RUN_DIR is for tests only.
 */
export const vmRunDir = (): string => process.env.KVPLAY_VMLAB_RUN_DIR || '/run/kvplay';

/** The network namespace holding the VMs' bridge and taps. */
export const VM_NETNS = process.env.KVPLAY_VMLAB_NETNS || 'kvplay-vm';
/** Bridge inside the namespace. */
export const VM_BRIDGE = 'kvpvmbr';
/** veth pair: the machine's end (holds <subnet>.1) and the namespace's end (a bridge port). */
export const VM_VETH_HOST = 'kvpvm0';
export const VM_VETH_NS = 'kvpvm0-ns';
export const vmTap = (h: HostDef) => `tap-${h.name}`;
export const vmMac = (h: HostDef) => `52:54:00:6b:76:${h.octet.toString(16).padStart(2, '0')}`;

/** Candidate /24s, disjoint from the container lab's (both labs can be up). */
export const VM_SUBNET_CANDIDATES = ['10.237.30', '10.237.31', '10.238.30', '172.31.238', '192.168.238'];

/** Guest RAM (MiB): the KVM hosts run libvirtd and a nested 128 MiB guest. */
export const vmMemory = (h: HostDef) => (h.role === 'kvm' ? 1024 : 768);

/**
 * Packages of the VM image. Everything the roles install is already in it (under QEMU
 * emulation dpkg is slow); the services stay disabled, so the playbooks still enable and start them.
 */
export const VM_IMAGE_PACKAGES = [
  'systemd-sysv', 'udev', 'dbus', 'kmod', 'openssh-server', 'sudo', 'network-manager', 'iproute2', 'iputils-ping',
  'netcat-openbsd', 'procps', 'netbase', 'less', 'linux-image-amd64', 'initramfs-tools', 'e2fsprogs', 'busybox-static', 'cpio',
  'nfs-kernel-server', 'nfs-common', 'rpcbind', 'firewalld',
  'qemu-system-x86', 'qemu-utils', 'libvirt-daemon-system', 'libvirt-clients',
];

/** Installed but disabled in the image: the roles enable what they need. */
export const VM_DISABLED_UNITS = [
  'firewalld.service', 'rpcbind.service', 'rpcbind.socket', 'nfs-server.service', 'nfs-client.target',
  'libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket', 'libvirt-guests.service',
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service', 'fstrim.timer',
];

/** Modules of the small initrd (the stock one is 5x bigger and costs seconds per boot under TCG). */
export const VM_INITRD_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'ext4', 'crc32c_generic'];

export const VM_DISK_SIZE = '4G';
export const REPO_LABEL = 'kvrepo';

export const vmPaths = {
  cache: () => join(cacheDir(), 'vm'),
  image: (key: string) => join(cacheDir(), 'vm', `image-${key}`),
  repoImg: (key: string) => join(cacheDir(), 'vm', `repo-${key}.img`),
  ...labStateFiles(vmLabDir),
  studentInventory: () => join(vmLabDir(), 'inventory-student.yaml'),
  /** held by every VM lab command that changes the lab (machine-wide: one VM lab per machine) */
  lock: () => join(vmRunDir(), 'vmlab.lock'),
  /** the state dir of the VM lab that is up (or half up) on this machine */
  owner: () => join(vmRunDir(), 'vmlab.owner'),
};

export const vmHostPaths = (h: HostDef) =>
  filesIn(vmPaths.hostDir(h), {
    disk: 'disk.qcow2', pid: 'qemu.pid', monitor: 'monitor.sock', serial: 'serial.sock',
    console: 'console.log', seed: 'identity', hostKey: 'ssh_host_ed25519_key', qemuLog: 'qemu.log',
  });
