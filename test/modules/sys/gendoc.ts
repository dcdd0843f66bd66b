/** Regenerates docs/modules.md from the module schemas: node --import tsx test/modules/sys/gendoc.ts > docs/modules.md */
import { MODULES, moduleNames, moduleMeta } from '../../../src/modules/index.js';

const SYS_MODULES = await Promise.all(MODULES.filter((e) => e.group === 'sys').map((e) => e.load()));
const aliasesOf = (name: string) => moduleMeta(name)!.aliases;
const NOTES: Record<string, string> = {
  package: `Facts (one round trip): the package manager (from gathered \`pkg_mgr\`/\`os_family\`, else detected), installed state (\`dpkg-query\` / \`rpm -q\`), candidates (\`apt-cache policy\`; \`dnf check-update\` for latest), cache age. apt runs with \`DEBIAN_FRONTEND=noninteractive\` and keeps changed config files (\`--force-confold\`). Without \`cache_valid_time\`, \`update_cache\` refreshes only when something is to be installed, so a second run is \`ok\`; a host that has no package lists at all gets them before installing. An unknown package fails before anything runs (check mode predicts). Difference from Ansible: no version pins (\`name=1.2\`), no \`deb:\`; \`apt\`/\`dnf\`/\`yum\` are not aliases (their parameters differ).

\`\`\`yaml
- package: {name: [nfs-ganesha, nfs-ganesha-vfs, rpcbind], update_cache: true, policy_rc_d: 101}
\`\`\``,
  service: `Facts: \`systemctl show -p LoadState,ActiveState,NeedDaemonReload\` and \`systemctl is-enabled\` (SysV \`service NAME status\` + rc links without systemd). \`started\`/\`stopped\`/\`enabled\` change only when needed; \`restarted\`/\`reloaded\` always change (use them in handlers). \`static\`, \`indirect\`, \`alias\` and \`generated\` units count as enabled. A unit that does not exist fails, except in check mode (an earlier package task installs it: the change is predicted). Alias: \`ansible.builtin.service\`; \`systemd\` is Ansible's systemd module (docs/ansible-modules.md).

\`\`\`yaml
- service: {name: rpcbind, state: started, enabled: true}
\`\`\``,
  firewalld: `One item (service, port, source, interface or rich rule) per task. Facts: \`firewall-cmd --state\`, the zone (default zone unless given), \`--query-…\` of the runtime and of the permanent configuration (\`firewall-offline-cmd\` when the daemon is stopped). Both are planned separately: only the missing half is added, so there is never an ALREADY_ENABLED error, and only the given item is ever added (ports must look like \`2049/tcp\`). \`permanent: true\` without \`immediate\` leaves the runtime alone; without \`permanent\` only the runtime changes (which needs the daemon running). Alias \`ansible.posix.firewalld\`.

\`\`\`yaml
- firewalld: {service: "{{ item }}", permanent: true, immediate: true, state: enabled}
  loop: [rpc-bind, nfs, mountd]
\`\`\``,
  nfs_export: `The export is data: \`path\` + \`clients\`. Kernel backend: /etc/exports is parsed structurally (comments, continuation lines and other exports are kept byte for byte); the entry of the path is added, replaced or removed (clients and options compared as sets). Ganesha backend: the \`EXPORT { … }\` block whose \`Path\` is the path, in \`exports_file\` (the nfs_server role includes that file from its ganesha.conf); options are mapped (\`rw\`/\`ro\` → \`Access_Type\`, \`root_squash\`/\`no_root_squash\`/\`all_squash\` → \`Squash\`, \`anonuid\`/\`anongid\`, \`sec\`, \`secure\`/\`insecure\` → \`PrivilegedPort\`; the rest, e.g. \`sync\`, has no ganesha meaning and is reported in \`ignored_options\`). Every option is checked against exports(5) BEFORE anything is written; the error names the option and the client and suggests the closest known option. Files are written atomically with a backup. \`reload: true\` runs \`exportfs -ra\` (or reloads a running nfs-ganesha) after a change; roles notify a handler instead. Note: ganesha answers \`showmount -e\` only with the exports the asking client may mount.

\`\`\`yaml
- nfs_export:
    path: /nfsshare
    clients: "{{ groups.kvm_hosts | map('extract', hostvars, 'ansible_host') | list }}"
    options: [rw, sync, no_root_squash]
  notify: re-export NFS
\`\`\``,
  mount: `Facts: /etc/fstab, /proc/self/mountinfo (the mount visible at \`path\`), the mount point, systemd as PID 1. The fstab line of the mount point is added or replaced (atomic write, backup), followed by \`systemctl daemon-reload\` where systemd is PID 1. The live mount is compared with the wanted one: source, type (nfs ≈ nfs4) and the options the kernel shows (ro/rw, nosuid, nodev, noexec, atime flags; FUSE \`allow_other\`, \`default_permissions\`; NFS \`vers\`, \`proto\`, \`hard\`/\`soft\`, \`sec\`); options it cannot show (\`_netdev\`, \`reconnect\`, \`IdentityFile=…\`) are not compared. A difference means unmount + mount for FUSE/NFS, \`mount -o remount\` otherwise. \`absent\` unmounts even when there is no fstab line. Difference from Ansible: \`absent\` keeps the mount point directory; no \`ephemeral\`. Aliases \`ansible.posix.mount\`, \`ansible.builtin.mount\`.

\`\`\`yaml
- mount:
    path: /kvm/disk
    src: root@nfs:/nfsshare
    fstype: fuse.sshfs
    opts: allow_other,reconnect,IdentityFile=/root/.ssh/id_ed25519,StrictHostKeyChecking=yes,_netdev
    state: mounted
\`\`\``,
  bridge: `Facts: \`ip -j -d addr\`, the default route, NetworkManager devices, networkd links, /etc/network/interfaces, the kvplay unit. The uplink NIC is \`interface\`, else the default route's interface, else the one holding \`ansible_host\` (the lab has no default route), else the only Ethernet NIC with IPv4. Backend: NetworkManager where it manages the NIC (\`nmcli\`: a bridge profile copying the old connection's IP settings + a port profile; rollback reactivates the old one), ifupdown where /etc/network/interfaces has the NIC's stanza (the stanza becomes \`iface NIC inet manual\` and its options move to \`iface br0\` with \`bridge_ports NIC\`, \`bridge_hw\` = the NIC's MAC; \`ifdown NIC; ifup br0\`), systemd-networkd where it configures the NIC (a .netdev, a port .network, the old .network copied for br0 and set aside), else iproute2 + /etc/kvplay/bridge-br0.sh and a \`kvplay-bridge-br0\` unit.

The switch never cuts the SSH session: step 1 starts ONE detached script (\`setsid nohup\`) that switches, checks (NIC enslaved, address on br0), writes the persistent configuration, reports \`switched\`, and then waits \`rollback_timeout\` seconds for a confirmation file; without it, it rolls everything back. Step 2 waits for \`switched\` (its answer has to cross the new path), step 3 touches the confirmation (it has to arrive over the new path) and waits for \`committed\`. A failed switch rolls back at once and the task fails with the script's log. Idempotent: br0 up with the NIC as port, the address on br0, none left on the NIC, and the persistent configuration present → \`ok\`; only the configuration missing → only the file is written.

\`\`\`yaml
- bridge: {name: br0}
\`\`\``,
  ssh_keypair: `Generates the key with \`ssh-keygen\` (no passphrase) only when the private key is missing; re-derives a missing .pub; never reads the private key. Registers \`public_key\` (\`''\` in check mode when the key does not exist yet: tasks that use it then predict their change). Relative paths are under the user's home (\`getent passwd\`).

\`\`\`yaml
- ssh_keypair: {user: root}
  register: root_key
\`\`\``,
  authorized_key: `Keys are matched by their base64 blob (a different comment is not a different key); \`key_options\`/\`comment\` are enforced when given. ~/.ssh is created 0700 and the file 0600, owned by the user; written atomically. An empty key (registered by a task that did not run in check mode) predicts a change in check mode and fails otherwise. \`exclusive\` is not supported. Alias \`ansible.posix.authorized_key\`.

\`\`\`yaml
- authorized_key: {user: root, key: "{{ hostvars[item].root_key.public_key }}"}
  loop: "{{ groups.kvm_hosts }}"
\`\`\``,
  known_hosts: `The key is given — read from the target host through kvplay (e.g. \`cat /etc/ssh/ssh_host_ed25519_key.pub\` registered there), not fetched with ssh-keyscan over the network, so it is the real one. Entries of the host are found plain or hashed (\`|1|salt|hash\`); the same key present → \`ok\`; another key of the same type → replaced (reinstalled host). \`hash_host: true\` writes the name hashed. Alias \`ansible.builtin.known_hosts\`.

\`\`\`yaml
- command: cat /etc/ssh/ssh_host_ed25519_key.pub
  register: hostkey
  check_mode: false
  changed_when: false
- known_hosts: {name: "{{ item }}", key: "{{ hostvars[item].hostkey.stdout }}", user: root}
  loop: "{{ groups.kvm_hosts }}"
\`\`\``,
  sysctl: `One \`name = value\` line in the sysctl file (atomic write, backup) and, with \`reload\` (default), \`sysctl -w name=value\` when the running value differs (only that key, not a whole \`sysctl -p\`). Alias \`ansible.posix.sysctl\`.

\`\`\`yaml
- sysctl: {name: net.ipv4.ip_forward, value: 1, sysctl_file: /etc/sysctl.d/90-kvplay.conf}
\`\`\``,
};
function typeOf(s: any): string {
  if (s.enum) return s.enum.map((x: string) => `\`${x}\``).join(' \\| ');
  if (s.anyOf) return 'list of hosts or {host, options}';
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : s.type ?? 'any';
  return t === 'array' ? 'list' : t;
}
let out = `# System modules

kvplay's modules for the lab's system work: packages, services, firewalld, NFS exports,
mounts, the bridge and SSH trust. Every module follows the contract of src/modules/types.ts:
its parameters are a JSON schema (validated before the run and again after templating), its
facts are read right before planning in ONE round trip, planning is pure (tested from facts
recorded on the lab hosts: test/modules/sys), check mode runs only the facts and the plan,
\`--diff\` shows what changes, and nothing to do is \`ok\` with a reason. Every value reaching a
command line is quoted (src/transport/quote.ts); files are written atomically (temp file +
rename) and an existing file under /etc is backed up first (\`FILE.YYYYMMDDTHHMMSS.kvplay~\`).

The parameter tables are generated from the schemas (src/modules/*.ts) by
\`node --import tsx test/modules/sys/gendoc.ts > docs/modules.md\`; a test
(test/modules/sys/docs.test.ts) checks that every parameter is listed here.

| module | what it does |
| --- | --- |
${SYS_MODULES.map((m) => `| [\`${m.name}\`](#${m.name.replace(/_/g, '_')}) | ${m.doc} |`).join('\n')}

`;
for (const m of SYS_MODULES) {
  const s: any = m.schema;
  const req: string[] = s.required ?? [];
  out += `## ${m.name}\n\n${m.doc}${aliasesOf(m.name).length ? `\n\nAlso answers to: ${aliasesOf(m.name).map((a) => `\`${a}\``).join(', ')}.` : ''}\n\n`;
  out += '| parameter | type | default | description |\n| --- | --- | --- | --- |\n';
  for (const [k, v] of Object.entries<any>(s.properties)) {
    const d = v.default !== undefined ? `\`${JSON.stringify(v.default)}\`` : req.includes(k) ? '**required**' : '';
    out += `| \`${k}\` | ${typeOf(v)} | ${d} | ${String(v.description ?? '').replace(/\|/g, '\\|')} |\n`;
  }
  out += `\n${NOTES[m.name] ?? ''}\n\n`;
}
out += `## The roles that use them (playbooks/site.yaml)

| stage (tag) | role | hosts | what |
| --- | --- | --- | --- |
| nfs | roles/nfs_server | nfs_servers | packages per family and backend (\`nfs_backend\`: kernel or ganesha) with \`policy_rc_d: 101\`; firewalld and rpcbind enabled and running; /nfsshare; the export (clients: the KVM hosts' \`ansible_host\`, never \`*\`) in /etc/exports (handler: \`exportfs -ra\`) or as a ganesha EXPORT block (ganesha.conf pins MNT_Port 20048 and NLM_Port 32803; handler: restart nfs-ganesha); firewalld services rpc-bind, nfs, mountd permanent + runtime; \`showmount -e\` check (asked from a KVM host for ganesha). |
| storage | roles/shared_storage | kvm_hosts | client packages, rpcbind, \`showmount -e\` of the server (a clear error naming the server when it does not answer), the mount at /kvm/disk (nfs, or sshfs when \`shared_storage_backend: sshfs\`: root key, the server authorizes it, its host key in root's known_hosts), then a token written on the first KVM host must be read back on every other one. |
| bridge | roles/bridge | kvm_hosts | br0 over the uplink; the next task checks br0 over SSH. |
| ssh_trust | roles/ssh_trust | kvm_hosts | root key pairs, every KVM host authorizes every KVM host's root key and knows their host keys by name and address, then \`ssh -o BatchMode=yes\` to each. |

`;
const others = moduleNames().filter((n) => !SYS_MODULES.some((m) => m.name === n));
out += `## Other modules\n\nThe general modules (files, commands, control) are documented by their schemas and \`kvplay --help\`:\n\n${others.map((n) => `- \`${n}\`: ${moduleMeta(n)!.doc}`).join('\n')}\n`;
process.stdout.write(out);
