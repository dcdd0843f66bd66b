import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderDiff, renderDiffs } from '../../src/report/diff.js';
import { createPalette, stripAnsi } from '../../src/report/color.js';

const p0 = createPalette(0);

test('unified diff with path headers and hunk', () => {
  const lines = renderDiff({ path: '/etc/exports', before: 'a\nb\nc\n', after: 'a\nB\nc\nd\n' }, p0);
  assert.equal(lines, ['--- before: /etc/exports', '+++ after: /etc/exports', '@@ -1,3 +1,4 @@', ' a', '-b', '+B', ' c', '+d']);
});

test('new file and emptied file use 0,0 ranges', () => {
  assert.equal(renderDiff({ path: 'f', before: '', after: 'x\ny\n' }, p0).slice(2), ['@@ -0,0 +1,2 @@', '+x', '+y']);
  assert.equal(renderDiff({ path: 'f', before: 'x\n', after: '' }, p0).slice(2), ['@@ -1 +0,0 @@', '-x']);
});

test('missing final newline is shown', () => {
  const lines = renderDiff({ path: 'f', before: 'x', after: 'y' }, p0);
  assert.ok(lines.some((l) => l.startsWith('\\ No newline at end of file')));
});

test('identical texts', () => {
  assert.equal(renderDiff({ path: 'zone public', before: 'same', after: 'same' }, p0), [
    '--- before: zone public',
    '+++ after: zone public',
    '(no textual changes)',
  ]);
});

test('separate hunks keep 3 lines of context; large diffs are never trimmed', () => {
  const before = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const after = before.replace('line 10\n', 'LINE 10\n').replace('line 1500\n', 'LINE 1500\n');
  const lines = renderDiff({ path: 'big', before, after }, p0);
  assert.is(lines.filter((l) => l.startsWith('@@')).length, 2);
  assert.ok(lines.includes('-line 10') && lines.includes('+LINE 1500'));
  const everything = renderDiff({ path: 'all', before: '', after: before }, p0);
  assert.is(everything.length, 2 + 1 + 2000);
});

test('colors: + green, - red, @@ cyan', () => {
  const lines = renderDiff({ path: 'f', before: 'a\n', after: 'b\n' }, createPalette(1));
  assert.ok(lines.includes('\u001b[32m+b\u001b[39m'));
  assert.ok(lines.includes('\u001b[31m-a\u001b[39m'));
  assert.ok(lines.some((l) => l.startsWith('\u001b[36m@@')));
  assert.equal(lines.map(stripAnsi).slice(2), ['@@ -1 +1 @@', '-a', '+b']);
});

test('renderDiffs: several diffs, tolerates junk', () => {
  const lines = renderDiffs([{ path: 'a', before: '1\n', after: '2\n' }, { path: 'b', before: undefined as never, after: 'x\n' }], p0);
  assert.is(lines.filter((l) => l.startsWith('--- before:')).length, 2);
  assert.equal(renderDiffs(undefined, p0), []);
});

test.run();
