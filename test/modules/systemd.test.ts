/** systemd / systemd_service (src/modules/systemd.ts): Ansible's systemd module, planned from one fact script. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSystemctlShow, parseSystemdFacts, planSystemd, systemdFactCmd, systemd, type SystemdParams } from '../../src/modules/systemd.js';
import { findModule } from '../../src/engine/module/registry.js';
import { sectionsOutput } from '../harness/sections.js';
import { coerceParams, validateParams } from '../../src/engine/module/validate.js';

/** The fact script's output on a host with systemd: SHOW is `systemctl show` of the unit. */
const out = (enabled: string, rc: number, show: string, initd = false, token?: string) =>
  sectionsOutput({ systemctl: 'yes', enabled: { out: enabled, rc }, initd: initd ? 'yes' : '', probe: { out: '', rc: 1 }, show: { out: show.replace(/\n+$/, ''), rc: 0 } }, token);
const SHOW_ACTIVE = [
  'Type=notify',
  'ExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $SSHD_OPTS ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }',
  'MainPID=123',
  'Id=ssh.service',
  'Description=OpenBSD Secure Shell server',
  'LoadState=loaded',
  'ActiveState=active',
  'SubState=running',
  'UnitFileState=enabled',
  '',
].join('\n');
const active = () => parseSystemdFacts(out('enabled', 0, SHOW_ACTIVE));
const stopped = (enabled = 'disabled', rc = 1) => parseSystemdFacts(out(enabled, rc, SHOW_ACTIVE.replace('ActiveState=active', 'ActiveState=inactive').replace('SubState=running', 'SubState=dead')));
const missing = () => parseSystemdFacts(out('', 1, 'Id=nope.service\nLoadState=not-found\nActiveState=inactive\n'));
const plan = (p: SystemdParams, f = active(), check = false) => planSystemd(p, f, { check });
/** parameters as the module gets them: Ansible's aliases resolved (validate.ts) */
const given = (p: Record<string, unknown>) => coerceParams(systemd, p) as SystemdParams;
const cmds = (pl: ReturnType<typeof plan>) => (pl.kind === 'change' ? pl.steps.map((s) => s.cmd) : []);

test('facts: one script; systemctl show parsed as Ansible (multi-line Exec values only)', () => {
  const f = active();
  assert.is(f.status.ActiveState, 'active');
  assert.is(f.status.MainPID, '123');
  assert.is(Object.getPrototypeOf(f.status), null, 'host data in a null-prototype table');
  assert.equal(f.enabledOut, ['enabled']);
  const multi = parseSystemctlShow(['ExecStart={ path=/bin/x ;', '  argv[]=/bin/x }', 'Description={ not multi', 'A=b=c']);
  assert.equal({ ...multi }, { ExecStart: '{ path=/bin/x ;\n  argv[]=/bin/x }', Description: '{ not multi', A: 'b=c' });
  const cmd = systemdFactCmd({ name: "we'ird", scope: 'user', no_block: true });
  assert.match(cmd, `systemctl --user --no-block show 'we'\\''ird'`);
  assert.match(cmd, `is-enabled 'we'\\''ird' -l`);
  // a show value that looks like a section marker stays a value
  const spoof = parseSystemdFacts(out('enabled', 0, 'Description=x\n@@kvplay-section-rc show 0\n@@kvplay-section enabled\nActiveState=active\n', false, '5eed5eed5eed5eed'));
  assert.equal(spoof.enabledOut, ['enabled']);
  assert.is(spoof.status.ActiveState, 'active');
});

test('started/stopped only when needed; restarted/reloaded always (a stopped unit is started, state reported started)', () => {
  assert.is(plan({ name: 'ssh', state: 'started' }).kind, 'ok');
  assert.equal(cmds(plan({ name: 'ssh', state: 'stopped' })), ["systemctl stop ssh"]);
  assert.equal(cmds(plan({ name: 'ssh', state: 'started' }, stopped())), ['systemctl start ssh']);
  assert.equal(cmds(plan({ name: 'ssh', state: 'restarted' })), ['systemctl restart ssh']);
  const rl = plan({ name: 'ssh', state: 'reloaded' }, stopped());
  assert.equal(cmds(rl), ['systemctl start ssh']);
  assert.is(rl.result!.state, 'started');
  assert.is(plan({ name: 'ssh', state: 'stopped' }, stopped()).kind, 'ok');
  const deact = parseSystemdFacts(out('enabled', 0, 'LoadState=loaded\nActiveState=deactivating\n'));
  assert.equal(cmds(plan({ name: 'ssh', state: 'stopped' }, deact)), ['systemctl stop ssh']);
});

test('enabled as Ansible\'s is-enabled -l: indirect and alias are not enabled; static is (disable then always runs)', () => {
  const en = plan({ name: 'ssh', enabled: true });
  assert.is(en.kind, 'ok');
  assert.is(en.result!.enabled, true);
  const dis = plan({ name: 'ssh', enabled: true }, stopped());
  assert.equal(cmds(dis), ['systemctl enable ssh']);
  assert.is(dis.result!.enabled, true, 'the result tells the new state');
  assert.equal(cmds(plan({ name: 'x', enabled: true }, stopped('indirect', 0))), ['systemctl enable x']);
  assert.equal(cmds(plan({ name: 'x', enabled: true }, stopped('alias', 0))), ['systemctl enable x']);
  assert.equal(cmds(plan({ name: 'x', enabled: false }, stopped('static', 0))), ['systemctl disable x']);
  assert.equal(cmds(plan({ name: 'x', enabled: true, force: true }, stopped())), ['systemctl --force enable x']);
});

test('masked: compared with is-enabled; works on a unit that does not exist', () => {
  assert.equal(cmds(plan({ name: 'nope', masked: true }, missing())), ['systemctl mask nope']);
  assert.is(plan({ name: 'x', masked: true }, stopped('masked', 1)).kind, 'ok');
  assert.equal(cmds(plan({ name: 'x', masked: false }, stopped('masked', 1))), ['systemctl unmask x']);
});

test('a unit systemd does not know fails as Ansible, in check mode too; glob names are refused', () => {
  assert.throws(() => plan({ name: 'nope', state: 'started' }, missing()), /^Could not find the requested service nope: host$/);
  assert.throws(() => plan({ name: 'nope', enabled: true }, missing(), true), /Could not find the requested service nope: host/);
  // an init script counts as found
  assert.not.throws(() => plan({ name: 'nope', enabled: false }, parseSystemdFacts(out('', 1, 'LoadState=not-found\nActiveState=inactive\n', true))));
  assert.throws(() => plan({ name: 'ssh*', state: 'started' }), /does not currently support using glob patterns, found '\*'/);
});

test('show failing (no systemd as PID 1): is-enabled, else list-unit-files, else systemctl\'s own error, as Ansible', () => {
  const probe = (enabled: string, rc: number, probeOut: string) =>
    parseSystemdFacts(sectionsOutput({ systemctl: 'yes', enabled: { out: enabled.replace(/\n$/, ''), rc }, initd: '', probe: { out: probeOut.replace(/\n$/, ''), rc: 0 }, show: { out: '', rc: 1 } }));
  const offline = probe('enabled\n', 0, "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n");
  assert.is(plan({ name: 'ssh', enabled: true }, offline).kind, 'ok');
  assert.throws(() => plan({ name: 'ssh', state: 'started' }, offline), /Service is in unknown state/);
  const unknown = probe('', 1, "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n");
  assert.throws(() => plan({ name: 'nope', enabled: true }, unknown), /^System has not been booted with systemd as init system \(PID 1\)\. Can't operate\.\nFailed to connect to bus: Host is down$/);
  assert.equal(cmds(plan({ name: 'nope', enabled: true }, probe('', 1, 'listed'))), ['systemctl enable nope']);
});

test('daemon_reload / daemon_reexec: always run when asked, no change by themselves; alone without a name', () => {
  const alone = planSystemd({ daemon_reload: true }, undefined);
  assert.ok(alone.kind === 'change' && alone.changed === false);
  assert.equal(cmds(alone), ['systemctl daemon-reload']);
  assert.equal(alone.result, { name: null, status: {} });
  const both = plan(given({ name: 'ssh', state: 'restarted', 'daemon-reload': true, daemon_reexec: true }));
  assert.ok(both.kind === 'change' && both.changed === undefined);
  assert.equal(cmds(both), ['systemctl daemon-reload', 'systemctl daemon-reexec', 'systemctl restart ssh']);
  assert.is(plan({ name: 'ssh', state: 'started', daemon_reload: true }).kind, 'change');
  assert.equal(Object.keys(systemd.facts!({ daemon_reload: true }, {} as any)), []);
});

test('results: name, status (systemctl show), state, enabled', () => {
  const r = plan(given({ unit: 'ssh', state: 'started', enabled: true })).result!;
  assert.is(r.name, 'ssh');
  assert.is((r.status as any).SubState, 'running');
  assert.is(r.state, 'started');
  assert.is(r.enabled, true);
});

test('registry and schema: systemd and systemd_service are this module; state/enabled/masked need a name', () => {
  for (const n of ['systemd', 'systemd_service', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd']) assert.is(findModule(n)?.name, 'systemd', n);
  assert.is(findModule('service')?.name, 'service');
  assert.ok(validateParams(systemd, { state: 'started' }, { static: true }).length > 0);
  assert.ok(validateParams(systemd, { name: 'x' }, { static: true }).length > 0);
  assert.equal(validateParams(systemd, { daemon_reload: true }, { static: true }), []);
  assert.equal(validateParams(systemd, { service: 'x', masked: true, scope: 'user' }, { static: true }), []);
});

test.run();
