import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planService, service } from '../../../src/modules/service.js';
import { parseServiceFacts, serviceFactCmd, unitName } from '../../../src/facts/service.js';
import { loadModule } from '../../../src/engine/module/registry.js';
import { sectionsOutput } from '../../harness/sections.js';
import { fx, pctx } from './helpers.js';

const active = () => parseServiceFacts('rpcbind', fx('service-rpcbind-active.txt'));
const disabled = () => parseServiceFacts('firewalld', fx('service-firewalld-disabled.txt'));
const missing = () => parseServiceFacts('nfs-server', fx('service-missing.txt'));
const cmds = (p: ReturnType<typeof planService>) => (p.kind === 'change' ? p.steps.map((s) => s.cmd) : []);

test('recorded facts parse', () => {
  assert.equal(active(), { mgr: 'systemd', unit: 'rpcbind.service', load: 'loaded', active: 'active', enabled: 'enabled', needReload: false, fileOnDisk: true });
  assert.is(disabled().active, 'inactive');
  assert.is(missing().load, 'not-found');
  assert.is(parseServiceFacts('ssh', fx('service-ssh-active.txt')).active, 'active');
});

test('started + enabled: nothing to do when running and enabled (ok with reason)', () => {
  const p = planService({ name: 'rpcbind', state: 'started', enabled: true }, active(), pctx());
  assert.is(p.kind, 'ok');
  assert.is(p.reason, 'rpcbind.service: active, enabled');
});

test('started + enabled on a disabled, stopped service: enable then start', () => {
  const p = planService({ name: 'firewalld', state: 'started', enabled: true }, disabled(), pctx());
  assert.equal(cmds(p), ['systemctl enable firewalld.service', 'systemctl start firewalld.service']);
  assert.match(p.reason, 'enabled, started');
});

test('restarted and reloaded always change (handlers); reloaded starts a stopped service', () => {
  assert.equal(cmds(planService({ name: 'rpcbind', state: 'restarted' }, active(), pctx())), ['systemctl restart rpcbind.service']);
  assert.equal(cmds(planService({ name: 'rpcbind', state: 'reloaded' }, active(), pctx())), ['systemctl reload rpcbind.service']);
  assert.equal(cmds(planService({ name: 'firewalld', state: 'reloaded' }, disabled(), pctx())), ['systemctl start firewalld.service']);
});

test('stopped, disabled, masked', () => {
  assert.equal(cmds(planService({ name: 'rpcbind', state: 'stopped', enabled: false }, active(), pctx())), ['systemctl disable rpcbind.service', 'systemctl stop rpcbind.service']);
  assert.is(planService({ name: 'firewalld', state: 'stopped', enabled: false }, disabled(), pctx()).kind, 'ok');
  assert.equal(cmds(planService({ name: 'rpcbind', masked: true }, active(), pctx())), ['systemctl stop rpcbind.service', 'systemctl mask rpcbind.service']);
  const masked = { ...disabled(), enabled: 'masked', load: 'masked' };
  assert.throws(() => planService({ name: 'firewalld', state: 'started' }, masked, pctx()), /masked/);
  assert.equal(cmds(planService({ name: 'firewalld', state: 'started', masked: false }, masked, pctx())), ['systemctl unmask firewalld.service', 'systemctl start firewalld.service']);
});

test('a missing service fails in a real run, and is assumed (predicted change) in check mode', () => {
  assert.throws(() => planService({ name: 'nfs-server', state: 'started' }, missing(), pctx()), /service nfs-server.service not found/);
  const p = planService({ name: 'nfs-server', state: 'started', enabled: true }, missing(), pctx({ check: true }));
  assert.is(p.kind, 'change');
  assert.match(p.reason, 'assuming an earlier task installs it');
});

test('daemon_reload only when systemd asks for it (or a new unit file is not loaded yet)', () => {
  assert.is(planService({ name: 'rpcbind', state: 'started', daemon_reload: true }, active(), pctx()).kind, 'ok');
  assert.equal(cmds(planService({ name: 'rpcbind', state: 'started', daemon_reload: true }, { ...active(), needReload: true }, pctx())), ['systemctl daemon-reload']);
  const fresh = { ...missing(), fileOnDisk: true };
  assert.equal(cmds(planService({ name: 'kvplay-x', state: 'started', daemon_reload: true }, fresh, pctx())), ['systemctl daemon-reload', 'systemctl start nfs-server.service']);
  assert.throws(() => planService({ name: 'x', state: 'started' }, fresh, pctx()), /use daemon_reload: true/);
});

test('SysV fallback without systemd', () => {
  const f = parseServiceFacts('rpcbind', sectionsOutput({ mgr: 'sysv', file: 'yes', status: { out: '', rc: 3 }, enabled: 'disabled' }));
  const c = cmds(planService({ name: 'rpcbind', state: 'started', enabled: true }, f, pctx()));
  assert.match(c[0], 'update-rc.d rpcbind defaults');
  assert.is(c[1], 'service rpcbind start');
  assert.match(serviceFactCmd('rpcbind'), 'service rpcbind status');
});

test('names, aliases, schema', async () => {
  assert.is(unitName('rpcbind'), 'rpcbind.service');
  assert.is(unitName('rpcbind.socket'), 'rpcbind.socket');
  // systemd is Ansible's systemd module (src/modules/systemd.ts), with its own parameters and results
  assert.is((await loadModule('systemd'))?.name, 'systemd');
  assert.is((await loadModule('ansible.builtin.systemd'))?.name, 'systemd');
  assert.is(await loadModule('ansible.builtin.service'), service);
  assert.match(serviceFactCmd("it's"), `'it'\\''s.service'`);
});

test.run();
