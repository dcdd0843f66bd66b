/**
 * The facts catalog (src/facts/): each fact is a command + a pure parser, tested here from output
 * RECORDED on a real host (test/fixtures/facts/*.txt; test/facts/record.ts re-records them), and
 * every catalog command speaks the one section format (src/facts/sections.ts).
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileFactCmd, parseFileState } from '../../src/facts/file.js';
import { accountFactCmd, parseAccountFacts } from '../../src/facts/account.js';
import { parsePkgFacts, pkgFactCmd } from '../../src/facts/packages.js';
import { parseServiceFacts, serviceFactCmd } from '../../src/facts/service.js';
import { parseUserFile, userFileFact } from '../../src/facts/sshfiles.js';
import { parseZoneFact, zoneFactCmd } from '../../src/facts/firewalld.js';
import { FACTS_SCRIPT, parseFacts } from '../../src/facts/host.js';
import { hasSections, parseSections } from '../../src/facts/sections.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/facts/${n}`, import.meta.url), 'utf8');
const res = (stdout: string) => ({ code: 0, stdout, stderr: '' });
// the hostile names of test/facts/record.ts (not imported: that module records when loaded)
const DIR = '/tmp/kvplay-facts-fixture';
const FAKE = '@@kvplay-section-rc target 0\n@@kvplay-section content #0123456789abcdef';

test('file: a symlink whose name, target and content hold newlines and fake section markers', () => {
  const link = `${DIR}/li\nnk ${FAKE}`;
  const st = parseFileState(link, res(fx('file-symlink-hostile.txt')), { content: 'always', access: true });
  assert.is(st.exists, true);
  assert.is(st.l!.type, 'link');
  assert.is(st.f!.type, 'file');
  assert.is(st.f!.mode, 0o644);
  assert.is(st.linkTarget, `tar\n${FAKE}\nget`);
  assert.is(st.realpath, `${DIR}/tar\n${FAKE}\nget`);
  assert.is(st.content!.toString(), `line 1\n${FAKE}\nlast line, no newline`);
  assert.is(st.checksum, 'fbbb8f6c3372b31a66b626cc643047af9f0f0bbc4f2cf1940d29cf3b79950a25');
  assert.equal(st.access, { r: true, w: true, x: false });
  assert.is(st.umask, 0o022);
  assert.equal(Object.keys(parseSections(fx('file-symlink-hostile.txt'))), ['umask', 'parent', 'lstat', 'target', 'stat', 'realpath', 'access', 'checksum', 'content']);
});

test('file: missing (its directory too), and a directory', () => {
  assert.equal(parseFileState(`${DIR}/missing/x`, res(fx('file-missing.txt'))), { path: `${DIR}/missing/x`, exists: false, parentDir: false, umask: 0o022 });
  const etc = parseFileState('/etc', res(fx('file-dir.txt')), { access: true });
  assert.is(etc.f!.type, 'directory');
  assert.is(etc.f, etc.l, 'not a link: the lstat is the stat');
  assert.is(etc.checksum, undefined);
  assert.ok(etc.parentDir);
  // cut off before its end: the fact fails rather than read as "missing"
  const cut = fx('file-dir.txt').slice(0, fx('file-dir.txt').indexOf('@@kvplay-section checksum'));
  assert.throws(() => parseFileState('/etc', { code: 255, stdout: cut, stderr: 'Connection reset' }, { access: true }), /cannot inspect \/etc: Connection reset/);
});

test('account: root, and a user that does not exist', () => {
  const root = parseAccountFacts('root', fx('account-root.txt'));
  assert.equal(root.user, { name: 'root', uid: 0, gid: 0, comment: 'root', home: '/root', shell: '/bin/bash' });
  assert.ok(root.homeExists);
  assert.is(root.groups.root.gid, 0);
  assert.ok(root.hash.length > 0);
  const none = parseAccountFacts('no-such-user-kvplay', fx('account-missing.txt'));
  assert.is(none.user, undefined);
  assert.is(none.homeExists, false);
  assert.is(parseSections(fx('account-missing.txt')).passwd.rc, 2, 'getent: key not found');
});

test('packages (apt): installed, unknown; cache never updated', () => {
  const f = parsePkgFacts(fx('packages-apt.txt'), ['bash', 'no-such-pkg-kvplay']);
  assert.is(f.mgr, 'apt');
  assert.equal([f.pkgs.bash.installed, f.pkgs.bash.version], [true, '5.2.15-2+b8']);
  assert.equal([f.pkgs['no-such-pkg-kvplay'].installed, f.pkgs['no-such-pkg-kvplay'].known], [false, false]);
  assert.is(f.cacheAge, undefined);
  assert.is(f.policyRcD, true);
});

test('service: SysV host (PID 1 is not systemd): status from the section\'s exit code', () => {
  const u = parseServiceFacts('ssh', fx('service-ssh.txt'));
  assert.equal(u, { mgr: 'sysv', unit: 'ssh', load: 'loaded', active: 'inactive', enabled: 'enabled', needReload: false, fileOnDisk: true });
});

test("users' ssh files: home from getent, a file that is not there", () => {
  const f = parseUserFile(fx('sshfiles-root.txt'), 'root');
  assert.equal([f.known, f.home, f.uid, f.path], [true, '/root', 0, '/root/.ssh/kvplay-no-such-file']);
  assert.is(f.st, undefined);
  assert.is(f.content, undefined);
});

test('firewalld zone: no D-Bus answer (no firewalld here)', () => {
  assert.equal(parseZoneFact(fx('firewalld-zone-nobus.txt')), { dbus: false, zone: '', zones: [] });
});

test('recorded on the container lab (systemd hosts): service, packages, account, firewalld over D-Bus', () => {
  for (const h of ['kvm1', 'nfs']) {
    assert.equal(parseServiceFacts('ssh', fx(`service-${h}.txt`)), { mgr: 'systemd', unit: 'ssh.service', load: 'loaded', active: 'active', enabled: 'enabled', needReload: false, fileOnDisk: true }, h);
    const p = parsePkgFacts(fx(`packages-apt-${h}.txt`), ['openssh-server', 'no-such-pkg-kvplay']);
    assert.equal([p.mgr, p.pkgs['openssh-server'].installed, p.pkgs['no-such-pkg-kvplay'].known], ['apt', true, false], h);
    assert.is(parseAccountFacts('root', fx(`account-root-${h}.txt`)).user?.home, '/root', h);
  }
  assert.equal(parseZoneFact(fx('firewalld-zone-kvm1.txt')), { dbus: false, zone: '', zones: [] }, 'no firewalld on kvm1');
  const nfs = parseZoneFact(fx('firewalld-zone-nfs.txt'));
  assert.equal([nfs.dbus, nfs.zone, nfs.zones], [true, 'public', ['public']], 'found by name: the other zones not listed');
  assert.ok(nfs.perm && nfs.rt, 'permanent and runtime settings');
});

test('the gather_facts script (recorded on this Debian 12 machine)', () => {
  const f = parseFacts(fx('debian12.txt')) as Record<string, unknown>;
  assert.equal([f.distribution, f.os_family, f.pkg_mgr, f.service_mgr], ['Debian', 'Debian', 'apt', 'service']);
});

test('one format: every catalog command prints sections (run here), the fixtures hold sections', () => {
  const cmds = [fileFactCmd('/etc'), accountFactCmd('root'), pkgFactCmd('auto', ['bash'], false), serviceFactCmd('ssh'), userFileFact('root', '.ssh/x').cmd, zoneFactCmd(), FACTS_SCRIPT];
  for (const c of cmds) {
    assert.match(c, /^LC_ALL=C; export LC_ALL\n/);
    const r = spawnSync('sh', ['-c', c], { encoding: 'utf8' });
    assert.ok(hasSections(r.stdout), c.slice(0, 200));
    assert.ok(Object.values(parseSections(r.stdout)).every((s) => s.rc !== -1), 'every section complete');
  }
  for (const f of ['file-symlink-hostile', 'file-missing', 'file-dir', 'account-root', 'account-missing', 'packages-apt', 'service-ssh', 'sshfiles-root', 'firewalld-zone-nobus', 'debian12', 'rhel9',
    'service-kvm1', 'service-nfs', 'packages-apt-kvm1', 'packages-apt-nfs', 'account-root-kvm1', 'account-root-nfs', 'firewalld-zone-kvm1', 'firewalld-zone-nfs']) {
    assert.ok(hasSections(fx(`${f}.txt`)), f);
  }
});

test.run();
