// planning cases: test/fixtures/modules/firewalld/*.yaml (test/modules/fixtures.test.ts)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewalld, fwFactCmd, parseFwFacts, planFirewalld } from '../../../src/modules/firewalld.js';
import { loadModule } from '../../../src/engine/module/registry.js';
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

test('FQCN alias', async () => {
  assert.is(await loadModule('ansible.posix.firewalld'), firewalld);
});

test.run();
