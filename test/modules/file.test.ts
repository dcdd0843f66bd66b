import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, linkSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { file, treeSteps } from '../../src/modules/file.js';
import { converge, fileState, isRoot, makeCtx, rmDir, run, statInfo, tempDir } from './helpers.js';

const plan = (p: object, facts: object) => file.plan!({ ...p } as any, facts as any, makeCtx({ diff: false }));

test('plan: mode comparisons, octal and symbolic', () => {
  const f = { path: fileState('/x', { stat: { mode: 0o644 } }) };
  assert.is(plan({ path: '/x', mode: '0644' }, f).kind, 'ok');
  assert.is(plan({ path: '/x', mode: '644' }, f).kind, 'ok');
  assert.is(plan({ path: '/x', mode: 644 }, f).kind, 'ok');
  assert.is(plan({ path: '/x', mode: 'u=rw,go=r' }, f).kind, 'ok');
  assert.is(plan({ path: '/x', mode: 'a+r' }, f).kind, 'ok');
  assert.is(plan({ path: '/x', mode: 'u+x' }, f).reason, '/x: mode 0644 -> 0744');
  assert.is(plan({ path: '/x', mode: 'a+X' }, f).kind, 'ok', 'X on a non-executable file does nothing');
  const dir = { path: fileState('/d', { stat: { type: 'directory', mode: 0o700 } }) };
  assert.is(plan({ path: '/d', state: 'directory', mode: 'go+rX' }, dir).reason, '/d: mode 0700 -> 0755');
  assert.is(plan({ path: '/x', owner: 'root', group: 0 }, f).kind, 'ok');
  assert.is(plan({ path: '/x', owner: 1000 }, f).reason, '/x: owner root -> 1000');
});

test('plan: state errors', () => {
  assert.throws(() => plan({ path: '/x', state: 'file' }, { path: fileState('/x', { missing: true }) }), /does not exist/);
  assert.throws(() => plan({ path: '/x', state: 'directory' }, { path: fileState('/x') }), /not a directory/);
  assert.throws(() => plan({ path: '/x', state: 'link', src: '/y' }, { path: fileState('/x'), src: fileState('/y') }), /refusing to convert file/);
  assert.throws(() => plan({ path: '/x', state: 'link', src: '/y' }, { path: fileState('/x', { missing: true }), src: fileState('/y', { missing: true }) }), /does not exist/);
});

test('treeSteps groups chmod by target mode', () => {
  const tree = [
    { path: '/t/a', st: statInfo({ mode: 0o600 }) },
    { path: '/t/b', st: statInfo({ mode: 0o644 }) },
    { path: '/t/d', st: statInfo({ mode: 0o700, type: 'directory' }) },
  ];
  const t = treeSteps(tree, { mode: 'go+rX' });
  assert.is(t.count, 2);
  assert.equal(t.steps.map((s) => s.cmd), ['find /t/a -prune ! -type l -exec chmod 0644 -- {} +', 'find /t/d -prune ! -type l -exec chmod 0755 -- {} +']);
});

test('apply: directory with parents and mode; absent', async () => {
  const d = tempDir();
  try {
    const p = join(d, 'a', 'b', 'c');
    const r = await converge('file', { path: p, state: 'directory', mode: '0750' }, d);
    assert.match(r.reason, /directory created \(with 2 parent/);
    for (const x of [join(d, 'a'), join(d, 'a', 'b'), p]) assert.is(statSync(x).mode & 0o777, 0o750);
    writeFileSync(join(p, 'f'), 'x');
    await converge('file', { path: join(d, 'a'), state: 'absent' }, d);
    assert.not.ok(existsSync(join(d, 'a')));
  } finally { rmDir(d); }
});

test('apply: recurse applies symbolic modes to the whole tree', async () => {
  const d = tempDir();
  try {
    const t = join(d, 'tree');
    mkdirSync(join(t, 'sub'), { recursive: true });
    writeFileSync(join(t, 'sub', 'f'), 'x', { mode: 0o600 });
    writeFileSync(join(t, 'exe'), 'x', { mode: 0o700 });
    chmodSync(join(t, 'sub'), 0o700);
    symlinkSync('/nonexistent', join(t, 'dangling'));
    await converge('file', { path: t, state: 'directory', recurse: true, mode: 'go=rX' }, d);
    assert.is(statSync(join(t, 'sub')).mode & 0o777, 0o755);
    assert.is(statSync(join(t, 'sub', 'f')).mode & 0o777, 0o644);
    assert.is(statSync(join(t, 'exe')).mode & 0o777, 0o755);
  } finally { rmDir(d); }
});

test('apply: touch creates, then is changed again (times), preserve makes it idempotent', async () => {
  const d = tempDir();
  try {
    const f = join(d, 't');
    const r = await run('file', { path: f, state: 'touch', mode: '0600' });
    assert.is(r.status, 'changed');
    assert.is(statSync(f).mode & 0o777, 0o600);
    assert.is((await run('file', { path: f, state: 'touch' })).status, 'changed');
    assert.is((await run('file', { path: f, state: 'touch', modification_time: 'preserve', access_time: 'preserve' })).status, 'ok');
    // check mode predicts creation without creating
    const g = join(d, 'g');
    assert.is((await run('file', { path: g, state: 'touch' }, { check: true })).status, 'changed');
    assert.not.ok(existsSync(g));
  } finally { rmDir(d); }
});

test('apply: symlinks: create, retarget, force over a file, dangling needs force', async () => {
  const d = tempDir();
  try {
    const target = join(d, 'target');
    writeFileSync(target, 't');
    const l = join(d, 'l');
    await converge('file', { path: l, src: target, state: 'link' }, d);
    assert.is(readlinkSync(l), target);
    await converge('file', { path: l, src: 'target', state: 'link' }, d);
    assert.is(readlinkSync(l), 'target');
    const f = join(d, 'plain');
    writeFileSync(f, 'x');
    assert.is((await run('file', { path: f, src: target, state: 'link' })).status, 'failed');
    await converge('file', { path: f, src: target, state: 'link', force: true }, d);
    assert.ok(lstatSync(f).isSymbolicLink());
    assert.is((await run('file', { path: join(d, 'dang'), src: '/nonexistent', state: 'link' })).status, 'failed');
    await converge('file', { path: join(d, 'dang'), src: '/nonexistent', state: 'link', force: true }, d);
  } finally { rmDir(d); }
});

test('apply: hard links', async () => {
  const d = tempDir();
  try {
    const a = join(d, 'a');
    writeFileSync(a, 'x');
    await converge('file', { path: join(d, 'h'), src: a, state: 'hard' }, d);
    assert.is(statSync(join(d, 'h')).ino, statSync(a).ino);
    const other = join(d, 'other');
    writeFileSync(other, 'y');
    linkSync(other, join(d, 'h2'));
    assert.is((await run('file', { path: join(d, 'h2'), src: a, state: 'hard' })).status, 'failed');
    await converge('file', { path: join(d, 'h2'), src: a, state: 'hard', force: true }, d);
    assert.is(statSync(join(d, 'h2')).ino, statSync(a).ino);
  } finally { rmDir(d); }
});

test('apply: state file changes attributes only; default state follows the path', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'f');
    writeFileSync(f, 'x', { mode: 0o644 });
    await converge('file', { path: f, mode: 'o-r' }, d);
    assert.is(statSync(f).mode & 0o777, 0o640);
    const r = await run('file', { path: join(d, 'missing'), mode: '0600' });
    assert.is(r.status, 'failed');
    assert.match(r.reason, /does not exist/);
    if (isRoot) {
      await converge('file', { path: f, owner: 'nobody', group: 'nogroup' }, d);
      assert.is(statSync(f).uid, 65534);
    }
  } finally { rmDir(d); }
});

test('apply: check mode predicts directory creation without creating it', async () => {
  const d = tempDir();
  try {
    const r = await run('file', { path: join(d, 'x', 'y'), state: 'directory' }, { check: true, diff: true });
    assert.is(r.status, 'changed');
    assert.equal(r.diff, [{ path: join(d, 'x', 'y'), before: `path: ${join(d, 'x', 'y')}\nstate: absent\n`, after: `path: ${join(d, 'x', 'y')}\nstate: directory\n` }]);
    assert.not.ok(existsSync(join(d, 'x')));
  } finally { rmDir(d); }
});

test.run();
