import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planPackage, pkgNames, packageModule } from '../../../src/modules/package.js';
import { installCmd } from '../../../src/modules/lib/pkg.js';
import { chooseMgr, parseAptPolicy, parseCheckUpdate, parsePkgFacts, pkgFactCmd } from '../../../src/facts/packages.js';
import { fx, gathered, pctx } from './helpers.js';
import { sectionsOutput } from '../../harness/sections.js';

const names = ['nfs-ganesha', 'rpcbind', 'hello', 'no-such-pkg'];
const apt = () => parsePkgFacts(fx('apt-facts-nfs.txt'), names);

test('apt facts recorded on the lab: installed, candidates, cache age', () => {
  const f = apt();
  assert.is(f.mgr, 'apt');
  assert.equal(f.pkgs['nfs-ganesha'], { installed: true, version: '4.3-2', candidate: '4.3-2', known: true, upgradable: false, hasFiles: true });
  assert.is(f.pkgs.hello.installed, false);
  assert.is(f.pkgs.hello.candidate, '2.10-3');
  assert.is(f.pkgs['no-such-pkg'].known, false);
  assert.is(f.cacheAge, 120);
  assert.is(f.listsEmpty, false);
});

test('present: installed packages are ok, with the reason', () => {
  const p = planPackage({ name: ['nfs-ganesha', 'rpcbind'], state: 'present', update_cache: true }, apt(), pctx());
  assert.is(p.kind, 'ok');
  assert.match(p.reason, 'installed (apt)');
});

test('present: a missing package is installed non-interactively; update_cache runs first', () => {
  const p = planPackage({ name: 'hello,rpcbind', update_cache: true, policy_rc_d: 101 }, apt(), pctx());
  assert.is(p.kind, 'change');
  if (p.kind !== 'change') return;
  assert.equal(p.steps.map((s) => s.desc), ['update package cache', 'install hello']);
  assert.match(p.steps[0].cmd, /apt-get .* update/);
  assert.match(p.steps[1].cmd, 'DEBIAN_FRONTEND=noninteractive apt-get -y');
  assert.match(p.steps[1].cmd, 'install hello');
  assert.match(p.steps[1].cmd, /printf '#!\/bin\/sh\\nexit %s\\n' 101 > "\$p"/);
  assert.match(p.steps[1].cmd, "trap 'rm -f \"$p\"' EXIT");
  assert.not.match(p.steps[1].cmd, 'rpcbind');
});

test('cache_valid_time: a fresh cache is not updated; an old one is, even with nothing to install', () => {
  const f = apt();
  assert.is(planPackage({ name: 'rpcbind', update_cache: true, cache_valid_time: 3600 }, f, pctx()).kind, 'ok');
  const p = planPackage({ name: 'rpcbind', update_cache: true, cache_valid_time: 60 }, f, pctx());
  assert.is(p.kind, 'change');
  if (p.kind === 'change') assert.equal(p.steps.map((s) => s.desc), ['update package cache']);
});

test('an unknown package fails before anything runs (real run); check mode predicts', () => {
  assert.throws(() => planPackage({ name: 'no-such-pkg' }, apt(), pctx()), /no package no-such-pkg available/);
  assert.is(planPackage({ name: 'no-such-pkg' }, apt(), pctx({ check: true })).kind, 'change');
});

test('empty package lists (fresh image): the cache is updated before installing', () => {
  const f = { ...apt(), listsEmpty: true };
  const p = planPackage({ name: 'hello' }, f, pctx());
  assert.ok(p.kind === 'change' && p.steps[0].desc === 'update package cache');
  assert.match(p.reason, 'no package lists yet');
});

test('absent and latest', () => {
  const rm = planPackage({ name: ['rpcbind', 'hello'], state: 'absent', purge: true }, apt(), pctx());
  assert.ok(rm.kind === 'change' && /apt-get .* purge rpcbind$/.test(rm.steps[0].cmd));
  assert.is(planPackage({ name: 'hello', state: 'removed' }, apt(), pctx()).kind, 'ok');
  const f = apt();
  f.pkgs.rpcbind = { ...f.pkgs.rpcbind, candidate: '1.2.7', upgradable: true };
  const up = planPackage({ name: 'rpcbind', state: 'latest' }, f, pctx());
  assert.ok(up.kind === 'change' && /--only-upgrade install rpcbind/.test(up.steps[0].cmd));
  assert.match(up.reason, 'rpcbind 1.2.6-6+b1 -> 1.2.7');
});

test('RedHat family (recorded rhel9 facts): dnf and rpm -q are chosen', () => {
  const facts = gathered('rhel9.txt');
  assert.is(facts.os_family, 'RedHat');
  const ctx = pctx({ facts });
  const defs = packageModule.facts!({ name: ['nfs-utils', 'rpcbind'] }, ctx) as any;
  assert.match(defs.pkg.cmd, 'm=dnf');
  assert.match(defs.pkg.cmd, "rpm -q --qf '%{NAME}");
  // recorded rpm -q output: nfs-utils missing, rpcbind installed
  const out = sectionsOutput({ mgr: 'dnf', now: '1700000000', policy: '', stamp: '1699990000', lists: '1', installed: 'rpcbind\tii \t1.2.6-5.el9' });
  const f = parsePkgFacts(out, ['nfs-utils', 'rpcbind']);
  const p = planPackage({ name: ['nfs-utils', 'rpcbind'] }, f, ctx);
  assert.ok(p.kind === 'change');
  if (p.kind === 'change') assert.equal(p.steps.map((s) => s.cmd), ['dnf -y install nfs-utils']);
  const rm = planPackage({ name: 'rpcbind', state: 'absent' }, f, ctx);
  assert.ok(rm.kind === 'change' && rm.steps[0].cmd === 'dnf -y remove rpcbind');
});

test('RedHat latest: dnf check-update output marks upgradable packages', () => {
  const out = sectionsOutput({ mgr: 'yum', now: '1', installed: 'rpcbind\tii \t0.2.0-48.el7', updates: { out: '\nrpcbind.x86_64    0.2.0-49.el7    updates', rc: 100 } });
  const f = parsePkgFacts(out, ['rpcbind']);
  assert.is(f.pkgs.rpcbind.upgradable, true);
  const p = planPackage({ name: 'rpcbind', state: 'latest' }, f, pctx());
  assert.ok(p.kind === 'change' && p.steps[0].cmd === 'yum -y upgrade rpcbind');
  assert.equal(parseCheckUpdate('Last metadata expiration check: 0:01:00 ago.\nkernel.x86_64  5.14.0-70 baseos\n'), { kernel: '5.14.0-70' });
});

test('manager choice from facts, use:, and detection when facts are missing', () => {
  assert.is(chooseMgr(undefined, 'apt', 'Debian'), 'apt');
  assert.is(chooseMgr(undefined, 'yum', 'RedHat'), 'yum');
  assert.is(chooseMgr(undefined, undefined, 'RedHat'), 'dnf');
  assert.is(chooseMgr(undefined, undefined, undefined), 'auto');
  assert.is(chooseMgr('yum', 'dnf', 'RedHat'), 'yum');
  assert.throws(() => chooseMgr('zypper', undefined, undefined), /not supported/);
  assert.match(pkgFactCmd('auto', ['a'], false), 'command -v apt-get');
  // no gathered facts: the fact script detects the manager, the parser takes its answer
  assert.is(packageModule.facts!({ name: 'x' }, pctx()).pkg.cmd.includes('m=auto'), true);
  assert.is(parsePkgFacts(sectionsOutput({ mgr: 'yum', installed: '' }), ['x']).mgr, 'yum');
});

test('names are validated and quoted', () => {
  assert.throws(() => pkgNames({ name: ['-oops'] }), /invalid package name/);
  assert.throws(() => pkgNames({ name: [] }), /no package/);
  assert.equal(pkgNames({ name: ' a , b ' }), ['a', 'b']);
  assert.is(installCmd('dnf', ['a+b']), 'dnf -y install a+b');
  assert.equal(parseAptPolicy('x:amd64:\n  Installed: (none)\n  Candidate: (none)\n'), { x: undefined });
});

test.run();
