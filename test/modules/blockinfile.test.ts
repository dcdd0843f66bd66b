import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { blockinfile, blockinfileEdit } from '../../src/modules/blockinfile.js';
import { converge, fileState, makeCtx, rmDir, run, tempDir } from './helpers.js';

const E = (p: object, old: string | null) => blockinfileEdit(p as any, old);
const B = '# BEGIN ANSIBLE MANAGED BLOCK\n';
const END = '# END ANSIBLE MANAGED BLOCK\n';

test('insert at EOF (adds a missing final newline), replace in place, remove', () => {
  // msg: Ansible's words (a replaced block is "Block inserted" too); reason: what kvplay shows
  assert.equal(E({ block: 'x\ny' }, 'a\n'), { text: `a\n${B}x\ny\n${END}`, msg: 'Block inserted', reason: 'block inserted' });
  assert.equal(E({ block: 'x\n' }, 'a'), { text: `a\n${B}x\n${END}`, msg: 'Block inserted', reason: 'block inserted' });
  const withBlock = `a\n${B}old\n${END}z\n`;
  assert.equal(E({ block: 'new1\nnew2' }, withBlock), { text: `a\n${B}new1\nnew2\n${END}z\n`, msg: 'Block inserted', reason: 'block replaced' });
  assert.equal(E({ block: 'old' }, withBlock).msg, 'block unchanged');
  assert.equal(E({ state: 'absent' }, withBlock), { text: 'a\nz\n', msg: 'Block removed', reason: 'block removed' });
  assert.equal(E({ block: '' }, withBlock), { text: 'a\nz\n', msg: 'Block removed', reason: 'block removed' });
  assert.equal(E({ state: 'absent' }, 'a\n').msg, 'block not present');
  assert.equal(E({ path: '/f', state: 'absent' }, null), { text: null, msg: 'File /f not present' });
  assert.equal(E({ block: 'x' }, null).msg, 'File created');
});

test('insertafter / insertbefore regex (last match), BOF', () => {
  const old = '[x]\nk=1\n[y]\nk=2\n';
  assert.equal(E({ block: 'B', insertafter: '^\\[x\\]' }, old).text, `[x]\n${B}B\n${END}k=1\n[y]\nk=2\n`);
  assert.equal(E({ block: 'B', insertbefore: '^k=' }, old).text, `[x]\nk=1\n[y]\n${B}B\n${END}k=2\n`);
  assert.equal(E({ block: 'B', insertbefore: 'BOF' }, old).text, `${B}B\n${END}` + old);
  assert.equal(E({ block: 'B', insertafter: '^nomatch' }, old).text, old + `${B}B\n${END}`);
});

test('custom marker, marker_begin/end; two blocks coexist', () => {
  const m = { marker: '<!-- {mark} net -->', marker_begin: 'start', marker_end: 'stop' };
  const t1 = E({ ...m, block: 'n' }, 'a\n').text!;
  assert.is(t1, 'a\n<!-- start net -->\nn\n<!-- stop net -->\n');
  const t2 = E({ block: 'other' }, t1).text!;
  assert.is(E({ ...m, block: 'n2' }, t2).text, `a\n<!-- start net -->\nn2\n<!-- stop net -->\n${B}other\n${END}`);
});

test('plan from recorded facts', () => {
  const ctx = makeCtx();
  const p = { path: '/tmp/f', block: 'x' };
  const plan = blockinfile.plan!(p, { file: fileState('/tmp/f', { content: 'a\n' }) }, ctx);
  assert.is(plan.kind, 'change');
  assert.is(plan.reason, '/tmp/f: block inserted');
  if (plan.kind === 'change') assert.not.match(plan.steps[0].cmd, /kvplay~/); // not /etc, no backup asked
  assert.is(blockinfile.plan!(p, { file: fileState('/tmp/f', { content: `a\n${B}x\n${END}` }) }, ctx).kind, 'ok');
});

test('apply: insert, replace, remove on disk, idempotent', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'exports');
    writeFileSync(f, '# exports\n');
    await converge('blockinfile', { path: f, block: '/nfsshare 10.0.0.2(rw,sync)\n/nfsshare 10.0.0.3(rw,sync)' }, d);
    assert.is(readFileSync(f, 'utf8'), `# exports\n${B}/nfsshare 10.0.0.2(rw,sync)\n/nfsshare 10.0.0.3(rw,sync)\n${END}`);
    const r = await converge('blockinfile', { path: f, block: '/nfsshare *(rw,sync,no_root_squash)' }, d);
    assert.is(r.reason, `${f}: block replaced`);
    assert.is(readFileSync(f, 'utf8'), `# exports\n${B}/nfsshare *(rw,sync,no_root_squash)\n${END}`);
    await converge('blockinfile', { path: f, state: 'absent' }, d);
    assert.is(readFileSync(f, 'utf8'), '# exports\n');
  } finally { rmDir(d); }
});

test('apply: create, backup', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'new.conf');
    const r1 = await run('blockinfile', { path: f, block: 'x' });
    assert.is(r1.status, 'failed');
    await converge('blockinfile', { path: f, block: 'x', create: true }, d);
    assert.is(readFileSync(f, 'utf8'), `${B}x\n${END}`);
    const r2 = await run('blockinfile', { path: f, block: 'y', backup: true });
    assert.ok(existsSync(r2.data.backup_file as string));
    assert.is(readFileSync(r2.data.backup_file as string, 'utf8'), `${B}x\n${END}`);
  } finally { rmDir(d); }
});

test.run();
