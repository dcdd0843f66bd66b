/**
 * apt, dnf, yum under Ansible's names (src/modules/apt.ts, src/modules/dnf.ts): pure planning from
 * facts recorded on this Debian 12 machine (test/modules/sys/fixtures/apt-*.txt), and check mode
 * against the real dpkg database (nothing is installed or removed: check mode runs facts only).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aptFacts, aptOpts, planApt, simulationChanges, versionMatches, apt, type AptFacts, type AptParams } from '../../src/modules/apt.js';
import { planDnf } from '../../src/modules/dnf.js';
import { parsePkgFacts } from '../../src/facts/packages.js';
import { coerceParams, validateParams } from '../../src/engine/module/validate.js';
import { fx } from './sys/helpers.js';
import { parseSections } from '../../src/facts/sections.js';
import { CountingTransport, run } from './helpers.js';
import { requires } from '../harness/gate.js';
import { sectionsOutput } from '../harness/sections.js';

const NAMES = ['bash', 'hello', 'no-such-pkg-kvplay'];
const local = () => parsePkgFacts(fx('apt-facts-local.txt'), NAMES);
const NOW = 1796558725;
const facts = (o: Partial<AptFacts> = {}): AptFacts => ({ stamp: { stamp: NOW - 3600, now: NOW }, pkg: local(), ...o });
/** a recorded apt-get simulation (its section) */
const sim = (name: string) => parseSections(fx(name)).sim;
const plan = (p: AptParams, f: Partial<AptFacts> = {}) => planApt(p, facts(f), { check: false });
/** parameters as the module gets them: Ansible's aliases resolved (validate.ts) */
const given = (p: Record<string, unknown>) => coerceParams(apt, p) as AptParams;
const cmds = (pl: ReturnType<typeof plan>) => (pl.kind === 'change' ? pl.steps.map((s) => s.cmd) : []);

test('facts: ONE dpkg-query and apt-cache policy for the whole list, versions stripped, the cache stamp', () => {
  const f = aptFacts({ name: ['bash=5.2*', 'hello'] });
  assert.equal(Object.keys(f).sort(), ['pkg', 'stamp']);
  assert.is((f.pkg.cmd.match(/dpkg-query/g) ?? []).length, 1);
  assert.match(f.pkg.cmd, "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' bash hello");
  assert.match(f.stamp.cmd, '/var/lib/apt/periodic/update-success-stamp');
  const pk = local();
  assert.is(pk.pkgs.bash.installed, true);
  assert.is(pk.pkgs.bash.upgradable, true);
  assert.is(pk.pkgs.hello.candidate, '2.10-3');
  assert.is(pk.pkgs['no-such-pkg-kvplay'].known, false);
});

test('present: installed is ok; missing is installed with Ansible\'s apt-get options; results carry cache_updated', () => {
  const ok = plan({ name: 'bash' });
  assert.is(ok.kind, 'ok');
  assert.equal(ok.result, { cache_updated: false, cache_update_time: NOW - 3600 });
  const inst = plan({ name: ['bash', 'hello'], install_recommends: false, policy_rc_d: 101 });
  assert.is(inst.kind, 'change');
  const c = cmds(inst);
  assert.is(c.length, 1);
  assert.match(c[0], "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends install hello");
  assert.match(c[0], 'policy-rc.d');
  assert.not.match(c[0], 'install bash');
  // aliases and a comma-separated string
  assert.equal(cmds(plan(given({ pkg: 'hello,bash' }))).length, 1);
  assert.equal(aptOpts(given({ package: ' a , b ' })).names, ['a', 'b']);
});

test('an unknown package fails as Ansible does, in check mode too; after a planned cache refresh it is assumed', () => {
  assert.throws(() => plan({ name: 'no-such-pkg-kvplay' }), /No package matching 'no-such-pkg-kvplay' is available/);
  assert.throws(() => planApt({ name: 'no-such-pkg-kvplay' }, facts(), { check: true }), /No package matching/);
  const p = plan({ name: 'no-such-pkg-kvplay', update_cache: true });
  assert.is(p.kind, 'change');
  assert.is(cmds(p).length, 2);
});

test('latest upgrades an upgradable package; only_upgrade skips missing ones', () => {
  const p = plan({ name: ['bash', 'hello'], state: 'latest' });
  assert.match(cmds(p)[0], / install bash hello$/);
  const only = plan({ name: ['bash', 'hello'], state: 'latest', only_upgrade: true });
  assert.match(cmds(only)[0], /--only-upgrade install bash$/);
  assert.is(plan({ name: 'hello', only_upgrade: true }).kind, 'ok');
});

test('update_cache as Ansible: always when older than cache_valid_time (default 0); with packages installed the task is ok', () => {
  const alone = plan({ update_cache: true });
  assert.is(alone.kind, 'change');
  assert.ok(alone.kind === 'change' && alone.changed === undefined, 'alone: changed');
  assert.match(cmds(alone)[0], 'apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold update');
  assert.equal(alone.result, { cache_updated: true, cache_update_time: NOW });
  const withPkgs = plan({ name: 'bash', update_cache: true });
  assert.ok(withPkgs.kind === 'change' && withPkgs.changed === false, 'the refresh runs, the task reports ok');
  assert.equal(withPkgs.result, { cache_updated: true, cache_update_time: NOW });
  const fresh = plan({ update_cache: true, cache_valid_time: 7200 });
  assert.is(fresh.kind, 'ok');
  assert.equal(fresh.result, { cache_updated: false, cache_update_time: NOW - 3600 });
  // cache_valid_time alone implies the refresh; no stamp at all: refreshed
  assert.is(plan({ cache_valid_time: 60 }).kind, 'change');
  assert.is(plan({ update_cache: true, cache_valid_time: 99999 }, { stamp: { stamp: 0, now: NOW } }).kind, 'change');
  // the update-cache spelling
  assert.is(plan(given({ 'update-cache': true })).kind, 'change');
});

test('absent removes what is installed; purge also a package removed with its configuration files left (rc)', () => {
  assert.match(cmds(plan({ name: ['bash', 'hello'], state: 'absent' }))[0], / remove bash$/);
  assert.is(plan({ name: 'hello', state: 'absent' }).kind, 'ok');
  const rc = parsePkgFacts(fx('apt-facts-local.txt').replace('bash\tii \t', 'hello\trc \t2.10-3\nbash\tii \t'), NAMES);
  assert.is(rc.pkgs.hello.installed, false);
  assert.is(rc.pkgs.hello.hasFiles, true);
  assert.is(plan({ name: 'hello', state: 'absent' }, { pkg: rc }).kind, 'ok');
  assert.match(cmds(plan({ name: 'hello', state: 'absent', purge: true, autoremove: true }, { pkg: rc }))[0], /--purge --auto-remove remove hello$/);
});

test('NAME=VERSION: the installed version matched as a glob; another version is installed by pin', () => {
  assert.is(plan({ name: 'bash=5.2.15-2+b8' }).kind, 'ok');
  assert.is(plan({ name: 'bash=5.2.*' }).kind, 'ok');
  assert.match(cmds(plan({ name: 'bash=5.2.15-2+b13' }))[0], / install bash=5\.2\.15-2\+b13$/);
  assert.ok(versionMatches('1.2.3-1', '1.2.[0-9]-?'));
  assert.not.ok(versionMatches('1.2.3', '1.2'));
  assert.throws(() => aptOpts({ name: 'bash>=5' }), /not supported/);
  assert.throws(() => aptOpts({ name: 'lib*' }), /patterns .* not supported/);
  assert.throws(() => aptOpts({ name: 'a=1=2' }), /invalid package spec: a=1=2/);
  assert.throws(() => aptOpts({ deb: '/tmp/x.deb' }), /deb: .*not supported/);
});

test('upgrade, autoremove, build-dep: planned from apt-get simulations (recorded), exactly', () => {
  const up = plan({ upgrade: 'dist' }, { sim: sim('apt-sim-upgrade.txt') });
  assert.is(up.kind, 'change');
  assert.match(cmds(up)[0], / dist-upgrade$/);
  assert.match(aptFacts({ upgrade: 'dist' }).sim.cmd, / -s dist-upgrade\n\) 2>&1 <\/dev\/null\n/);
  assert.match(aptFacts({ upgrade: true }).sim.cmd, / -s --with-new-pkgs upgrade\n/);
  assert.is(plan({ autoremove: true }, { sim: sim('apt-sim-autoremove.txt') }).kind, 'ok');
  assert.not.ok(simulationChanges(sim('apt-sim-autoremove.txt').out, 'autoremove'));
  assert.ok(simulationChanges('The following packages will be REMOVED:\n  x\n', 'autoremove'));
  assert.ok(simulationChanges(sim('apt-sim-upgrade.txt').out, 'install'));
  assert.throws(() => plan({ name: 'hello', state: 'build-dep' }, { sim: sim('apt-sim-builddep.txt') }), /deb-src/);
  assert.equal(Object.keys(aptFacts({ name: 'hello', state: 'build-dep' })).sort(), ['sim', 'stamp']);
});

test('schema: Ansible\'s mutually exclusive and required-one-of parameters are checked before the run', () => {
  assert.ok(validateParams(apt, { name: 'x', upgrade: 'dist' }, { static: true }).length > 0);
  assert.ok(validateParams(apt, { state: 'present' }, { static: true }).length > 0);
  assert.equal(validateParams(apt, { name: ['a'], state: 'latest', update_cache: true, cache_valid_time: 3600, install_recommends: false }, { static: true }), []);
  assert.equal(validateParams(apt, { upgrade: 'yes' }, { static: true }), []);
});

test('dnf/yum: planned like package from rpm -q; update_cache alone is not a change (Ansible)', () => {
  const out = sectionsOutput({ mgr: 'dnf', now: '1700000000', policy: '', stamp: '1699990000', lists: '1', installed: 'rpcbind\tii \t1.2.6-5.el9' });
  const f = parsePkgFacts(out, ['nfs-utils', 'rpcbind']);
  const p = planDnf('dnf', { name: ['nfs-utils', 'rpcbind'] }, f, { check: false });
  assert.ok(p.kind === 'change' && p.steps[0].cmd === 'dnf -y install nfs-utils');
  assert.equal(p.result, { msg: '', rc: 0, results: ['Installed: nfs-utils'] });
  const ok = planDnf('yum', { name: 'rpcbind' }, { ...f, mgr: 'yum' }, { check: false });
  assert.equal(ok.result, { msg: 'Nothing to do', rc: 0, results: [] });
  const rm = planDnf('yum', { name: 'rpcbind', state: 'removed' }, { ...f, mgr: 'yum' }, { check: false });
  assert.ok(rm.kind === 'change' && rm.steps[0].cmd === 'yum -y remove rpcbind');
  const cache = planDnf('dnf', { update_cache: true }, undefined, { check: false });
  assert.ok(cache.kind === 'change' && cache.changed === false && cache.steps[0].cmd === 'dnf -q -y makecache');
});

const dpkgTest = requires({ tools: ['dpkg-query', 'apt-cache', 'apt-get'] });
dpkgTest('check mode against this machine\'s dpkg database: nothing is installed or removed, predictions exact', async () => {
  const t = new CountingTransport();
  const installed = await run('apt', { name: 'bash' }, { check: true, transport: t });
  assert.is(installed.status, 'ok', installed.reason);
  assert.is(installed.data.cache_updated, false);
  const missing = await run('apt', { name: 'hello', update_cache: false }, { check: true, transport: t });
  assert.ok(missing.status === 'changed' || missing.reason.includes('No package'), missing.reason);
  const rm = await run('apt', { name: 'bash', state: 'absent' }, { check: true, transport: t });
  assert.is(rm.status, 'changed');
  const unknown = await run('apt', { name: 'kvplay-test-no-such-package' }, { check: true, transport: t });
  assert.is(unknown.status, 'failed');
  assert.match(unknown.reason, "No package matching 'kvplay-test-no-such-package' is available");
  const auto = await run('apt', { autoremove: true }, { check: true, transport: t });
  assert.ok(auto.status === 'ok' || auto.status === 'changed');
  // only facts ran: no apt-get without -s, no dpkg changes
  for (const c of t.execs) assert.not.match(c, /apt-get -y -q .* (install|remove|update|autoremove)\b/, c);
});

test.run();
