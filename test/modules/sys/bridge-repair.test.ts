// The bridge module's repair of a lost persistent configuration (found by docs/tutorial lesson 3):
// br0 runs as wanted, but its stanza is gone from /etc/network/interfaces (the NIC's stanza was
// already converted to `inet manual`). The stanza written back must bring br0 up at boot WITH the
// host's address, or the host is unreachable after a reboot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ifupdownConvert, ifupdownDone, parseBridgeFacts } from '../../../src/modules/bridge/net.js';
import { planBridge } from '../../../src/modules/bridge.js';
import { fx, pctx } from './helpers.js';

const LOST = '# written by kvplay lab\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\niface eth0 inet manual\n\n';

test('runtime bridged, stanza lost: the repair writes auto br0 + inet static with the runtime address', () => {
  const f = parseBridgeFacts(fx('bridge-kvm1-bridged.txt'));
  f.interfaces = LOST;
  const p = planBridge({}, f, pctx({ vars: { ansible_host: '10.237.20.2' }, diff: true }));
  assert.is(p.kind, 'change');
  if (p.kind !== 'change') return;
  assert.match(p.reason, 'runtime as wanted; persistent ifupdown configuration written');
  const after = p.diff![0].after;
  assert.match(after, '\nauto br0\niface br0 inet static\n    address 10.237.20.2/24\n    bridge_ports eth0\n');
  assert.ok(ifupdownDone(after, 'br0', 'eth0'));
  assert.match(String(p.steps[0].stdin ?? p.steps[0].cmd), 'address 10.237.20.2/24');
});

test('the same with a default route through br0: the gateway is kept too', () => {
  const out = ifupdownConvert(LOST, 'br0', 'eth0', undefined, { stp: false, fd: 0, runtime: { addrs: ['192.0.2.5/24', '192.0.2.6/24'], gateway: '192.0.2.1' } });
  assert.match(out, 'auto br0\niface br0 inet static\n    address 192.0.2.5/24\n    gateway 192.0.2.1\n    up ip addr add 192.0.2.6/24 dev br0\n    bridge_ports eth0\n');
  // a NIC stanza that still has its own configuration wins over the runtime addresses
  const own = 'auto eth0\niface eth0 inet static\n    address 198.51.100.7/24\n';
  assert.match(ifupdownConvert(own, 'br0', 'eth0', undefined, { stp: false, fd: 0, runtime: { addrs: ['192.0.2.5/24'] } }), 'auto br0\niface br0 inet static\n    address 198.51.100.7/24\n');
  // a DHCP NIC stays DHCP
  const dhcp = 'auto eth0\niface eth0 inet dhcp\n';
  assert.match(ifupdownConvert(dhcp, 'br0', 'eth0', undefined, { stp: false, fd: 0, runtime: { addrs: ['192.0.2.5/24'] } }), 'auto br0\niface br0 inet dhcp\n    bridge_ports eth0');
});

test.run();
