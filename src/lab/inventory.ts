/** Files the lab hands to its users: inventory (Ansible YAML), known_hosts, ssh_config. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { HOSTS, HostDef, labDir, paths } from './config.js';
import { LabNet, hostAddress, hostKeys } from './host.js';

export type NfsBackend = 'kernel' | 'ganesha';
export type SharedStorageBackend = 'nfs' | 'sshfs';

export interface StorageBackends {
  nfsBackend: NfsBackend;
  sharedStorageBackend: SharedStorageBackend;
  /** human explanation, printed by `lab up` */
  note: string;
}

function kernelHas(fs: string, procFilesystems: string): boolean {
  if (procFilesystems.split('\n').some((l) => l.trim().split(/\s+/).pop() === fs)) return true;
  // a loadable module would be loaded on first use
  try {
    const rel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    const dir = `/lib/modules/${rel}/kernel/fs/${fs}`;
    return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(`${fs}.ko`));
  } catch {
    return false;
  }
}

/** Kernel NFS server (nfsd) and client (nfs/nfs4) present? Picks the storage backends for the roles. */
export function detectStorage(procFilesystems?: string): StorageBackends {
  const pf = procFilesystems ?? (existsSync('/proc/filesystems') ? readFileSync('/proc/filesystems', 'utf8') : '');
  // (an empty /proc/fs/nfsd directory exists even on kernels without nfsd: do not trust it)
  const server = kernelHas('nfsd', pf);
  const client = kernelHas('nfs', pf) || kernelHas('nfs4', pf);
  const nfsBackend: NfsBackend = server ? 'kernel' : 'ganesha';
  const sharedStorageBackend: SharedStorageBackend = client ? 'nfs' : 'sshfs';
  const missing = [!server && 'NFS server (nfsd)', !client && 'NFS client'].filter(Boolean);
  const note = missing.length
    ? `this kernel lacks ${missing.join(' and ')}: nfs_backend=${nfsBackend}, shared_storage_backend=${sharedStorageBackend}`
    : 'kernel NFS available: nfs_backend=kernel, shared_storage_backend=nfs';
  return { nfsBackend, sharedStorageBackend, note };
}

export function knownHostsText(net: LabNet): string {
  const lines: string[] = [];
  for (const h of HOSTS) for (const k of hostKeys(h)) lines.push(`${h.name},${h.name}.lab,${hostAddress(net, h)} ${k}`);
  return lines.join('\n') + '\n';
}

function hostVars(net: LabNet, h: HostDef): Record<string, unknown> {
  const v: Record<string, unknown> = { ansible_host: hostAddress(net, h), lab_address: hostAddress(net, h) };
  if (h.role === 'kvm') v.libvirt_host_uuid = h.uuid;
  return v;
}

/** Where a lab keeps the client key, known_hosts and the student password (the container lab's by default). */
export interface LabFiles {
  key: string;
  knownHosts: string;
  password: string;
}

export function inventoryObject(
  net: LabNet,
  st: StorageBackends,
  user: 'root' | 'student' = 'root',
  password?: string,
  files: LabFiles = { key: paths.key(), knownHosts: paths.knownHosts(), password: paths.password() },
  extraVars: Record<string, unknown> = {},
) {
  const nfs = HOSTS.find((h) => h.role === 'nfs')!;
  const group = (role: string) =>
    Object.fromEntries(HOSTS.filter((h) => h.role === role).map((h) => [h.name, hostVars(net, h)]));
  const vars: Record<string, unknown> = {
    ansible_user: user,
    ansible_ssh_private_key_file: files.key,
    kvplay_known_hosts_file: files.knownHosts,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${files.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
    kvplay_lab: true,
    ...extraVars,
    lab_network: `${net.subnet}.0/24`,
    lab_gateway_address: `${net.subnet}.1`,
    nfs_server: nfs.name,
    nfs_server_address: hostAddress(net, nfs),
    lab_student_user: 'student',
    lab_student_password_file: files.password,
  };
  if (user === 'student') {
    vars.ansible_become = true;
    vars.ansible_become_method = 'sudo';
    vars.ansible_become_password = password;
  }
  return {
    all: {
      vars,
      children: {
        kvm_hosts: { hosts: group('kvm'), vars: { shared_storage_backend: st.sharedStorageBackend } },
        nfs_servers: { hosts: group('nfs'), vars: { nfs_backend: st.nfsBackend } },
      },
    },
  };
}

export function sshConfigText(net: LabNet): string {
  const out = [`# kvplay lab: ssh -F ${paths.sshConfig()} kvm1`, ''];
  for (const h of HOSTS) out.push(`Host ${h.name} ${h.name}.lab`, `  HostName ${hostAddress(net, h)}`, '');
  out.push(
    `Host ${HOSTS.map((h) => `${h.name} ${h.name}.lab`).join(' ')}`,
    '  User root',
    `  IdentityFile ${paths.key()}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${paths.knownHosts()}`,
    '  StrictHostKeyChecking yes',
    '  LogLevel ERROR',
    '',
  );
  return out.join('\n');
}

/** Write known_hosts, inventory.yaml, inventory-student.yaml (0600) and ssh_config into the state dir. */
export function writeLabFiles(net: LabNet, st: StorageBackends, studentPassword: string): void {
  writeFileSync(paths.knownHosts(), knownHostsText(net));
  const head = `# kvplay lab inventory (generated by \`kvplay lab up\`; removed by \`kvplay lab down\`)\n`;
  writeFileSync(paths.inventory(), head + stringify(inventoryObject(net, st), { lineWidth: 0 }));
  writeFileSync(
    studentInventoryPath(),
    head + '# user student with sudo (become) password\n' + stringify(inventoryObject(net, st, 'student', studentPassword), { lineWidth: 0 }),
    { mode: 0o600 },
  );
  writeFileSync(paths.sshConfig(), sshConfigText(net));
}

export const studentInventoryPath = () => `${labDir()}/inventory-student.yaml`;
