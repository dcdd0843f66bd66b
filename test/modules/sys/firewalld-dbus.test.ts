/**
 * firewalld over D-Bus: the zone fact (recorded on the lab's nfs host with `busctl`), the item
 * decision from it, and the run-wide fact cache that lets a loop over a zone's services read the
 * zone once (emptied as soon as anything changes).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { itemFacts, parseFwFacts, planFirewalld } from '../../../src/modules/firewalld.js';
import { parseZoneFact, zoneFactCmd, zoneHas } from '../../../src/facts/firewalld.js';
import { readFacts, applyModule } from '../../../src/engine/apply.js';
import { loadModule } from '../../../src/engine/module/registry.js';
import type { ExecResult, Transport } from '../../../src/transport/types.js';
import { makeCtx } from '../helpers.js';
import { sectionsOutput } from '../../harness/sections.js';
import { fx, pctx } from './helpers.js';

/** fwFactCmd's output when firewalld answers on D-Bus: nothing else ran */
const DBUS_ONLY = sectionsOutput({ dbus: 'yes', installed: '', offline: '', running: '', zone: '', zones: '', perm: '', rt: '' });

const NO_CLI = parseFwFacts(DBUS_ONLY);

test('recorded zone fact: services, ports and sources of both configurations', () => {
  const z = parseZoneFact(fx('firewalld-zone-dbus-ports.txt'));
  assert.is(z.dbus, true);
  assert.is(z.zone, 'public');
  assert.ok(z.zones.includes('public') && z.zones.includes('trusted'));
  assert.equal(z.perm!.services, ['ssh', 'dhcpv6-client', 'rpc-bind', 'nfs', 'mountd']);
  assert.equal(z.perm!.ports, []);
  assert.equal(z.rt!.ports, [['6000-6010', 'udp']]);
  assert.equal(z.rt!.sources, ['10.9.9.0/24']);
  assert.is(zoneHas(z.rt!, 'port', '6005/udp'), true, 'a port inside a listed range is present (firewall-cmd --query-port says yes)');
  assert.is(zoneHas(z.rt!, 'port', '6005/tcp'), false);
  assert.is(zoneHas(z.rt!, 'port', '6009-6011/udp'), false);
  assert.is(parseZoneFact(fx('firewalld-zone-stopped-kvm1.txt')).dbus, false);
  const nosuch = parseZoneFact(fx('firewalld-zone-dbus-nosuch.txt'));
  assert.is(nosuch.zones.includes(nosuch.zone), false);
  assert.is(nosuch.perm, undefined);
});

test('the plan from D-Bus facts equals the plan from firewall-cmd facts', () => {
  const z = parseZoneFact(fx('firewalld-zone-dbus-nfs.txt'));
  const p = { service: 'nfs', permanent: true, immediate: true, state: 'enabled' as const };
  const viaBus = planFirewalld(p, itemFacts(p, z, NO_CLI), pctx());
  const viaCli = planFirewalld(p, parseFwFacts(fx('firewalld-running-nfs.txt')), pctx());
  assert.equal(viaBus, viaCli);
  const port = { port: '2049/tcp', permanent: true, immediate: true, state: 'enabled' as const };
  const steps = planFirewalld(port, itemFacts(port, z, NO_CLI), pctx());
  assert.is(steps.kind, 'change');
  const nosuch = { service: 'nfs', zone: 'nosuch', state: 'enabled' as const };
  assert.throws(() => planFirewalld(nosuch, itemFacts(nosuch, parseZoneFact(fx('firewalld-zone-dbus-nosuch.txt')), NO_CLI), pctx()), /does not exist/);
  // rich rules and a daemon off the bus keep the firewall-cmd facts
  const rich = { rich_rule: 'rule service name=nfs accept', state: 'enabled' as const };
  assert.is(itemFacts(rich, z, parseFwFacts(fx('firewalld-running-port.txt'))).runtime, false);
  const off = parseFwFacts(fx('firewalld-stopped-kvm1.txt'));
  assert.equal(itemFacts(p, parseZoneFact(fx('firewalld-zone-stopped-kvm1.txt')), off), off);
  assert.match(zoneFactCmd("it's"), `'it'\\''s'`);
});

/** A transport answering the zone fact from a recording and counting what runs. */
class Recorded implements Transport {
  readonly name = 'nfs';
  calls: string[] = [];
  async connect() {}
  async close() {}
  async execMany(cmds: string[]): Promise<ExecResult[]> {
    this.calls.push(...cmds);
    return cmds.map((c) => ({ code: 0, stdout: c.includes('getZoneSettings2') ? fx('firewalld-zone-dbus-nfs.txt') : DBUS_ONLY, stderr: '' }));
  }
  async exec(cmd: string): Promise<ExecResult> {
    this.calls.push(cmd);
    return { code: 0, stdout: '', stderr: '' };
  }
}

test('fact cache: a loop over a zone reads it once; any change empties the cache', async () => {
  const mod = (await loadModule('firewalld'))!;
  const t = new Recorded();
  const cache = new Map<string, ExecResult>();
  const ctx = makeCtx({ transport: t, factCache: cache });
  const zoneReads = () => t.calls.filter((c) => c.includes('getZoneSettings2')).length;
  for (const service of ['rpc-bind', 'nfs', 'mountd']) {
    const out = await applyModule(mod, { service, permanent: true, immediate: true, state: 'enabled' }, ctx);
    assert.is(out.status, 'ok', service);
  }
  assert.is(zoneReads(), 1, 'the zone is read once for three items');
  // a change (steps run) empties the cache: the next item reads the zone again
  const changed = await applyModule(mod, { service: 'http', permanent: true, immediate: true, state: 'enabled' }, ctx);
  assert.is(changed.status, 'changed');
  assert.is(cache.size, 0);
  await readFacts(mod, { service: 'nfs', state: 'enabled' }, ctx);
  assert.is(zoneReads(), 2);
  // an action that may change a host empties it too; a read-only one does not
  await applyModule((await loadModule('debug'))!, { msg: 'x' }, ctx);
  assert.is(cache.size, 1);
  await applyModule((await loadModule('command'))!, { cmd: 'true' }, ctx);
  assert.is(cache.size, 0);
});

test.run();
