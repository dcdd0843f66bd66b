// planning cases: test/fixtures/modules/lineinfile/*.yaml (test/modules/fixtures.test.ts)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, symlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { lineinfileEdit } from '../../src/modules/lineinfile.js';
import { converge, rmDir, run, tempDir, tempLeftovers } from './helpers.js';

const E = (p: object, old: string | null) => lineinfileEdit(p as any, old);

// ---- pure edits (Ansible semantics) ----
test('present: appends at EOF when no match, adding a missing final newline first', () => {
  assert.equal(E({ line: 'c=3' }, 'a=1\nb=2\n'), { text: 'a=1\nb=2\nc=3\n', msg: 'line added' });
  assert.equal(E({ line: 'c=3' }, 'a=1\nb=2'), { text: 'a=1\nb=2\nc=3\n', msg: 'line added' });
  assert.equal(E({ line: 'c=3' }, ''), { text: 'c=3\n', msg: 'line added' });
});

test('present: exact line already there is ok', () => {
  assert.equal(E({ line: 'b=2' }, 'a=1\nb=2\n').msg, 'line present');
  assert.equal(E({ line: 'b=2', regexp: '^b=' }, 'a=1\nb=2\n').text, 'a=1\nb=2\n');
});

test('regexp: replaces the LAST match (firstmatch: the first)', () => {
  const old = 'x=1\nport=1\ny\nport=2\n';
  assert.equal(E({ line: 'port=9', regexp: '^port=' }, old).text, 'x=1\nport=1\ny\nport=9\n');
  assert.equal(E({ line: 'port=9', regexp: '^port=', firstmatch: true }, old).text, 'x=1\nport=9\ny\nport=2\n');
});

test('regexp no match: insertafter regexp / EOF fallback / insertbefore / BOF', () => {
  const old = '[a]\nk=1\n[b]\nk=2\n';
  assert.equal(E({ line: 'n=1', regexp: '^n=', insertafter: '^\\[a\\]' }, old).text, '[a]\nn=1\nk=1\n[b]\nk=2\n');
  assert.equal(E({ line: 'n=1', regexp: '^n=', insertafter: '^\\[zz\\]' }, old).text, old + 'n=1\n');
  assert.equal(E({ line: 'n=1', insertbefore: '^\\[b\\]' }, old).text, '[a]\nk=1\nn=1\n[b]\nk=2\n');
  assert.equal(E({ line: 'n=1', insertbefore: 'BOF' }, old).text, 'n=1\n' + old);
  // insertafter matching the last line
  assert.equal(E({ line: 'n=1', insertafter: '^k=2' }, old).text, old + 'n=1\n');
  // insertafter: the line after the anchor is already the line -> ok
  assert.equal(E({ line: 'k=1', insertafter: '^\\[a\\]' }, old).msg, 'line present');
});

test('backrefs: expand groups; no match leaves the file alone', () => {
  const old = 'ListenAddress 0.0.0.0\n';
  assert.equal(E({ regexp: '^ListenAddress (\\S+)', line: '#ListenAddress \\1', backrefs: true }, old).text, '#ListenAddress 0.0.0.0\n');
  assert.equal(E({ regexp: '^(?P<k>Port) \\d+', line: '\\g<k> 2222', backrefs: true }, 'Port 22\n').text, 'Port 2222\n');
  assert.equal(E({ regexp: '^nomatch', line: 'x', backrefs: true }, old), { text: old, msg: 'regexp did not match (backrefs: nothing to do)' });
});

test('search_string is literal', () => {
  assert.equal(E({ search_string: 'a.b', line: 'X' }, 'aXb\na.b=1\n').text, 'aXb\nX\n');
});

test('absent: regexp / line / search_string; missing file is ok', () => {
  const old = 'a\n# c1\nb\n# c2\n';
  assert.equal(E({ state: 'absent', regexp: '^#' }, old), { text: 'a\nb\n', msg: '2 line(s) removed', result: { found: 2 } });
  assert.equal(E({ state: 'absent', line: 'b' }, old).text, 'a\n# c1\n# c2\n');
  assert.equal(E({ state: 'absent', search_string: 'c2' }, old).text, 'a\n# c1\nb\n');
  assert.equal(E({ state: 'absent', line: 'zz' }, old), { text: old, msg: 'line not present', result: { found: 0 } });
  // Ansible's words for a missing file (ok, nothing to remove)
  assert.equal(E({ state: 'absent', line: 'zz' }, null), { text: null, msg: 'file not present' });
});

test('CRLF files keep their other lines', () => {
  assert.equal(E({ line: 'c', regexp: '^b' }, 'a\r\nb\r\n').text, 'a\r\nc\n');
});

// ---- real host (LocalTransport) ----
test('apply: regexp replace, idempotent, check mode predicts, diff', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'sshd_config');
    writeFileSync(f, 'Port 22\nPermitRootLogin yes\n', { mode: 0o640 });
    const out = await converge('lineinfile', { path: f, regexp: '^PermitRootLogin', line: 'PermitRootLogin no' }, d);
    assert.is(readFileSync(f, 'utf8'), 'Port 22\nPermitRootLogin no\n');
    assert.is(statSync(f).mode & 0o777, 0o640, 'mode kept');
    assert.equal(out.diff, [{ path: f, before: 'Port 22\nPermitRootLogin yes\n', after: 'Port 22\nPermitRootLogin no\n' }]);
    assert.is(out.data.backup_file, undefined);
    assert.is(out.data.backup, ''); // Ansible: '' without a backup
  } finally { rmDir(d); }
});

test('apply: create with mode, in a missing directory', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'sub', 'new.conf');
    await converge('lineinfile', { path: f, line: 'x=1', create: true, mode: '0600' }, d);
    assert.is(readFileSync(f, 'utf8'), 'x=1\n');
    assert.is(statSync(f).mode & 0o777, 0o600);
  } finally { rmDir(d); }
});

test('apply: missing file without create fails, absent on missing is ok', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'nope');
    const r = await run('lineinfile', { path: f, line: 'x' });
    assert.is(r.status, 'failed');
    assert.match(r.reason, /does not exist/);
    assert.is((await run('lineinfile', { path: f, line: 'x', state: 'absent' })).status, 'ok');
    assert.not.ok(existsSync(f));
  } finally { rmDir(d); }
});

test('apply: backup: true creates PATH.TIMESTAMP.kvplay~ with the old content and mode', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'b.conf');
    writeFileSync(f, 'a\n', { mode: 0o600 });
    const r = await run('lineinfile', { path: f, line: 'b', backup: true });
    assert.is(r.status, 'changed');
    // as Ansible's lineinfile: the backup's name is `backup`
    const b = r.data.backup as string;
    assert.is(r.data.backup_file, undefined);
    assert.match(b, /^.*\/b\.conf\.\d{8}T\d{6}\.kvplay~$/);
    assert.is(readFileSync(b, 'utf8'), 'a\n');
    assert.is(statSync(b).mode & 0o777, 0o600);
    assert.is(readFileSync(f, 'utf8'), 'a\nb\n');
  } finally { rmDir(d); }
});

test('apply: failing validate leaves the original untouched and no temp file', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'v.conf');
    writeFileSync(f, 'good\n');
    const r = await run('lineinfile', { path: f, line: 'bad', validate: 'grep -q zzz %s' });
    assert.is(r.status, 'failed');
    assert.match(r.reason, /rc=1/);
    assert.is(readFileSync(f, 'utf8'), 'good\n');
    assert.equal(tempLeftovers(d), []);
    const ok = await run('lineinfile', { path: f, line: 'zzz', validate: 'grep -q zzz %s' });
    assert.is(ok.status, 'changed');
    assert.is(readFileSync(f, 'utf8'), 'good\nzzz\n');
  } finally { rmDir(d); }
});

test('apply: a symlinked file is edited through the link', async () => {
  const d = tempDir();
  try {
    const real = join(d, 'real.conf');
    const link = join(d, 'link.conf');
    writeFileSync(real, 'a\n');
    symlinkSync(real, link);
    await converge('lineinfile', { path: link, line: 'b' }, d);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.is(readFileSync(real, 'utf8'), 'a\nb\n');
    assert.equal(readdirSync(d).sort(), ['link.conf', 'real.conf']);
  } finally { rmDir(d); }
});

test('apply: absent removes matching lines', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'hosts');
    writeFileSync(f, '127.0.0.1 localhost\n10.0.0.1 old\n10.0.0.2 old2\n');
    await converge('lineinfile', { path: f, regexp: '^10\\.', state: 'absent' }, d);
    assert.is(readFileSync(f, 'utf8'), '127.0.0.1 localhost\n');
  } finally { rmDir(d); }
});

test.run();
