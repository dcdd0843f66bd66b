// Fast tests of the VM lab's pure parts (no root, no QEMU).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseSubnet } from '../../src/lab/net.js';
import { inventoryObject } from '../../src/lab/inventory.js';
import { VM_HOSTS, VM_SUBNET_CANDIDATES, VM_VETH_HOST, vmHostPaths } from '../../src/lab/vmconfig.js';
import { hostsFile, nmKeyfile, qemuArgs } from '../../src/lab/vmhost.js';
import { imageFiles, vmImage, vmImageKey } from '../../src/lab/vmimage.js';
import { VM_STORAGE, vmLabFiles } from '../../src/lab/vmlab.js';
import { labMain } from '../../src/lab/index.js';

process.env.KVPLAY_VMLAB_DIR = mkdtempSync(join(tmpdir(), 'kvplay-vmlab-unit-'));
const [kvm1, , nfs] = VM_HOSTS;

test('subnet: its own candidates; its own veth route is no collision; KVPLAY_VMLAB_SUBNET forces one', () => {
  const routes = [{ dst: '10.237.30.0/24', dev: VM_VETH_HOST }, { dst: '10.237.31.0/24', dev: 'eth0' }];
  assert.is(chooseSubnet(routes, VM_SUBNET_CANDIDATES, VM_VETH_HOST, 'KVPLAY_VMLAB_SUBNET'), '10.237.30');
  assert.is(chooseSubnet([{ dst: '10.237.30.0/24', dev: 'kvplay0' }], VM_SUBNET_CANDIDATES, VM_VETH_HOST, 'KVPLAY_VMLAB_SUBNET'), '10.237.31');
  process.env.KVPLAY_VMLAB_SUBNET = '10.99.7';
  try {
    assert.is(chooseSubnet([], VM_SUBNET_CANDIDATES, VM_VETH_HOST, 'KVPLAY_VMLAB_SUBNET'), '10.99.7');
    // the container lab's variable does not move the VM lab
    assert.is(chooseSubnet([], ['10.237.20'], 'kvplay0', 'KVPLAY_LAB_SUBNET'), '10.237.20');
  } finally {
    delete process.env.KVPLAY_VMLAB_SUBNET;
  }
});

test('inventory: the container lab\'s groups, kernel NFS backends, the VM lab\'s key and known_hosts', () => {
  const inv = inventoryObject({ subnet: '10.237.30' }, VM_STORAGE, 'root', undefined, vmLabFiles(), { kvplay_lab_flavour: 'vm' }) as any;
  assert.equal(Object.keys(inv.all.children.kvm_hosts.hosts), ['kvm1', 'kvm2']);
  assert.equal(Object.keys(inv.all.children.nfs_servers.hosts), ['nfs']);
  assert.is(inv.all.children.kvm_hosts.vars.shared_storage_backend, 'nfs');
  assert.is(inv.all.children.nfs_servers.vars.nfs_backend, 'kernel');
  assert.is(inv.all.children.kvm_hosts.hosts.kvm2.ansible_host, '10.237.30.3');
  assert.is(inv.all.vars.ansible_ssh_private_key_file, join(process.env.KVPLAY_VMLAB_DIR!, 'id_ed25519'));
  assert.match(inv.all.vars.ansible_ssh_common_args, `UserKnownHostsFile=${join(process.env.KVPLAY_VMLAB_DIR!, 'known_hosts')}`);
  assert.is(inv.all.vars.kvplay_lab_flavour, 'vm');
  assert.is(inv.all.vars.nfs_server_address, '10.237.30.4');
});

test('identity: NetworkManager keyfile (manual address, no interface binding), /etc/hosts', () => {
  const k = nmKeyfile('10.237.30', kvm1);
  assert.match(k, 'type=ethernet');
  assert.match(k, '[ipv4]\nmethod=manual\naddress1=10.237.30.2/24');
  assert.not.match(k, 'interface-name');
  const h = hostsFile('10.237.30', nfs);
  assert.match(h, '127.0.1.1\tnfs.lab nfs');
  assert.match(h, '10.237.30.2\tkvm1.lab kvm1');
  assert.match(h, '10.237.30.1\tlabgw.lab labgw');
});

test('qemu: TCG with a 256 MiB translation buffer and -cpu max, KVM with -cpu host; pidfile, overlay, fw_cfg', () => {
  const img = vmImage('k');
  const tcg = qemuArgs(kvm1, img, '/c/repo.img', 'tcg').join(' ');
  assert.match(tcg, '-accel tcg,tb-size=256 -cpu max');
  assert.not.match(tcg, '-cpu host');
  assert.match(tcg, `-pidfile ${vmHostPaths(kvm1).pid}`);
  assert.match(tcg, `file=${vmHostPaths(kvm1).disk},if=virtio,format=qcow2`);
  assert.match(tcg, 'file=/c/repo.img,if=virtio,format=raw,readonly=on');
  assert.match(tcg, `-fw_cfg name=opt/kvplay/identity,file=${vmHostPaths(kvm1).seed}`);
  assert.match(tcg, '-m 1024');
  assert.match(qemuArgs(nfs, img, '/c/repo.img', 'tcg').join(' '), '-m 768');
  assert.match(qemuArgs(kvm1, img, '/c/repo.img', 'kvm').join(' '), '-accel kvm -cpu host');
});

test('image: the repository disk is automounted (udev under emulation is late), identity unit before sshd and NM', () => {
  const file = (name: string) => imageFiles().find(([p]) => p === name)![1];
  assert.match(file('etc/fstab'), /^LABEL=kvrepo \/srv\/kvplay-repo ext4 ro,nofail,x-systemd\.automount/m);
  assert.match(file('etc/systemd/system/kvplay-identity.service'), 'Before=network-pre.target NetworkManager.service ssh.service');
  assert.match(file('etc/NetworkManager/conf.d/kvplay.conf'), 'no-auto-default=*');
  assert.match(vmImageKey(), /^[0-9a-f]{16}$/);
});

test('CLI: --vm before or after the command selects the VM lab', async () => {
  const lines: string[] = [];
  const w = process.stdout.write.bind(process.stdout);
  (process.stdout as any).write = (s: string) => (lines.push(String(s)), true);
  let a: number, b: number;
  try {
    a = await labMain(['status', '--vm']);
    b = await labMain(['--vm', 'status']);
  } finally {
    (process.stdout as any).write = w;
  }
  assert.is(a, 3);
  assert.is(b, 3);
  assert.match(lines.join(''), /vm lab down +\(state /);
});

test.run();
