import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyMode, checkMode, fmtMode, parseOctalMode } from '../../src/util/mode.js';
import { rmDir, tempDir } from './helpers.js';

test('octal forms', () => {
  assert.is(parseOctalMode('0644'), 0o644);
  assert.is(parseOctalMode('644'), 0o644);
  assert.is(parseOctalMode(644), 0o644);
  assert.is(parseOctalMode('4755'), 0o4755);
  assert.is(parseOctalMode('u+x'), null);
  assert.throws(() => parseOctalMode(999), /digits must be 0-7/);
  assert.throws(() => parseOctalMode('rwx'), /invalid mode/);
  assert.is(checkMode('g-w,o='), null);
  assert.is(fmtMode(0o644), '0644');
  assert.is(fmtMode(0o2775), '2775');
});

// Compare with the real chmod (with umask 0 so that who-less clauses match ours).
const cases: [number, string, boolean][] = [
  [0o644, 'u+x', false], [0o644, 'a+x', false], [0o755, 'go-w', false], [0o777, 'o=', false],
  [0o600, 'g=u', false], [0o640, 'o+rX', false], [0o750, 'a+X', false], [0o700, 'go+rX', true],
  [0o644, 'u=rwx,g=rx,o=', false], [0o755, 'u+s', false], [0o755, 'g+s', true], [0o777, '+t', true],
  [0o4755, 'u=rwx', false], [0o2775, 'g=rwx', true], [0o664, 'ug-w,o+w', false], [0o640, 'u+r-w+x', false],
];

test('symbolic modes agree with chmod(1)', () => {
  const d = tempDir();
  try {
    cases.forEach(([start, mode, isDir], i) => {
      const p = join(d, `e${i}`);
      if (isDir) mkdirSync(p); else writeFileSync(p, '');
      chmodSync(p, start);
      execFileSync('/bin/sh', ['-c', 'umask 0; chmod "$0" "$1"', mode, p]);
      const real = statSync(p).mode & 0o7777;
      assert.is(fmtMode(applyMode(mode, start, isDir)), fmtMode(real), `${fmtMode(start)} ${mode} (${isDir ? 'dir' : 'file'})`);
    });
  } finally { rmDir(d); }
});

test.run();
