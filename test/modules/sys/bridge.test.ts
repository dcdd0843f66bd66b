import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addrsOf, chooseBackend, chooseUplink, ifupdownConvert, ifupdownDone, parseBridgeFacts, runtimeProblems } from '../../../src/modules/bridge/net.js';
import { persistScript, switchScript, switchSteps, type SwitchSpec } from '../../../src/modules/bridge/script.js';
import { planBridge } from '../../../src/modules/bridge.js';
import { fx, pctx } from './helpers.js';

const bridged = () => parseBridgeFacts(fx('bridge-kvm1-bridged.txt'));
const plain = () => parseBridgeFacts(fx('bridge-nfs-plain.txt'));
const ctx = (host: string, check = false) => pctx({ vars: { ansible_host: host }, check });

test('recorded facts: the lab hosts (ifupdown, no default route)', () => {
  const b = bridged();
  assert.is(b.ifs.br0.type, 'bridge');
  assert.is(b.ifs.eth0.master, 'br0');
  assert.equal(addrsOf(b.ifs.br0).map((a) => a.cidr), ['10.237.20.2/24']);
  assert.is(b.defIf, undefined);
  assert.is(b.ifup, true);
  assert.ok(b.interfaces!.includes('bridge_ports eth0'));
  const p = plain();
  assert.is(p.ifs.eth0.master, undefined);
  assert.equal(addrsOf(p.ifs.eth0).map((a) => a.cidr), ['10.237.20.4/24']);
});

test('uplink: the default route, else the NIC holding ansible_host, else the bridge port', () => {
  assert.is(chooseUplink(plain(), 'br0', undefined, '10.237.20.4'), 'eth0');
  assert.is(chooseUplink(bridged(), 'br0', undefined, '10.237.20.2'), 'eth0');
  assert.is(chooseUplink({ ...plain(), defIf: 'eth0' }, 'br0', undefined, undefined), 'eth0');
  assert.is(chooseUplink({ ...bridged(), defIf: 'br0' }, 'br0', undefined, undefined), 'eth0');
  assert.is(chooseUplink(plain(), 'br0', 'ens33', undefined), 'ens33');
});

test('backend from facts: NetworkManager, networkd, ifupdown, iproute2', () => {
  const p = plain();
  assert.is(chooseBackend(p, 'eth0', 'br0', 'auto'), 'ifupdown');
  const nm = parseBridgeFacts(fx('bridge-nfs-plain.txt').replace('@@kvplay-section nm\n', '@@kvplay-section nm\nrunning\neth0:connected\nlo:unmanaged\n'));
  assert.is(chooseBackend(nm, 'eth0', 'br0', undefined), 'nm');
  const nmUnmanaged = parseBridgeFacts(fx('bridge-nfs-plain.txt').replace('@@kvplay-section nm\n', '@@kvplay-section nm\nrunning\neth0:unmanaged\n'));
  assert.is(chooseBackend(nmUnmanaged, 'eth0', 'br0', undefined), 'ifupdown');
  const nd = parseBridgeFacts(fx('bridge-nfs-plain.txt').replace('@@kvplay-section networkd\n', '@@kvplay-section networkd\nactive\n  1 lo       loopback carrier    unmanaged\n  2 eth0     ether    routable   configured\n'));
  assert.is(nd.networkdLinks.eth0, 'configured');
  assert.is(chooseBackend({ ...nd, ifup: false }, 'eth0', 'br0', undefined), 'networkd');
  assert.is(chooseBackend({ ...p, ifup: false, interfaces: undefined }, 'eth0', 'br0', undefined), 'iproute2');
});

test('runtime state: what is missing', () => {
  assert.equal(runtimeProblems(bridged(), 'br0', 'eth0'), []);
  assert.equal(runtimeProblems(plain(), 'br0', 'eth0'), ['br0 does not exist']);
  assert.equal(runtimeProblems(plain(), 'br0', 'eth9'), ['interface eth9 not found']);
});

test('already bridged (ifupdown config in place): ok, no step', () => {
  const p = planBridge({}, bridged(), ctx('10.237.20.2'));
  assert.is(p.kind, 'ok');
  assert.is(p.reason, 'br0: bridge over eth0 with 10.237.20.2/24 (ifupdown)');
});

test('plain host: one detached switch with rollback, then wait and confirm', () => {
  const p = planBridge({ rollback_timeout: 15 }, plain(), ctx('10.237.20.4'));
  assert.is(p.kind, 'change');
  if (p.kind !== 'change') return;
  assert.match(p.reason, 'br0: created over eth0 (ifupdown), 10.237.20.4/24 moved');
  assert.equal(p.steps.length, 3);
  const [start, wait, confirm] = p.steps;
  assert.match(start.cmd, 'setsid nohup sh "$D/switch.sh"');
  assert.match(start.cmd, '< /dev/null &');
  const script = String(start.stdin);
  assert.match(script, 'ifdown eth0');
  assert.match(script, 'ifup br0');
  assert.match(script, 'i=0; while [ $i -lt 150 ]; do [ -f "$D/confirm" ] && break;');
  assert.match(script, '( down ) >> "$D/log" 2>&1\nst rolled-back');
  assert.match(script, ".kvplay~");
  assert.match(wait.cmd, 'switched|committed) echo "$s"; exit 0');
  assert.match(confirm.cmd, 'touch "$D/confirm"');
  assert.match(confirm.cmd, 'confirmation too late');
  assert.match(p.diff![0].after, 'iface br0 inet static\n    address 10.237.20.4/24\n    bridge_ports eth0');
});

test('ifupdown conversion: NIC -> manual, br stanza with its options, auto moved; idempotent', () => {
  const text = '# x\nsource /etc/network/interfaces.d/*\n\nauto lo eth0\niface lo inet loopback\n\niface eth0 inet static\n    address 192.0.2.5/24\n    gateway 192.0.2.1\n    dns-nameservers 192.0.2.53\n\niface eth0 inet6 auto\n';
  const out = ifupdownConvert(text, 'br0', 'eth0', '02:00:00:00:00:01', { stp: false, fd: 0 });
  assert.is(out, '# x\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\niface eth0 inet manual\n\nauto br0\niface br0 inet static\n    address 192.0.2.5/24\n    gateway 192.0.2.1\n    dns-nameservers 192.0.2.53\n    bridge_ports eth0\n    bridge_stp off\n    bridge_fd 0\n    bridge_maxwait 0\n    bridge_hw 02:00:00:00:00:01\niface br0 inet6 auto\n\n');
  assert.ok(ifupdownDone(out, 'br0', 'eth0'));
  assert.is(ifupdownConvert(out, 'br0', 'eth0', undefined, { stp: false, fd: 0 }), out);
  assert.throws(() => ifupdownConvert('auto lo\n', 'br0', 'eth0', undefined, { stp: false, fd: 0 }), /no 'iface eth0' stanza/);
});

const spec = (backend: SwitchSpec['backend']): SwitchSpec => ({ br: 'br0', nic: 'ens33', mac: '02:00:00:00:00:01', addrs: [{ cidr: '192.0.2.5/24', family: 'inet' }], gateway: '192.0.2.1', stp: false, fd: 0, backend, timeout: 20, systemd: true });

test('NetworkManager switch: bridge + port profiles copied from the old connection, rollback restores it', () => {
  const s = switchScript(spec('nm'));
  assert.match(s, 'old=$(nmcli -g GENERAL.CONNECTION device show ens33)');
  assert.match(s, 'nmcli connection add type ethernet ifname ens33 con-name br0-port-ens33 master br0 slave-type bridge');
  assert.match(s, 'nmcli connection up br0-port-ens33');
  assert.match(s, 'nmcli connection modify "$old" connection.autoconnect yes && nmcli connection up "$old"');
});

test('networkd switch: netdev + port network, the old .network disabled and restored on rollback', () => {
  const s = switchScript(spec('networkd'));
  assert.match(s, "/etc/systemd/network/10-kvplay-br0.netdev");
  assert.match(s, '/etc/systemd/network/05-kvplay-ens33-port.network');
  assert.match(s, 'mv -f "$nf" "$nf.kvplay-off"');
  assert.match(s, 'mv -f "$nf.kvplay-off" "$nf"');
  assert.match(s, 'networkctl reload');
});

test('iproute2 switch: addresses and default route moved, MAC kept, a boot unit written', () => {
  const s = switchScript(spec('iproute2'));
  assert.match(s, 'ip link add br0 address 02:00:00:00:00:01 type bridge stp_state 0 forward_delay 0');
  assert.match(s, 'ip addr replace 192.0.2.5/24 dev br0');
  assert.match(s, 'ip route replace default via 192.0.2.1 dev br0');
  assert.match(s, 'systemctl daemon-reload && systemctl enable kvplay-bridge-br0.service');
  assert.match(s, 'ip route replace default via 192.0.2.1 dev ens33');
  assert.match(persistScript(spec('iproute2')), 'ip link set ens33 master br0');
  assert.equal(switchSteps(spec('iproute2')).map((x) => x.desc.split(' ')[0]), ['start', 'wait', 'confirm']);
});

test('bad input', () => {
  assert.throws(() => planBridge({ name: 'br0; reboot' }, plain(), ctx('10.237.20.4')), /invalid bridge name/);
  assert.throws(() => planBridge({ interface: 'eth9' }, plain(), ctx('10.237.20.4')), /eth9 not found/);
  const noAddr = parseBridgeFacts(fx('bridge-nfs-plain.txt'));
  delete noAddr.ifs.eth0.ipv4;
  assert.throws(() => planBridge({ interface: 'eth0' }, noAddr, ctx('10.237.20.4')), /no IPv4 address to move/);
});

test.run();
