import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine } from '../../src/modules/command.js';
import { expandWord, globWord, shlexSplit, splitArgs } from '../../src/util/shlex.js';
import { converge, rmDir, run, tempDir } from './helpers.js';

test('shlexSplit follows POSIX quoting', () => {
  assert.equal(shlexSplit(`echo 'a b' "c \\"d\\"" e\\ f`), ['echo', 'a b', 'c "d"', 'e f']);
  assert.equal(shlexSplit('  ls   -l  '), ['ls', '-l']);
  assert.throws(() => shlexSplit(`echo 'oops`), /closing quotation/);
});

test('splitArgs keeps quotes and jinja blocks together', () => {
  assert.equal(splitArgs(`msg="a b" x={{ foo | default('a b') }} y`).map((t) => t.raw), ['msg="a b"', "x={{ foo | default('a b') }}", 'y']);
});

test('expandWord / globWord quote everything but $VAR, ~ and globs', () => {
  assert.is(expandWord('plain'), 'plain');
  assert.is(expandWord("it's"), `'it'\\''s'`);
  assert.is(expandWord('$(rm -rf /)'), `'$(rm -rf /)'`);
  assert.is(globWord('/tmp/a b*.txt'), `'/tmp/a b'*.txt`);
});

test('command runs without a shell: metacharacters are literal, $VAR expands', async () => {
  const r = await run('command', { cmd: `echo a; echo 'b c' | cat $HOME "$(id)"` });
  assert.is(r.status, 'changed');
  assert.is(r.data.stdout, `a; echo b c | cat ${process.env.HOME ?? '/root'} $(id)`);
  assert.equal(r.data.stdout_lines, [r.data.stdout]);
  assert.is(r.data.rc, 0);
  const u = await run('command', { cmd: 'echo $KVPLAY_SURELY_UNSET ${KVPLAY_SURELY_UNSET}' });
  assert.is(u.data.stdout, '$KVPLAY_SURELY_UNSET ${KVPLAY_SURELY_UNSET}');
});

test('command argv: every word quoted', async () => {
  const r = await run('command', { argv: ['printf', '%s|', 'a b', "it's", '*'] });
  assert.is(r.data.stdout, "a b|it's|*|");
  assert.is(commandLine(['echo', 'a b']), "echo 'a b'");
  assert.is(commandLine(['A=b', 'env']), "'A=b' env");
  assert.is(commandLine(['if', 'true']), "'if' true");
  const asg = await run('command', { cmd: 'KVPLAY_X=1 env' });
  assert.is(asg.status, 'failed', 'an assignment is not run as one (no shell)');
});

test('command: non-zero rc fails with rc/stdout/stderr registered', async () => {
  const r = await run('command', { cmd: 'ls /nonexistent-kvplay' });
  assert.is(r.status, 'failed');
  assert.is(r.data.rc, 2);
  assert.match(r.reason, /rc=2/);
  assert.match(String(r.data.stderr), /nonexistent-kvplay/);
  assert.equal(r.data.stdout_lines, []);
});

test('command: creates/removes (globs, relative to chdir) make it ok; check mode predicts', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'done.flag');
    const r = await converge('command', { cmd: `touch ${f}`, creates: join(d, '*.flag') }, d);
    assert.ok(existsSync(f));
    assert.is(r.data.rc, 0);
    const again = await run('command', { cmd: 'false', chdir: d, creates: 'done.*' });
    assert.is(again.status, 'ok');
    assert.match(again.reason, /skipped, since done\.\* exists/);
    await converge('command', { cmd: `rm ${f}`, removes: f }, d);
  } finally { rmDir(d); }
});

test('command: chdir and stdin', async () => {
  const d = tempDir();
  try {
    assert.is((await run('command', { cmd: 'pwd', chdir: d })).data.stdout, d);
    const r = await run('command', { cmd: 'cat', stdin: 'hello' });
    assert.is(r.data.stdout, 'hello');
    const raw = await run('command', { cmd: 'od -c', stdin: 'x', stdin_add_newline: false });
    assert.not.match(String(raw.data.stdout), /\\n/);
  } finally { rmDir(d); }
});

test('shell: pipes, redirections, multi-line, executable, chdir', async () => {
  const d = tempDir();
  try {
    const r = await run('shell', { cmd: 'echo one | tr a-z A-Z > out.txt\ncat out.txt; exit 3', chdir: d });
    assert.is(r.status, 'failed');
    assert.is(r.data.rc, 3);
    assert.is(r.data.stdout, 'ONE');
    assert.is(readFileSync(join(d, 'out.txt'), 'utf8'), 'ONE\n');
    const b = await run('shell', { cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' });
    assert.is(b.data.stdout, 'bash');
    writeFileSync(join(d, 'exists'), '');
    assert.is((await run('shell', { cmd: 'exit 1', creates: join(d, 'exists') })).status, 'ok');
  } finally { rmDir(d); }
});

test('raw: runs as is, keeps output untouched', async () => {
  const r = await run('raw', { cmd: 'echo raw; echo err >&2' });
  assert.is(r.status, 'changed');
  assert.is(r.data.stdout, 'raw\n');
  assert.is(r.data.stderr, 'err\n');
});

test('check mode: nothing runs', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'x');
    const r = await run('shell', { cmd: `touch ${f}` }, { check: true });
    // as Ansible's command module: skipped in check mode (changed only when creates/removes could tell)
    assert.ok(r.skipped);
    assert.is(r.data.msg, 'Command would have run if not in check mode');
    assert.not.ok(existsSync(f));
    assert.is(r.data.rc, 0);
    const g = await run('shell', { cmd: `touch ${f}`, creates: f }, { check: true });
    assert.is(g.status, 'changed');
    assert.not.ok(g.skipped);
    assert.not.ok(existsSync(f));
  } finally { rmDir(d); }
});

test.run();
