/**
 * replace (src/modules/replace.ts): the text edit against Python itself (the core of Ansible's
 * replace.py run by python3 on the same inputs), and the converge contract on a real file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { replaceEdit, type ReplaceParams } from '../../src/modules/replace.js';
import { converge, rmDir, run, tempDir } from './helpers.js';
import { requires } from '../harness/gate.js';

/** The text part of Ansible's replace.py main(), verbatim, over JSON cases. */
const PY = `
import json, re, sys
out = []
for c in json.load(sys.stdin):
    contents = c['text']; p = c['p']
    pattern = u''
    if p.get('after') and p.get('before'):
        pattern = u'%s(?P<subsection>.*?)%s' % (p['after'], p['before'])
    elif p.get('after'):
        pattern = u'%s(?P<subsection>.*)' % p['after']
    elif p.get('before'):
        pattern = u'(?P<subsection>.*)%s' % p['before']
    if pattern:
        match = re.search(re.compile(pattern, re.DOTALL), contents)
        if match:
            section = match.group('subsection'); indices = [match.start('subsection'), match.end('subsection')]
        else:
            out.append({'text': contents, 'msg': 'Pattern for before/after params did not match the given file: %s' % pattern}); continue
    else:
        section = contents
    result = re.subn(re.compile(p['regexp'], re.MULTILINE), p.get('replace', ''), section, 0)
    if result[1] > 0 and section != result[0]:
        if pattern:
            result = (contents[:indices[0]] + result[0] + contents[indices[1]:], result[1])
        out.append({'text': result[0], 'msg': '%s replacements made' % result[1]})
    else:
        out.append({'text': contents, 'msg': ''})
print(json.dumps(out))
`;

const TEXT = 'Listen 80\n# comment\nListen 8080\nServerName old.example\n<Vhost>\n  Port 80\n</Vhost>\nend';
const CASES: { text: string; p: Omit<ReplaceParams, 'path'> }[] = [
  { text: TEXT, p: { regexp: '^Listen (\\d+)$', replace: 'Listen \\1 # kept' } },
  { text: TEXT, p: { regexp: '80', replace: '81' } },
  { text: TEXT, p: { regexp: '^#.*\\n' } },
  { text: TEXT, p: { regexp: 'Port 80', replace: 'Port 90', after: '<Vhost>', before: '</Vhost>' } },
  { text: TEXT, p: { regexp: '80', replace: '88', after: 'ServerName' } },
  { text: TEXT, p: { regexp: '80', replace: '88', before: '# comment' } },
  { text: TEXT, p: { regexp: 'x', replace: 'y', after: 'NOPE' } },
  { text: TEXT, p: { regexp: 'nomatch', replace: 'y' } },
  { text: TEXT, p: { regexp: 'Listen', replace: 'Listen' } },
  { text: TEXT, p: { regexp: '(?P<key>\\w+)Name (?P<v>\\S+)', replace: '\\g<key>Alias \\g<v>' } },
  { text: 'a\nb\n\nc\n', p: { regexp: '^$', replace: '-' } },
  { text: 'abxd', p: { regexp: 'x*', replace: '-' } },
  { text: 'tab\there', p: { regexp: '\\t', replace: '\\n' } },
  { text: 'Ünïcode ✓\n', p: { regexp: '(?i)ünï', replace: 'uni' } },
  { text: 'end of file', p: { regexp: 'file$', replace: 'FILE' } },
];

const pyTest = requires({ tools: ['python3'] });
pyTest('the text edit is Python\'s, case by case (regexp, replace, after, before, backrefs, empty matches)', () => {
  const r = spawnSync('python3', ['-c', PY], { input: JSON.stringify(CASES), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as { text: string; msg: string }[];
  CASES.forEach((c, i) => assert.equal(replaceEdit({ path: 'x', ...c.p }, c.text), want[i], `case ${i}: ${JSON.stringify(c.p)}`));
});

let dir = '';
test.before(() => {
  dir = tempDir('kvplay-replace-');
});
test.after(() => rmDir(dir));

test('converge on a real file: check mode exact, changed, then ok; symlink followed; msg and rc as Ansible', async () => {
  const f = join(dir, 'conf');
  writeFileSync(f, TEXT);
  mkdirSync(join(dir, 'links'));
  symlinkSync(f, join(dir, 'links', 'conf'));
  const r = await converge('replace', { path: join(dir, 'links', 'conf'), regexp: '^Listen (\\d+)$', replace: 'Listen 127.0.0.1:\\1' }, dir);
  assert.is(r.data.msg, '2 replacements made');
  assert.is(r.data.rc, 0);
  assert.is(readFileSync(f, 'utf8'), TEXT.replace('Listen 80\n', 'Listen 127.0.0.1:80\n').replace('Listen 8080', 'Listen 127.0.0.1:8080'));
  const again = await run('replace', { dest: f, regexp: '^Listen (\\d+)$', replace: 'x' });
  assert.is(again.status, 'ok');
  assert.equal([again.data.msg, again.data.rc], ['', 0]);
  const nomatch = await run('replace', { path: f, regexp: 'x', after: 'NOPE' });
  assert.is(nomatch.status, 'ok');
  assert.is(nomatch.data.msg, 'Pattern for before/after params did not match the given file: NOPE(?P<subsection>.*)');
});

test('a missing path or a directory fails as in Ansible, in check mode too', async () => {
  for (const check of [false, true]) {
    const m = await run('replace', { path: join(dir, 'nope'), regexp: 'x' }, { check });
    assert.is(m.status, 'failed');
    assert.is(m.reason, `Path ${join(dir, 'nope')} does not exist !`);
    const d = await run('replace', { path: dir, regexp: 'x' }, { check });
    assert.is(d.reason, `Path ${dir} is a directory !`);
  }
  // a bad pattern is an input error naming the parameter (the engine fails the task with it)
  const bad = await run('replace', { path: join(dir, 'conf'), regexp: '(' }).then(() => undefined, (e: Error) => e);
  assert.match(String(bad?.message), /^regexp: invalid regular expression '\('/);
});

test.run();
