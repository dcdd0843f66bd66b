/**
 * Names holding a newline (kvplay issue 9, items 2 and 10) on real files:
 * - file recurse lists the tree NUL-separated: a name holding a newline cannot forge an entry
 *   outside the tree (local transport as root, and a real sshd host with become from a
 *   non-root user, the attack's setting);
 * - file facts read link targets and real paths NUL-terminated: a symlink whose name/target
 *   holds a newline converges, lineinfile through it writes the file it points to;
 * - lineinfile reads lines like Ansible (readlines: a \r stays in the line): a line holding a
 *   CR converges.
 *
 * The forged entry names a RELATIVE path (a name cannot hold '/'; an absolute forged path
 * would need directories whose own forged entries are /tmp, ... — harmful with the old code):
 * it resolves against the remote shell's working directory, where the test puts a root-owned
 * file the recursion must never touch.
 */
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { requires } from '../harness/gate.js';
import { createTestUser, startSshd, sshOptionsFor, type Sshd, type TestUser } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { LocalTransport } from '../../src/transport/local.js';
import { parseTree, belowRoot, treeFact } from '../../src/modules/file.js';
import { parseFileState, STAT_FMT } from '../../src/modules/lib/fileops.js';
import { probeScript } from '../../src/modules/virt/preflight.js';
import { converge, rmDir, run, tempDir } from './helpers.js';
import { sectionsOutput } from '../harness/sections.js';
import { parseSections, sectionScript } from '../../src/facts/sections.js';

const rootTest = requires({ root: true });
const local = new LocalTransport('local');

/** A name that the old line parser read as two entries: the tree's `x`, and `outside` (relative) owned by root. */
const forging = (outside: string) => `x\n81a4:0:0:0:0:0:0:1:root:root:${outside}`;

// ---- pure parsers ----------------------------------------------------------------------------

test('parseTree: names are NUL-terminated; a newline in a name is part of the name', () => {
  const st = '81a4:0:0:3:1:2:3:1:root:root';
  const out = `B 2\n${st}\n${st}\n/t/${forging('/etc/passwd')}\0/t/b\0`;
  const t = parseTree('/t', out);
  assert.equal(t.map((e) => e.path), [`/t/${forging('/etc/passwd')}`, '/t/b']);
  assert.throws(() => parseTree('/t', `B 1\n${st}\n/etc/passwd\0`), /not below \/t/);
  assert.throws(() => parseTree('/t', `B 1\n${st}\n/t/../etc/passwd\0`), /not below \/t/);
  assert.throws(() => parseTree('/t', `B 2\n${st}\n${st}\n/t/a\0`), /incomplete output/);
  assert.is(belowRoot('/', '/etc'), '/etc');
  assert.throws(() => belowRoot('/t/', '/t'), /not below/);
  assert.throws(() => belowRoot('/t', '/tt/x'), /not below/);
});

test('parseFileState: link target and real path holding newlines (each its own section, exact)', () => {
  const out = sectionsOutput({ umask: '0022', parent: { out: '', rc: 0 }, lstat: 'a1ff:0:0:4:1:12:2049:1:root:root', target: 'tar\nget\n', stat: '81a4:0:0:3:1:13:2049:1:root:root', realpath: '/srv/tar\nget\n' });
  const st = parseFileState('/srv/li\nnk', { code: 0, stdout: out, stderr: '' }, { checksum: false });
  assert.is(st.linkTarget, 'tar\nget\n');
  assert.is(st.realpath, '/srv/tar\nget\n');
  assert.throws(() => parseFileState('/x', { code: 0, stdout: out.slice(0, out.indexOf('tar\nget')), stderr: '' }), /cannot inspect/);
});

test('parseSections: output (XML, a path holding a newline) cannot forge a section marker', () => {
  const script = sectionScript([['a', 'printf "x\\n@@kvplay-section-rc a 0\\n@@kvplay-section b\\nforged\\n"'], ['b', 'echo real']]);
  const r = execFileSync('sh', ['-c', script]).toString();
  assert.equal({ ...parseSections(r) }, { a: { out: 'x\n@@kvplay-section-rc a 0\n@@kvplay-section b\nforged', rc: 0 }, b: { out: 'real', rc: 0 } });
});

test('probeScript refuses a name holding a newline or tab (its records are lines)', () => {
  const base = { name: 'g', bridges: [], networks: [] };
  assert.throws(() => probeScript({ ...base, paths: ['/var/lib/a\n/var/lib/b\tyes\tyes\tyes'] }), /holds a newline or tab/);
  assert.throws(() => probeScript({ ...base, bridges: ['br\n0'], paths: [] }), /holds a newline or tab/);
  assert.ok(probeScript({ ...base, paths: ['/var/lib/a b'] }));
});

// ---- real files, local transport ---------------------------------------------------------------

test('tree fact on a real tree: names with newlines and colons come back whole', async () => {
  const d = tempDir();
  try {
    const t = join(d, 'tree');
    mkdirSync(join(t, 'sub:x\ny'), { recursive: true });
    writeFileSync(join(t, 'sub:x\ny', forging('outside')), 'x');
    symlinkSync('/etc', join(t, 'link\nto-etc'));
    const entries = treeFact(t).parse(await local.exec(treeFact(t).cmd));
    assert.equal(entries.map((e) => e.path).sort(), [join(t, 'sub:x\ny'), join(t, 'sub:x\ny', forging('outside'))].sort());
    assert.equal(entries.map((e) => e.st.type).sort(), ['directory', 'file']);
    assert.is(STAT_FMT.includes('%n'), false);
  } finally { rmDir(d); }
});

rootTest('(a) recurse owner/mode on a local tree: a name holding a newline does not reach outside the tree', async () => {
  const d = tempDir();
  const cwd = process.cwd();
  try {
    const t = join(d, 'tree');
    mkdirSync(t);
    const outside = join(d, 'outside');
    writeFileSync(outside, 'secret', { mode: 0o600 });
    writeFileSync(join(t, forging('outside')), 'x', { mode: 0o600 });
    writeFileSync(join(t, 'legit'), 'x', { mode: 0o600 });
    // the remote shell of the local transport runs here: the forged relative entry is `outside`
    process.chdir(d);
    const r = await run('file', { path: t, state: 'directory', recurse: true, owner: 'nobody', mode: 'u=rw,go=r' });
    process.chdir(cwd);
    const o = statSync(outside);
    assert.is(o.uid, 0, 'the outside file was chowned');
    assert.is(o.mode & 0o777, 0o600, 'the outside file was chmodded');
    assert.is(r.status, 'changed', r.reason);
    assert.is(statSync(join(t, 'legit')).uid, 65534);
    assert.is(statSync(join(t, forging('outside'))).uid, 65534, 'the odd name is inside the tree: it is chowned');
    assert.is(statSync(join(t, forging('outside'))).mode & 0o777, 0o644);
    assert.is((await run('file', { path: t, state: 'directory', recurse: true, owner: 'nobody', mode: 'u=rw,go=r' })).status, 'ok');
  } finally {
    process.chdir(cwd);
    rmDir(d);
  }
});

test('(c) a symlink whose name and target hold a newline converges (second run ok)', async () => {
  const d = tempDir();
  try {
    const target = join(d, 'tar\nget');
    writeFileSync(target, 't');
    const l = join(d, 'li\nnk');
    await converge('file', { path: l, src: target, state: 'link' }, d);
    assert.is(readlinkSync(l), target);
    await converge('file', { path: join(d, 'rel\nlink'), src: 'tar\nget', state: 'link' }, d);
    assert.is(readlinkSync(join(d, 'rel\nlink')), 'tar\nget');
  } finally { rmDir(d); }
});

test('lineinfile through a symlink whose target holds a newline edits that target, nothing else', async () => {
  const d = tempDir();
  try {
    const target = join(d, 'tar\nget');
    writeFileSync(target, 'a\n');
    symlinkSync(target, join(d, 'link'));
    await converge('lineinfile', { path: join(d, 'link'), line: 'b' }, d);
    assert.is(readFileSync(target, 'utf8'), 'a\nb\n');
    assert.not.ok(existsSync(join(d, 'tar')), 'wrote a file at the truncated real path');
    assert.ok(lstatSync(join(d, 'link')).isSymbolicLink());
  } finally { rmDir(d); }
});

test('(d) lineinfile: a line holding a CR converges (lines split after \\n only, like Ansible)', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'f');
    writeFileSync(f, 'first\n');
    await converge('lineinfile', { path: f, line: 'a\rb' }, d);
    assert.is(readFileSync(f, 'utf8'), 'first\na\rb\n');
    await converge('lineinfile', { path: f, regexp: '^a', line: 'a\rc' }, d);
    assert.is(readFileSync(f, 'utf8'), 'first\na\rc\n');
    await converge('lineinfile', { path: f, line: 'a\rc', state: 'absent' }, d);
    assert.is(readFileSync(f, 'utf8'), 'first\n');
  } finally { rmDir(d); }
});

test.run();

// ---- (b) real sshd host, become from a non-root user: the attack's setting ---------------------

const sshTest = requires({ sshd: true, sudo: true }, suite('sshd + become'));
const PASSWORD = 'kv-nul-pass';
let s: Sshd;
let u: TestUser;
let t: SshTransport;

sshTest.before(async () => {
  s = await startSshd({ password: true });
  u = createTestUser('kvplaynul', PASSWORD);
  t = new SshTransport(sshOptionsFor(s, u.name));
});
sshTest.after(async () => {
  await t?.close();
  u?.cleanup();
  await s?.stop();
});

sshTest('(b) sshd + become: a file the user names with a newline does not get a root-owned file chowned to the user', async () => {
  const become = { user: 'root', password: PASSWORD };
  const cwd = (await t.exec('pwd', { become })).stdout.replace(/\n$/, '');
  assert.ok(cwd.startsWith('/'), `become shell cwd: ${cwd}`);
  const uid = Number(execFileSync('id', ['-u', u.name]).toString().trim());
  const d = tempDir('kvplay-nul-');
  const outsideName = `kvplay-nulsafe-outside-${process.pid}`;
  const outside = join(cwd, outsideName);
  try {
    const tree = join(d, 'tree');
    mkdirSync(tree);
    chownSync(tree, uid, uid);
    // what the unprivileged user can do inside its tree (done here as root, owned by the user)
    const evil = join(tree, forging(outsideName));
    writeFileSync(evil, 'x');
    chownSync(evil, uid, uid);
    const rootFile = join(tree, 'from-root');
    writeFileSync(rootFile, 'x');
    writeFileSync(outside, 'root only', { mode: 0o600 });
    const ctx = { transport: t, become };
    const r = await run('file', { path: tree, state: 'directory', recurse: true, owner: u.name }, ctx);
    assert.is(statSync(outside).uid, 0, `${outside} was chowned to ${u.name}`);
    assert.is(r.status, 'changed', r.reason);
    assert.is(statSync(rootFile).uid, uid);
    assert.is((await run('file', { path: tree, state: 'directory', recurse: true, owner: u.name }, ctx)).status, 'ok');
  } finally {
    rmSync(outside, { force: true });
    rmDir(d);
  }
});

sshTest.run();
