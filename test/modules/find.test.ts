/** find (src/modules/find.ts): on a real tree of this machine, and the parser/walk order from recorded output. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { parseFindFacts, walkOrder, type FoundEntry } from '../../src/modules/find.js';
import { sectionsOutput } from '../harness/sections.js';
import { rmDir, run, tempDir } from './helpers.js';

let t = '';
test.before(() => {
  t = tempDir('kvplay-find-');
  mkdirSync(join(t, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(t, 'a.conf'), 'key = 1\nother\n');
  writeFileSync(join(t, 'big.log'), 'x'.repeat(3000));
  writeFileSync(join(t, 'new\nline.conf'), 'key = 2\n');
  writeFileSync(join(t, '.hidden.conf'), '');
  writeFileSync(join(t, 'sub', 'c.conf'), 'nokey\n');
  writeFileSync(join(t, 'sub', 'deep', 'd.conf'), 'key\n');
  symlinkSync('sub', join(t, 'link'));
  utimesSync(join(t, 'big.log'), new Date(0), new Date(0));
});
test.after(() => rmDir(t));

const paths = (r: Awaited<ReturnType<typeof run>>) => (r.data.files as { path: string }[]).map((f) => f.path.slice(t.length + 1));

test('files at the top only by default; hidden names left out; a name with a newline intact', async () => {
  const r = await run('find', { paths: t });
  assert.is(r.status, 'ok');
  assert.equal(paths(r).sort(), ['a.conf', 'big.log', 'new\nline.conf']);
  assert.is(r.data.examined, 6, 'every entry of the directory is examined (hidden ones, links and directories too)');
  assert.is(r.data.msg, 'All paths examined');
  const f = (r.data.files as Record<string, unknown>[]).find((x) => String(x.path).endsWith('a.conf'))!;
  assert.equal([f.mode, f.isreg, f.size, typeof f.mtime], ['0644', true, 14, 'number']);
});

test('recurse, depth, patterns/excludes, regex, contains, size, age, file_type', async () => {
  assert.equal(paths(await run('find', { paths: t, recurse: true, patterns: '*.conf' })).sort(), ['a.conf', 'new\nline.conf', 'sub/c.conf', 'sub/deep/d.conf']);
  assert.equal(paths(await run('find', { paths: t, recurse: true, depth: 2, patterns: ['*.conf'], excludes: ['c*'] })).sort(), ['a.conf', 'new\nline.conf']);
  assert.equal(paths(await run('find', { paths: t, recurse: true, patterns: '^[a-d]\\.', use_regex: true })).sort(), ['a.conf', 'sub/c.conf', 'sub/deep/d.conf']);
  assert.equal(paths(await run('find', { paths: t, recurse: true, contains: '^key' })).sort(), ['a.conf', 'new\nline.conf', 'sub/deep/d.conf']);
  assert.equal(paths(await run('find', { paths: t, size: '2k' })), ['big.log']);
  assert.equal(paths(await run('find', { paths: t, age: '1w' })), ['big.log']);
  assert.equal(paths(await run('find', { paths: t, file_type: 'directory', recurse: true })).sort(), ['sub', 'sub/deep']);
  assert.equal(paths(await run('find', { paths: t, file_type: 'link' })), ['link']);
  const ck = await run('find', { paths: t, patterns: 'a.conf', get_checksum: true });
  assert.match((ck.data.files as { checksum: string }[])[0].checksum, /^[0-9a-f]{40}$/);
});

test('a path that is not a directory is skipped with Ansible\'s message', async () => {
  const r = await run('find', { paths: [join(t, 'a.conf'), join(t, 'nope')] });
  assert.is(r.status, 'ok');
  assert.equal(Object.keys(r.data.skipped_paths as object).length, 2);
  assert.is((r.data.skipped_paths as Record<string, string>)[join(t, 'nope')], `'${join(t, 'nope')}' is not a directory`);
  assert.is(r.data.msg, 'Not all paths examined, check warnings for details');
});

test('walkOrder: per directory its files, then its directories, top-down (os.walk); links to directories not walked unless follow', () => {
  const e = (path: string, isDir: boolean, link = false): FoundEntry => ({ path, isDir, mode: link ? 0o120777 : isDir ? 0o40755 : 0o100644, uid: 0, gid: 0, size: 0, inode: 0, dev: 0, nlink: 1, atime: 0, mtime: 0, ctime: 0, owner: '', group: '' });
  const listed = [e('/r/d1', true), e('/r/d1/x', false), e('/r/f1', false), e('/r/l', true, true), e('/r/l/y', false), e('/r/f2', false)];
  assert.equal(walkOrder('/r', listed, false).map((x) => x.entry.path), ['/r/f1', '/r/f2', '/r/d1', '/r/l', '/r/d1/x']);
  assert.equal(walkOrder('/r', listed, true).map((x) => x.entry.path), ['/r/f1', '/r/f2', '/r/d1', '/r/l', '/r/d1/x', '/r/l/y']);
  const out = parseFindFacts(sectionsOutput({ now: '100.5', 'root-0': '/r', 'list-0': 'B 1\n0\n1.000000001:2.5:3:81a4:0:0:3:2:1:2:1:root:root\n/r/a\nb\0', 'root-1': '/f', 'list-1': '' }), { paths: [] });
  assert.equal(out.now, 100.5);
  assert.equal(out.roots[0].entries![0].path, '/r/a\nb');
  assert.equal([out.roots[0].entries![0].atime, out.roots[0].entries![0].mtime], [1 + 1 * 1e-9, 2.5]);
  assert.equal(out.roots[1], { path: '/f', error: "'/f' is not a directory" });
});

test.run();
