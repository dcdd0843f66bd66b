/** Planning of libvirt_pool, libvirt_domain and domain_xml from recorded virsh output (pure), and their check mode through the engine. */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePoolFacts, planPool, poolXml } from '../../../src/modules/libvirt_pool.js';
import { parseDomainFacts, planDomain } from '../../../src/modules/libvirt_domain.js';
import { planDomainXml, parseDomainXmlFacts } from '../../../src/modules/domain_xml.js';
import { loadModule } from '../../../src/engine/module/registry.js';
import { applyModule } from '../../../src/engine/apply.js';
import type { ExecResult, Transport } from '../../../src/transport/types.js';
import { makeCtx } from '../helpers.js';

const F = new URL('./fixtures/', import.meta.url).pathname;
const fx = (n: string) => readFileSync(F + n, 'utf8');
const ctx = { diff: false };
const TEMPLATE = fx('dumpxml-inactive.xml').replace(/\s*<uuid>.*<\/uuid>/, '').replace(/\s*<mac address=.*\/>/, '');

test('pool: absent -> define, build, start, autostart; then ok', () => {
  const p = { name: 'kvmdisk', type: 'dir' as const, target: '/kvm/disk', autostart: true };
  const none = parsePoolFacts({ info: { out: "error: failed to get pool 'kvmdisk'\nerror: Storage pool not found", rc: 1 }, xml: { out: '', rc: 1 }, target: { out: '', rc: 1 } });
  const plan = planPool(p, none);
  assert.is(plan.kind, 'change');
  if (plan.kind === 'change') {
    assert.equal(plan.steps.map((s) => s.desc), ['define pool kvmdisk', 'build pool kvmdisk (create /kvm/disk)', 'start pool kvmdisk', 'pool kvmdisk autostart on']);
    assert.match(String(plan.steps[0].stdin), /<pool type='dir'>/);
  }
  const have = parsePoolFacts({ info: { out: fx('pool-info.txt'), rc: 0 }, xml: { out: fx('pool-dumpxml.xml'), rc: 0 }, target: { out: '', rc: 0 } });
  const ok = planPool(p, have);
  assert.is(ok.kind, 'ok', (ok as any).reason);
  assert.is(ok.reason, 'pool kvmdisk: dir at /kvm/disk, active, autostart');
});

test('pool: a different definition is redefined in place (never stopped), absent removes it', () => {
  const have = parsePoolFacts({ info: { out: fx('pool-info.txt'), rc: 0 }, xml: { out: fx('pool-dumpxml.xml'), rc: 0 }, target: { out: '', rc: 0 } });
  const plan = planPool({ name: 'kvmdisk', type: 'netfs', source_host: '10.237.20.4', source_path: '/nfsshare', target: '/kvm/disk' }, have);
  assert.is(plan.kind, 'change');
  if (plan.kind === 'change') {
    assert.equal(plan.steps.map((s) => s.desc), ['redefine pool kvmdisk']);
    assert.match(plan.reason, /\/pool\/@type: "dir" -> "netfs".*effective at the next pool start/);
    assert.match(String(plan.steps[0].stdin), /<uuid>72a7e026-e1a1-4786-b2f1-7d29d7a8dfa8<\/uuid>/);
  }
  const gone = planPool({ name: 'kvmdisk', target: '/kvm/disk', state: 'absent' }, have);
  assert.equal(gone.kind === 'change' && gone.steps.map((s) => s.cmd), ['virsh pool-destroy kvmdisk', 'virsh pool-undefine kvmdisk']);
  assert.match(poolXml({ name: 'p', type: 'netfs', source_host: 'nfs', source_path: '/x', target: '/t' }), /<host name='nfs'\/>\n    <dir path='\/x'\/>\n    <format type='nfs'\/>/);
  assert.throws(() => poolXml({ name: 'p', type: 'netfs', target: '/t' }), /needs source_host and source_path/);
  assert.throws(() => poolXml({ name: 'p', type: 'dir', source_path: '/x', target: '/t' }), /takes no source/);
});

const domFacts = (state = 'running\n') => parseDomainFacts({ state: { out: state, rc: 0 }, info: { out: fx('dominfo.txt'), rc: 0 }, xml: { out: fx('dumpxml-inactive.xml'), rc: 0 } }, 'kvplay-guest');

test('domain: the defined guest matches its template -> ok; a change redefines with the uuid', () => {
  const ok = planDomain({ state: 'running' }, domFacts(), ctx, { name: 'kvplay-guest', xml: TEMPLATE });
  assert.is(ok.kind, 'ok', (ok as any).reason);
  const more = planDomain({ state: 'running' }, domFacts(), ctx, { name: 'kvplay-guest', xml: TEMPLATE.replace('<vcpu placement=\'static\'>1</vcpu>', '<vcpu>2</vcpu>') });
  assert.is(more.kind, 'change');
  if (more.kind === 'change') {
    assert.match(more.reason, /redefined \(\/domain\/vcpu: "1" -> "2"\).*next start/);
    assert.match(String(more.steps[0].stdin), /<uuid>ce5910d8-156c-44d6-88fb-a2b9d0f1e37d<\/uuid>/);
    assert.is(more.result?.restart_needed, true);
  }
  const keep = planDomain({ state: 'running', redefine: false }, domFacts(), ctx, { name: 'kvplay-guest', xml: TEMPLATE.replace("<vcpu placement='static'>1</vcpu>", '<vcpu>2</vcpu>') });
  assert.is(keep.kind, 'ok');
});

test('domain: states', () => {
  const steps = (p: any, f = domFacts(), xml?: string) => { const r = planDomain(p, f, ctx, { name: 'kvplay-guest', xml }); return r.kind === 'change' ? r.steps.map((s) => s.desc) : []; };
  assert.equal(steps({ state: 'running' }, domFacts('shut off')), ['start kvplay-guest']);
  assert.equal(steps({ state: 'running' }, domFacts('paused')), ['resume kvplay-guest']);
  assert.equal(steps({ state: 'shutoff' }), ['shut down kvplay-guest']);
  assert.equal(steps({ state: 'destroyed' }), ['destroy kvplay-guest']);
  assert.equal(steps({ state: 'undefined' }), ['destroy kvplay-guest', 'undefine kvplay-guest']);
  assert.equal(steps({ state: 'defined', autostart: true }), ['autostart on']);
  assert.equal(steps({ state: 'running' }), []);
  const missing = parseDomainFacts({ state: { out: "error: failed to get domain 'x'", rc: 1 } }, 'x');
  assert.equal(steps({ state: 'running' }, missing, TEMPLATE), ['define kvplay-guest', 'start kvplay-guest']);
  assert.throws(() => planDomain({ state: 'running' }, missing, ctx, { name: 'x' }), /not defined on this host and no xml/);
  assert.is(planDomain({ state: 'undefined' }, missing, ctx, { name: 'x' }).kind, 'ok');
});

const NETWORK_XML = fx('dumpxml-inactive.xml').replace("<interface type='bridge'>", "<interface type='network'>").replace("<source bridge='br0'/>", "<source network='default'/>");
const xmlFacts = (inactive: string, live?: string, state = 'shut off') =>
  parseDomainXmlFacts({ state: { out: state, rc: 0 }, inactive: { out: inactive, rc: 0 }, live: { out: live ?? inactive, rc: 0 } }, 'kvplay-guest');

test('domain_xml: edit a shut-off guest: backup + define, no restart; again: ok', () => {
  const p = { name: 'kvplay-guest', bridge: 'br0', restart: true };
  const plan = planDomainXml(p, xmlFacts(NETWORK_XML), ctx);
  assert.is(plan.kind, 'change');
  if (plan.kind === 'change') {
    assert.equal(plan.steps.map((s) => s.desc), ['back up the XML of kvplay-guest to /var/lib/kvplay/libvirt-backups', 'define the edited XML of kvplay-guest']);
    assert.is(plan.steps[0].stdin, NETWORK_XML);
    assert.match(String(plan.steps[1].stdin), /<interface type="bridge">\s*<mac address="52:54:00:08:ea:02"\/>\s*<source bridge="br0"\/>/);
    assert.is(plan.result?.restarted, false);
  }
  const again = planDomainXml(p, xmlFacts(fx('dumpxml-inactive.xml')), ctx);
  assert.is(again.kind, 'ok');
  assert.throws(() => planDomainXml({ name: 'kvplay-guest' }, xmlFacts(NETWORK_XML), ctx), /nothing to edit/);
});

test('domain_xml: a running guest is restarted only when the change needs it and restart is allowed', () => {
  const running = xmlFacts(NETWORK_XML, fx('dumpxml-live.xml').replace("<interface type='bridge'>", "<interface type='network'>").replace("<source bridge='br0'/>", "<source network='default'/>"), 'running');
  const allowed = planDomainXml({ name: 'kvplay-guest', bridge: 'br0', restart: true, restart_mode: 'destroy' }, running, ctx);
  assert.equal(allowed.kind === 'change' && allowed.steps.map((s) => s.desc).pop(), 'restart kvplay-guest (destroy, then start)');
  const denied = planDomainXml({ name: 'kvplay-guest', bridge: 'br0' }, running, ctx);
  assert.is(denied.kind === 'change' && denied.steps.length, 2);
  assert.is(denied.result?.restart_needed, true);
  assert.match(denied.reason, /restart: true to restart it/);
  // persistent XML already edited, running guest still on the old network (an earlier run without restart)
  const pending = xmlFacts(fx('dumpxml-inactive.xml'), running.live, 'running');
  const fix = planDomainXml({ name: 'kvplay-guest', bridge: 'br0', restart: true }, pending, ctx);
  assert.equal(fix.kind === 'change' && fix.steps.map((s) => s.desc), ['restart kvplay-guest (shutdown, then start)']);
  // running XML already right: nothing to restart
  const fine = planDomainXml({ name: 'kvplay-guest', bridge: 'br0', restart: true }, xmlFacts(fx('dumpxml-inactive.xml'), fx('dumpxml-live.xml'), 'running'), ctx);
  assert.is(fine.kind, 'ok');
  // a MAC drop on a running guest needs a restart to take effect
  const mac = planDomainXml({ name: 'kvplay-guest', drop_mac: true, restart: true }, xmlFacts(fx('dumpxml-inactive.xml'), fx('dumpxml-live.xml'), 'running'), ctx);
  assert.equal(mac.kind === 'change' && mac.steps.length, 3);
  assert.is(mac.result?.mac_dropped, true);
});

/** A transport answering every command with "virsh: not found". */
class NoVirsh implements Transport {
  readonly name = 'novirsh';
  async connect() {}
  async close() {}
  async exec(): Promise<ExecResult> { return { code: 0, stdout: '', stderr: '' }; }
  async execMany(cmds: string[]): Promise<ExecResult[]> {
    return cmds.map((c) => ({ code: 0, stdout: c.split('\n').filter((l) => l.includes('@@kvplay-section ')).map((l) => {
      const name = /@@kvplay-section ([\w.-]+)/.exec(l)![1];
      return `\n@@kvplay-section ${name}\nsh: 1: virsh: not found\n\n@@kvplay-section-rc ${name} 127\n`;
    }).join(''), stderr: '' }));
  }
}

test('check mode before libvirt is installed predicts a change; a real run explains the problem', async () => {
  for (const [name, params] of [['libvirt_pool', { name: 'p', target: '/kvm/disk' }], ['libvirt_domain', { name: 'g' }], ['domain_xml', { name: 'g', bridge: 'br0' }]] as const) {
    const mod = (await loadModule(name))!;
    const chk = await applyModule(mod, params, makeCtx({ check: true, transport: new NoVirsh() }));
    assert.is(chk.status, 'changed', `${name}: ${chk.reason}`);
    assert.match(chk.reason, /virsh is not installed yet/);
    const real = await applyModule(mod, params, makeCtx({ transport: new NoVirsh() }));
    assert.is(real.status, 'failed');
    assert.match(real.reason, /virsh is not installed on the host \(install libvirt-clients/);
  }
});

test('parameter validation', async () => {
  const bad = await applyModule((await loadModule('domain_xml'))!, { name: 'g', disk_cache: 'fast' }, makeCtx());
  assert.is(bad.status, 'failed');
  const bad2 = await applyModule((await loadModule('migrate'))!, { name: 'g' }, makeCtx());
  assert.match(bad2.reason, /target/);
  const bad3 = await applyModule((await loadModule('libvirt_domain'))!, { xml: '<domain><name>a</name></domain>', src: 'x.xml' }, makeCtx());
  assert.is(bad3.status, 'failed');
});

test.run();
