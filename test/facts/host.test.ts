import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatherFacts, parseFacts, parseOsRelease } from '../../src/facts/host.js';
import { networkFacts, parseDefaultRoute, parseIpAddrText, prefixToMask, networkOf } from '../../src/facts/network.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { ExecOptions, Transport } from '../../src/transport/types.js';

const fixture = (n: string) => readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'facts', n), 'utf8');

test('debian12 fixture (recorded on a Debian 12 machine)', () => {
  const f = parseFacts(fixture('debian12.txt')) as any;
  assert.is(f.os_family, 'Debian');
  assert.is(f.distribution, 'Debian');
  assert.is(f.distribution_major_version, '12');
  assert.match(f.distribution_version, /^12\.\d+$/);
  assert.is(f.distribution_release, 'bookworm');
  assert.is(f.pkg_mgr, 'apt');
  assert.is(f.service_mgr, 'service'); // PID 1 is not an init system on this machine
  assert.is(f.architecture, 'x86_64');
  assert.is(f.processor_vendor, 'AuthenticAMD');
  assert.is(f.cpu_flags_nx, true);
  assert.is(f.processor_vcpus, 2);
  assert.ok(f.memtotal_mb > 0);
  assert.ok(f.interfaces.includes('lo') && f.interfaces.includes('eth0'));
  assert.equal(f.eth0.ipv4, { address: '192.0.2.2', netmask: '255.255.255.0', network: '192.0.2.0', prefix: '24', broadcast: '192.0.2.255' });
  assert.is(f.eth0.macaddress, '02:fc:00:00:00:01');
  assert.is(f.eth0.mtu, 1400);
  assert.is(f.lo.type, 'loopback');
  assert.equal(f.default_ipv4.interface, 'eth0');
  assert.equal(f.default_ipv4.gateway, '192.0.2.1');
  assert.equal(f.default_ipv4.address, '192.0.2.2');
  assert.not.ok(f.all_ipv4_addresses.includes('127.0.0.1'));
  assert.is(f.user_id, 'root');
  assert.is(f.nm_running, false);
  assert.equal(f.selinux, { status: 'disabled' });
});

test('rhel9 fixture (Rocky 9, dnf, systemd, NetworkManager, br0 over ens33)', () => {
  const f = parseFacts(fixture('rhel9.txt')) as any;
  assert.is(f.os_family, 'RedHat');
  assert.is(f.distribution, 'Rocky');
  assert.is(f.distribution_version, '9.3');
  assert.is(f.distribution_major_version, '9');
  assert.is(f.distribution_release, 'Blue Onyx');
  assert.is(f.pkg_mgr, 'dnf');
  assert.is(f.service_mgr, 'systemd');
  assert.is(f.hostname, 'kvm1');
  assert.is(f.fqdn, 'kvm1.lab.example');
  assert.is(f.domain, 'lab.example');
  assert.is(f.processor_vendor, 'GenuineIntel');
  assert.match(f.processor_model, /i7-8700/);
  assert.is(f.processor_count, 1);
  assert.is(f.processor_cores, 2);
  assert.is(f.processor_threads_per_core, 2);
  assert.is(f.processor_vcpus, 4);
  assert.is(f.cpu_flags_nx, true);
  assert.is(f.memtotal_mb, 7677);
  assert.is(f.br0.type, 'bridge');
  assert.equal(f.br0.interfaces, ['ens33']);
  assert.is(f.ens33.master, 'br0');
  assert.is(f.br0.ipv4.address, '192.168.20.2');
  assert.equal(f.br0.ipv4_secondaries.map((a: any) => a.address), ['192.168.20.12']);
  assert.is(f.virbr0.type, 'bridge');
  assert.equal(f.default_ipv4, {
    interface: 'br0', alias: 'br0', macaddress: '00:0c:29:3a:5b:7c', mtu: 1500, type: 'bridge', gateway: '192.168.20.1',
    address: '192.168.20.2', netmask: '255.255.255.0', network: '192.168.20.0', prefix: '24', broadcast: '192.168.20.255',
  });
  assert.equal(f.default_ipv6, {});
  assert.equal(f.all_ipv4_addresses, ['192.168.20.2', '192.168.20.12', '192.168.122.1']);
  assert.is(f.nm_running, true);
  assert.equal(f.selinux, { status: 'enabled', mode: 'enforcing' });
});

test('plain `ip` output fallback and helpers', () => {
  const ifs = parseIpAddrText(`1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
2: ens33: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel master br0 state UP group default qlen 1000
    link/ether 00:0c:29:3a:5b:7c brd ff:ff:ff:ff:ff:ff
3: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 00:0c:29:3a:5b:7c brd ff:ff:ff:ff:ff:ff
    inet 192.168.20.2/24 brd 192.168.20.255 scope global noprefixroute br0
       valid_lft forever preferred_lft forever
    inet6 fe80::20c:29ff:fe3a:5b7c/64 scope link noprefixroute
4: veth0@if5: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN
    link/ether 6a:1b:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 0
`);
  assert.equal(Object.keys(ifs), ['lo', 'ens33', 'br0', 'veth0']);
  assert.is(ifs.ens33.master, 'br0');
  assert.is(ifs.br0.ipv4!.network, '192.168.20.0');
  assert.is(ifs.veth0.active, false);
  assert.is(ifs.lo.type, 'loopback');
  assert.equal(parseDefaultRoute('default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100\n'), { interface: 'eth0', gateway: '10.0.0.1', src: '10.0.0.5' });
  assert.is(parseDefaultRoute(''), undefined);
  assert.is(prefixToMask(22), '255.255.252.0');
  assert.is(prefixToMask(0), '0.0.0.0');
  assert.is(networkOf('10.1.7.9', 22), '10.1.4.0');
  const nf = networkFacts({ 'br-ex': { device: 'br-ex', active: true, type: 'bridge' } }) as any;
  assert.equal(nf.interfaces, ['br-ex']);
  assert.is(nf.br_ex.device, 'br-ex');
  assert.equal(parseOsRelease('ID="rocky"\nNAME=\'x\'\n# c\nVERSION_ID=9.3'), { ID: 'rocky', NAME: 'x', VERSION_ID: '9.3' });
});

test('gatherFacts: one round trip on the real machine', async () => {
  let calls = 0;
  const local = new LocalTransport('local');
  const t: Transport = {
    name: 'local',
    connect: async () => {},
    close: async () => {},
    exec: (cmd: string, o?: ExecOptions) => { calls++; return local.exec(cmd, o); },
    execMany: (cmds, o) => { calls++; return local.execMany(cmds, o); },
  };
  const f = await gatherFacts(t) as any;
  assert.is(calls, 1);
  assert.ok(f.hostname);
  assert.ok(typeof f.os_family === 'string' && f.os_family.length > 0);
  assert.ok(f.interfaces.includes('lo'));
  assert.is(typeof f.cpu_flags_nx, 'boolean');
});

test('gatherFacts: a broken shell is an error', async () => {
  const t: Transport = {
    name: 'x', connect: async () => {}, close: async () => {},
    exec: async () => ({ code: 127, stdout: '', stderr: 'sh: not found' }),
    execMany: async () => [],
  };
  try {
    await gatherFacts(t);
    assert.unreachable();
  } catch (e: any) {
    assert.match(e.message, /gathering facts failed \(rc=127\): sh: not found/);
  }
});

test.run();
