/** unarchive (src/modules/unarchive.ts): tar --diff judged as Ansible; tar/zip on this machine, extracted once. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeDecode, tarDiffPending } from '../../src/modules/unarchive.js';
import { rmDir, run, tempDir } from './helpers.js';
import { requires } from '../harness/gate.js';

test('tar --diff lines: missing files and mod time always count; mode/owner/group only when not set by the task', () => {
  const out = 'top/a.txt: Mod time differs\ntop/b.txt: Mode differs\ntop/c.txt: Uid differs\ntop/: : Warning: Cannot stat: No such file or directory\ntop/d: Warning: Cannot stat: No such file or directory\nother noise';
  assert.is(tarDiffPending(out, { root: true, owner: false, group: false, mode: false }), 'top/a.txt: Mod time differs\ntop/b.txt: Mode differs\ntop/c.txt: Uid differs\ntop/d: Warning: Cannot stat: No such file or directory\n');
  assert.is(tarDiffPending('x: Mode differs\nx: Uid differs', { root: false, owner: false, group: false, mode: true }), '');
  assert.is(tarDiffPending('', { root: true, owner: false, group: false, mode: false }), '');
  assert.is(escapeDecode('new\\nline\\303\\251'), 'new\nlineé');
});

const tools = requires({ tools: ['tar', 'zip', 'unzip'] });
tools('on this machine: tar.gz and zip extracted, then ok; a changed file is extracted again; mode applied; check mode', async () => {
  const d = tempDir('kvplay-unarchive-');
  try {
    mkdirSync(join(d, 'src', 'top', 'sub'), { recursive: true });
    writeFileSync(join(d, 'src', 'top', 'a.txt'), 'a\n');
    writeFileSync(join(d, 'src', 'top', 'sub', 'new\nline'), 'n\n');
    // archived files older than anything written later (tar keeps mtimes to the second; Ansible compares them)
    execSync(`find ${d}/src -exec touch -d 2020-01-01 {} + && tar -C ${d}/src -czf ${d}/a.tgz top && cd ${d}/src && zip -qr ${d}/a.zip top`, { shell: '/bin/sh' });
    for (const [arch, handler] of [['a.tgz', 'TgzArchive'], ['a.zip', 'ZipArchive']]) {
      const dest = join(d, `x-${arch}`);
      mkdirSync(dest);
      const p = { src: join(d, arch), dest, list_files: true };
      const r = await run('unarchive', p);
      assert.is(r.status, 'changed', r.reason);
      assert.is(r.data.handler, handler);
      assert.ok((r.data.files as string[]).includes('top/a.txt'));
      // a name with a newline (tar escapes it in --list; zip tools may rename it)
      if (arch === 'a.tgz') assert.is(readFileSync(join(dest, 'top', 'sub', 'new\nline'), 'utf8'), 'n\n');
      assert.is((await run('unarchive', p)).status, 'ok', `${arch} again`);
      writeFileSync(join(dest, 'top', 'a.txt'), 'changed\n');
      assert.is((await run('unarchive', p)).status, 'changed', `${arch}: a changed file`);
      assert.is(readFileSync(join(dest, 'top', 'a.txt'), 'utf8'), 'a\n');
    }
    const m = join(d, 'x-mode');
    mkdirSync(m);
    assert.is((await run('unarchive', { src: join(d, 'a.tgz'), dest: m, mode: '0700' })).status, 'changed');
    assert.is(statSync(join(m, 'top', 'a.txt')).mode & 0o777, 0o700);
    const c = await run('unarchive', { src: join(d, 'a.tgz'), dest: join(d, 'x-a.zip') }, { check: true });
    assert.is(c.skipped, true, 'tar in check mode: skipped as Ansible');
    const bad = await run('unarchive', { src: join(d, 'a.tgz'), dest: join(d, 'nope') });
    assert.is(bad.reason, `dest '${join(d, 'nope')}' must be an existing dir`);
  } finally {
    rmDir(d);
  }
});

test.run();
