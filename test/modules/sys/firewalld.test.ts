import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewalld, fwFactCmd, itemOf, parseFwFacts, planFirewalld } from '../../../src/modules/firewalld.js';
import { loadModule } from '../../../src/modules/index.js';
import { fx, pctx } from './helpers.js';

const cmds = (p: ReturnType<typeof planFirewalld>) => (p.kind === 'change' ? p.steps.map((s) => s.cmd) : []);
const running = (perm: boolean, rt: boolean) => ({ ...parseFwFacts(fx('firewalld-running-nfs.txt')), permanent: perm, runtime: rt });

test('recorded facts: running (enabled both), running (port absent), stopped', () => {
  assert.equal(parseFwFacts(fx('firewalld-running-nfs.txt')), { installed: true, offlineCmd: true, running: true, zone: 'public', zoneExists: true, permanent: true, runtime: true });
  const port = parseFwFacts(fx('firewalld-running-port.txt'));
  assert.is(port.permanent, false);
  assert.is(port.runtime, false);
  const stopped = parseFwFacts(fx('firewalld-stopped-kvm1.txt'));
  assert.is(stopped.running, false);
  assert.is(stopped.runtime, undefined);
  assert.is(stopped.permanent, false);
});

test('already enabled permanent + runtime: ok (no ALREADY_ENABLED error)', () => {
  const p = planFirewalld({ service: 'nfs', permanent: true, immediate: true, state: 'enabled' }, running(true, true), pctx());
  assert.is(p.kind, 'ok');
  assert.is(p.reason, 'service nfs: already enabled in zone public');
});

test('permanent and runtime are planned separately', () => {
  assert.equal(cmds(planFirewalld({ service: 'nfs', permanent: true, immediate: true, state: 'enabled' }, running(false, false), pctx())), [
    'firewall-cmd --permanent --zone=public --add-service=nfs',
    'firewall-cmd --zone=public --add-service=nfs',
  ]);
  assert.equal(cmds(planFirewalld({ service: 'nfs', permanent: true, immediate: true, state: 'enabled' }, running(true, false), pctx())), ['firewall-cmd --zone=public --add-service=nfs']);
  assert.equal(cmds(planFirewalld({ service: 'nfs', permanent: true, immediate: true, state: 'enabled' }, running(false, true), pctx())), ['firewall-cmd --permanent --zone=public --add-service=nfs']);
  // permanent only (immediate false): the runtime is not touched
  assert.equal(cmds(planFirewalld({ service: 'nfs', permanent: true, state: 'enabled' }, running(false, false), pctx())), ['firewall-cmd --permanent --zone=public --add-service=nfs']);
  // runtime only
  assert.equal(cmds(planFirewalld({ service: 'nfs', state: 'enabled' }, running(false, false), pctx())), ['firewall-cmd --zone=public --add-service=nfs']);
});

test('daemon stopped: the permanent part goes through firewall-offline-cmd', () => {
  const f = parseFwFacts(fx('firewalld-stopped-kvm1.txt'));
  const p = planFirewalld({ service: 'nfs', permanent: true, immediate: true, state: 'enabled' }, f, pctx());
  assert.equal(cmds(p), ['firewall-offline-cmd --zone=public --add-service=nfs']);
  assert.match(p.reason, 'the permanent setting applies when it starts');
  assert.throws(() => planFirewalld({ service: 'nfs', state: 'enabled' }, f, pctx()), /not running/);
  assert.is(planFirewalld({ service: 'nfs', state: 'enabled' }, f, pctx({ check: true })).kind, 'change');
});

test('never opens more than asked: one port, exactly', () => {
  const p = planFirewalld({ port: '2049/tcp', permanent: true, immediate: true, state: 'enabled' }, running(false, false), pctx());
  const c = cmds(p);
  assert.equal(c, ['firewall-cmd --permanent --zone=public --add-port=2049/tcp', 'firewall-cmd --zone=public --add-port=2049/tcp']);
  for (const x of c) assert.not.match(x, /--add-service|--add-port=[^2]|\/udp|1-65535/);
  assert.throws(() => itemOf({ port: '2049', state: 'enabled' }), /2049\/tcp/);
  assert.throws(() => itemOf({ port: '1-65535', state: 'enabled' }), /must look like/);
  assert.throws(() => itemOf({ service: 'nfs', port: '1/tcp', state: 'enabled' }), /exactly one/);
});

test('disabled removes, rich rules and sources are quoted', () => {
  assert.equal(cmds(planFirewalld({ service: 'nfs', permanent: true, immediate: true, state: 'disabled' }, running(true, true), pctx())), [
    'firewall-cmd --permanent --zone=public --remove-service=nfs',
    'firewall-cmd --zone=public --remove-service=nfs',
  ]);
  const rr = 'rule family=ipv4 source address=10.0.0.0/24 service name=nfs accept';
  assert.equal(cmds(planFirewalld({ rich_rule: rr, state: 'enabled' }, running(false, false), pctx())), [`firewall-cmd --zone=public --add-rich-rule='${rr}'`]);
  assert.match(fwFactCmd({ rich_rule: rr, state: 'enabled', zone: 'my zone' }), `--query-rich-rule='${rr}'`);
  assert.match(fwFactCmd({ source: '10.0.0.0/24', state: 'enabled', zone: 'my zone' }), "z='my zone'");
});

test('missing firewalld or zone: error in a real run, predicted in check mode', () => {
  const none = parseFwFacts('@@ installed\n@@ offline\n@@ running\nno\n@@ end\n');
  assert.throws(() => planFirewalld({ service: 'nfs', permanent: true, state: 'enabled' }, none, pctx()), /not installed/);
  assert.is(planFirewalld({ service: 'nfs', permanent: true, state: 'enabled' }, none, pctx({ check: true })).kind, 'change');
  const badZone = { ...running(false, false), zone: 'nope', zoneExists: false };
  assert.throws(() => planFirewalld({ service: 'nfs', zone: 'nope', permanent: true, state: 'enabled' }, badZone, pctx()), /zone 'nope' does not exist/);
});

test('FQCN alias', async () => {
  assert.is(await loadModule('ansible.posix.firewalld'), firewalld);
});

test.run();
