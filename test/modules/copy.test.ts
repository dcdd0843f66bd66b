import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copy } from '../../src/modules/copy.js';
import { md5, sha1 } from '../../src/modules/lib/fileops.js';
import { converge, fileState, isRoot, makeCtx, rmDir, run, tempDir, tempLeftovers } from './helpers.js';
import { requires } from '../harness/gate.js';

/** Chown and /etc need root: elsewhere reported as skipped with the reason. */
const rootTest = requires({ root: true });

test('plan: same content is ok, different content changes with a diff', () => {
  const ctx = makeCtx();
  const data = Buffer.from('hello\n');
  const p = { dest: '/srv/a', content: 'hello\n' };
  const prep = { data }; // what prepare returns
  const same = copy.plan!(p, { dest: fileState('/srv/a', { content: 'hello\n', checksum: sha1(data) }) }, ctx, prep);
  assert.is(same.kind, 'ok');
  const diff = copy.plan!(p, { dest: fileState('/srv/a', { content: 'bye\n', checksum: sha1('bye\n') }) }, ctx, prep);
  assert.is(diff.kind, 'change');
  if (diff.kind === 'change') assert.equal(diff.diff, [{ path: '/srv/a', before: 'bye\n', after: 'hello\n' }]);
  const missing = copy.plan!(p, { dest: fileState('/srv/a', { missing: true }) }, ctx, prep);
  assert.is(missing.reason, '/srv/a: created');
  assert.throws(() => copy.plan!(p, { dest: fileState('/srv/a', { missing: true, parentDir: false }) }, ctx, prep), /directory \/srv does not exist/);
  const attrs = copy.plan!({ ...p, mode: 'g+w', owner: 'nobody' }, { dest: fileState('/srv/a', { checksum: sha1(data) }) }, ctx, prep);
  assert.is(attrs.reason, '/srv/a: owner root -> nobody, mode 0644 -> 0664');
});

test('apply: content creates, is idempotent, mode/owner applied, diff', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'motd');
    const r = await converge('copy', { dest: f, content: 'welcome\n', mode: '0640' }, d);
    assert.is(readFileSync(f, 'utf8'), 'welcome\n');
    assert.is(statSync(f).mode & 0o777, 0o640);
    assert.equal(r.diff, [{ path: f, before: '', after: 'welcome\n' }]);
    // as Ansible: SHA-1 (and md5sum), the file's attributes after the write
    assert.is(r.data.checksum, sha1('welcome\n'));
    assert.is(r.data.md5sum, md5('welcome\n'));
    assert.equal([r.data.mode, r.data.state, r.data.size], ['0640', 'file', 8]);
    // content change keeps the mode
    const r2 = await converge('copy', { dest: f, content: 'bye\n' }, d);
    assert.equal(r2.diff, [{ path: f, before: 'welcome\n', after: 'bye\n' }]);
    assert.is(statSync(f).mode & 0o777, 0o640);
    // symbolic mode against the current one
    await converge('copy', { dest: f, content: 'bye\n', mode: 'u=rw,g=,o=' }, d);
    assert.is(statSync(f).mode & 0o777, 0o600);
    await converge('copy', { dest: f, content: 'bye\n', mode: 600 }, d, 'ok');
  } finally { rmDir(d); }
});

test('apply: src file, dest directory, binary content', async () => {
  const d = tempDir();
  try {
    const src = join(d, 'src.bin');
    const bin = Buffer.from([0, 1, 2, 255, 254, 10, 0]);
    writeFileSync(src, bin);
    chmodSync(src, 0o750);
    mkdirSync(join(d, 'out'));
    const r = await converge('copy', { src, dest: join(d, 'out') + '/' }, join(d, 'out'));
    assert.ok(readFileSync(join(d, 'out', 'src.bin')).equals(bin));
    assert.equal(r.diff, [{ path: join(d, 'out', 'src.bin'), before: '', after: '(binary: 7 bytes)\n' }]);
    await converge('copy', { src, dest: join(d, 'out'), mode: 'preserve' }, join(d, 'out'));
    assert.is(statSync(join(d, 'out', 'src.bin')).mode & 0o777, 0o750);
  } finally { rmDir(d); }
});

test('apply: force: false keeps an existing file; backup; validate', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'x');
    writeFileSync(f, 'old\n');
    await converge('copy', { dest: f, content: 'new\n', force: false }, d, 'ok');
    assert.is(readFileSync(f, 'utf8'), 'old\n');
    const r = await run('copy', { dest: f, content: 'new\n', backup: true });
    assert.is(r.status, 'changed');
    assert.is(readFileSync(r.data.backup_file as string, 'utf8'), 'old\n');
    const bad = await run('copy', { dest: f, content: 'broken\n', validate: 'grep -q new %s' });
    assert.is(bad.status, 'failed');
    assert.is(readFileSync(f, 'utf8'), 'new\n');
    assert.equal(tempLeftovers(d), []);
    // a validate that sees the new content at %s (quoted path with a space)
    const g = join(d, 'with space');
    const ok = await run('copy', { dest: g, content: 'new\n', validate: 'grep -q new %s' });
    assert.is(ok.status, 'changed', ok.reason);
  } finally { rmDir(d); }
});

test('apply: follow: false replaces a symlink by a file; follow: true writes through it', async () => {
  const d = tempDir();
  try {
    const real = join(d, 'real');
    const link = join(d, 'link');
    writeFileSync(real, 'r\n');
    symlinkSync(real, link);
    await converge('copy', { dest: link, content: 'through\n', follow: true }, d);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.is(readFileSync(real, 'utf8'), 'through\n');
    const r = await converge('copy', { dest: link, content: 'through\n' }, d);
    assert.is(r.reason, `${link}: symlink replaced by a file`);
    assert.not.ok(lstatSync(link).isSymbolicLink());
  } finally { rmDir(d); }
});

test('apply: a missing destination directory fails clearly', async () => {
  const d = tempDir();
  try {
    const r = await run('copy', { dest: join(d, 'no', 'x'), content: 'a' });
    assert.is(r.status, 'failed');
    assert.match(r.reason, /destination directory .* does not exist/);
  } finally { rmDir(d); }
});

rootTest('apply: owner/group by name and id (root only)', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'own');
    await converge('copy', { dest: f, content: 'x', owner: 'nobody', group: 0 }, d);
    assert.is(statSync(f).uid, 65534);
    await converge('copy', { dest: f, content: 'y' }, d);
    assert.is(statSync(f).uid, 65534, 'owner kept when content changes');
    await converge('copy', { dest: f, content: 'y', owner: '65534', group: 'root' }, d, 'ok');
  } finally { rmDir(d); }
});

test('unknown owner/group names: a real run fails; check mode assumes an earlier task creates them', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'o');
    const c = await run('copy', { dest: f, content: 'x', owner: 'no-such-user-kvplay' }, { check: true });
    assert.is(c.status, 'changed');
    const r = await run('copy', { dest: f, content: 'x', owner: 'no-such-user-kvplay' });
    assert.is(r.status, 'failed');
    assert.match(r.reason, /user 'no-such-user-kvplay' does not exist/);
    const g = await run('lineinfile', { path: f, line: 'x', create: true, group: 'no-such-group-kvplay' });
    assert.match(g.reason, /group 'no-such-group-kvplay' does not exist/);
    assert.not.ok(existsSync(f));
    assert.is((await run('file', { path: d, owner: 0, group: '0' }, { check: true })).status, isRoot ? 'ok' : 'changed');
  } finally { rmDir(d); }
});

test('missing prerequisites: check mode predicts a change (an earlier task may create them), a real run fails', async () => {
  const d = tempDir();
  try {
    const cases: [string, Record<string, unknown>][] = [
      ['copy', { dest: join(d, 'etc', 'motd'), content: 'x' }],
      ['lineinfile', { path: join(d, 'etc', 'app.conf'), line: 'port=1', regexp: '^port=' }],
      ['blockinfile', { path: join(d, 'etc', 'b'), block: 'x' }],
      ['file', { path: join(d, 'etc', 'motd'), mode: '0600' }],
      ['file', { path: join(d, 'l'), src: join(d, 'etc', 'motd'), state: 'link' }],
      ['file', { path: join(d, 'h'), src: join(d, 'etc', 'motd'), state: 'hard' }],
    ];
    for (const [m, p] of cases) {
      const c = await run(m, p, { check: true });
      assert.is(c.status, 'changed', `${m} check: ${c.reason}`);
      assert.match(c.reason, /check mode: .* does not exist yet/);
      assert.is((await run(m, p)).status, 'failed', `${m} real`);
    }
    assert.equal(readdirSync(d), []);
  } finally { rmDir(d); }
});

rootTest('apply: existing files under /etc are always backed up (root only)', async () => {
  const f = `/etc/kvplay-test-${process.pid}.conf`;
  try {
    writeFileSync(f, 'v1\n');
    const r = await run('copy', { dest: f, content: 'v2\n' });
    assert.is(r.status, 'changed');
    const b = r.data.backup_file as string;
    assert.ok(b && existsSync(b), 'backup made without backup: true');
    assert.is(readFileSync(b, 'utf8'), 'v1\n');
  } finally {
    for (const n of readdirSync('/etc')) if (n.startsWith(`kvplay-test-${process.pid}.conf`)) rmSync(join('/etc', n));
  }
});

test('apply: template renders on the controller', async () => {
  const d = tempDir();
  try {
    const t = join(d, 'exports.j2');
    writeFileSync(t, '{{ share }} {{ clients }}(rw,sync)\n');
    const f = join(d, 'exports');
    const vars = { share: '/nfsshare', clients: '10.0.0.0/24' };
    await converge('template', { src: t, dest: f, mode: '0644' }, d, 'changed', { vars });
    assert.is(readFileSync(f, 'utf8'), '/nfsshare 10.0.0.0/24(rw,sync)\n');
  } finally { rmDir(d); }
});

test.run();
