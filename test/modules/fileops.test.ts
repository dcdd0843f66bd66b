import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transport/local.js';
import { contentDiff, DIFF_CAP, fileFactCmd, mustBackup, parseFileState, writeStep } from '../../src/modules/lib/fileops.js';
import { fileState, rmDir, run, tempDir } from './helpers.js';
import { sectionsOutput } from '../harness/sections.js';

const local = new LocalTransport('local');

/** The file fact's sections (src/facts/file.ts) as a host prints them; `more` overrides. */
const fileOut = (more: Record<string, string | { out: string; rc: number }>) =>
  sectionsOutput({ umask: '0022', parent: { out: '', rc: 0 }, lstat: { out: '', rc: 0 }, target: '', stat: '', realpath: '', checksum: '', ...more });

test('parseFileState: output of a symlink to a file with content', () => {
  const out = fileOut({
    lstat: 'a1ff:0:0:4:1700000000:12:2049:1:root:root',
    target: 'target',
    stat: '81a4:1000:100:3:1700000001:13:2049:2:alice:users',
    realpath: '/srv/target',
    checksum: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -',
    content: 'YWJj',
  });
  const st = parseFileState('/srv/link', { code: 0, stdout: out, stderr: '' }, { content: 'always' });
  assert.is(st.exists, true);
  assert.is(st.l!.type, 'link');
  assert.is(st.f!.type, 'file');
  assert.is(st.f!.mode, 0o644);
  assert.is(st.f!.owner, 'alice');
  assert.is(st.f!.nlink, 2);
  assert.is(st.linkTarget, 'target');
  assert.is(st.realpath, '/srv/target');
  assert.is(st.checksum, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(st.content!.toString(), 'abc');
  assert.is(st.umask, 0o022);
});

test('parseFileState: missing file, truncated output, unreadable content', () => {
  const missing = parseFileState('/x', { code: 0, stdout: fileOut({ umask: '0077', parent: '' }), stderr: '' });
  assert.equal(missing, { path: '/x', exists: false, parentDir: false, umask: 0o077 });
  assert.throws(() => parseFileState('/x', { code: 2, stdout: fileOut({}).slice(0, 60), stderr: 'sh: syntax error' }), /cannot inspect \/x: sh: syntax error/);
  const noread = fileOut({ lstat: '81a4:0:0:3:1:2:3:1:root:root', content: { out: '', rc: 1 } });
  assert.throws(() => parseFileState('/x', { code: 0, stdout: noread, stderr: 'Permission denied' }, { content: 'always' }), /cannot read \/x: Permission denied/);
  assert.throws(() => parseFileState('/x', { code: 0, stdout: fileOut({ lstat: { out: '', rc: 1 } }), stderr: 'stat: Permission denied' }), /cannot stat \/x: stat: Permission denied/);
});

test('fact command on real files: big files are not read for a diff', async () => {
  const d = tempDir();
  try {
    const big = join(d, 'big');
    writeFileSync(big, Buffer.alloc(DIFF_CAP + 10, 97));
    const r = await local.exec(fileFactCmd(big, { content: 'diff' }));
    const st = parseFileState(big, r, { content: 'diff' });
    assert.is(st.contentOmitted, true);
    assert.is(st.content, undefined);
    assert.is(st.f!.size, DIFF_CAP + 10);
    assert.equal(contentDiff(big, st, 'x\n'), { path: big, before: `(content not shown: ${DIFF_CAP + 10} bytes)\n`, after: 'x\n' });
    const out = await run('copy', { dest: big, content: 'small\n' });
    assert.is(out.status, 'changed');
    symlinkSync('/nonexistent', join(d, 'dangling'));
    const dl = parseFileState(join(d, 'dangling'), await local.exec(fileFactCmd(join(d, 'dangling'))));
    assert.is(dl.exists, true);
    assert.is(dl.f, undefined);
    assert.is(dl.linkTarget, '/nonexistent');
  } finally { rmDir(d); }
});

test('mustBackup: /etc rule', () => {
  assert.is(mustBackup('/etc/exports', true, false), true);
  assert.is(mustBackup('/etc/../etc/fstab', true, undefined), true);
  assert.is(mustBackup('/etc/exports', false, true), false);
  assert.is(mustBackup('/srv/x', true, false), false);
  assert.is(mustBackup('/srv/x', true, true), true);
});

test('writeStep: quoted path, validate %s, backup and chown only when asked', () => {
  const s = writeStep({ path: "/tmp/it's", content: 'x', mode: 0o640, validate: 'check %s', backup: true, cur: fileState('/x').f });
  assert.match(s.cmd, /p='\/tmp\/it'\\''s'/);
  assert.match(s.cmd, /check "\$t"/);
  assert.match(s.cmd, /chmod 0640 "\$t"/);
  assert.match(s.cmd, /cp -p "\$p" "\$b"/);
  const n = writeStep({ path: '/tmp/new', content: 'x', mode: 0o644, backup: true });
  assert.not.match(n.cmd, /cp -p/); // nothing to back up
  assert.not.match(n.cmd, /chown/);
});

test.run();
