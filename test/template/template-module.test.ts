/**
 * The template module's output is byte for byte what Ansible's template action writes
 * (ansible-core 2.14: plugins/action/template.py + template/__init__.py do_template on Jinja2 3.1).
 * What Ansible does, and so what every expected string below follows from:
 *  1. a first line `#jinja2: k: v, ...` sets Jinja2 options for this file and is removed;
 *  2. Jinja2 reads the source with ANY line end ("\r\n", "\r", "\n") as one newline and drops ONE
 *     trailing newline (keep_trailing_newline is False);
 *  3. it renders with trim_blocks=True (the newline right after `%}` or `#}` is removed) and
 *     lstrip_blocks=False unless the module's parameters or the header say otherwise, writing each
 *     newline of the template text as newline_sequence ("\n" by default);
 *  4. Ansible counts the "\n" at the very end of the ORIGINAL source (stopping at the first other
 *     character, so "\r\n" counts 1) and appends newline_sequence until the output ends with at
 *     least that many "\n".
 * Every case was also run through ansible-playbook 2.14.18 (connection local); the outputs matched.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTemplateFile } from '../../src/template/index.js';
import type { ModuleCtx } from '../../src/engine/module/types.js';
import { InputError } from '../../src/util/errors.js';
import { converge, rmDir, run, tempDir } from '../modules/helpers.js';

const VARS = { x: true, name: 'v' };

/** A ModuleCtx whose render is the real one (as src/engine/task.ts wires it). */
const real = (vars: Record<string, unknown> = VARS): Partial<ModuleCtx> => ({
  vars,
  render: (text, file, opts) => renderTemplateFile(text, vars, { file, line: 1, col: 1 }, opts),
});

/** Write `source` as a template file, run the template module with `params`, return the bytes written. */
async function templateOut(source: string, params: Record<string, unknown> = {}, vars = VARS): Promise<string> {
  const d = tempDir('kvplay-tpl-');
  try {
    const src = join(d, 't.j2');
    writeFileSync(src, source);
    const dest = join(d, 'out');
    const r = await run('template', { src, dest, ...params }, real(vars));
    if (r.status === 'failed') throw new Error(r.reason);
    return readFileSync(dest, 'latin1');
  } finally {
    rmDir(d);
  }
}

test('a CRLF template is written with LF line ends (and converges)', async () => {
  // (2) every "\r\n" is read as "\n"; (3) the "\r\n" after each `%}` is one newline and is trimmed;
  // (4) the source ends with one "\n" (the "\r" before it stops the count), the output already has one
  assert.is(await templateOut('line1\r\nx={{ name }}\r\n{% if x %}\r\nin\r\n{% endif %}\r\nend\r\n'), 'line1\nx=v\nin\nend\n');
  // a string literal's raw CRLF is one newline too
  assert.is(await templateOut("{{ 'p\r\nq' }}\r\n"), 'p\nq\n');
  // "a\r\n\r\n": lines a, '', '' -> the last '' dropped -> "a\n"; the source's final "\n" run is 1 long -> nothing added
  assert.is(await templateOut('a\r\n\r\n'), 'a\n');
  // lone "\r" line ends (old Mac) are newlines as well; the source ends with no "\n", so the
  // dropped final line end is not restored
  assert.is(await templateOut('a\rb\r'), 'a\nb');
  const d = tempDir('kvplay-tpl-');
  try {
    const src = join(d, 'crlf.j2');
    writeFileSync(src, 'k={{ name }}\r\n');
    const dest = join(d, 'crlf.conf');
    await converge('template', { src, dest }, d, 'changed', real());
    assert.is(readFileSync(dest, 'latin1'), 'k=v\n');
  } finally {
    rmDir(d);
  }
});

test('newline_sequence: \\r\\n, \\r, and the escaped spellings Ansible accepts', async () => {
  const src = "a\n{{ 'q' }}\nb\n{% if x %}\nc\n{% endif %}\n";
  assert.is(await templateOut(src), 'a\nq\nb\nc\n');
  // text newlines become "\r\n"; the output ends with "\r\n", whose "\n" matches the source's one
  assert.is(await templateOut(src, { newline_sequence: '\r\n' }), 'a\r\nq\r\nb\r\nc\r\n');
  assert.is(await templateOut(src, { newline_sequence: '\\r\\n' }), 'a\r\nq\r\nb\r\nc\r\n');
  // with "\r" the output ends with "\r", which has no "\n": Ansible appends one more "\r"
  assert.is(await templateOut(src, { newline_sequence: '\r' }), 'a\rq\rb\rc\r\r');
  const bad = await templateOut(src, { newline_sequence: 'x' }).then(() => 'no error', (e: Error) => e.message);
  assert.match(bad, /newline_sequence must be one of/);
});

test('trailing newline after an indented {% endif %} is kept, as Ansible keeps it', async () => {
  // "a\n  {% if x %}b\n  {% endif %}" (final "\n" dropped) renders "a\n  " + "b\n  " = "a\n  b\n  ",
  // which ends with no "\n": Ansible appends the source's one
  assert.is(await templateOut('a\n  {% if x %}b\n  {% endif %}\n'), 'a\n  b\n  \n');
  assert.is(await templateOut('a\n  {% if not x %}b\n  {% endif %}\n'), 'a\n  \n');
  // unindented: trim_blocks removes the newlines after both tags; "b\n" is the body
  assert.is(await templateOut('a\n{% if x %}\nb\n{% endif %}\n'), 'a\nb\n');
  assert.is(await templateOut('a\n{% if x %}\nb\n{% endif %}'), 'a\nb\n');
  // two trailing newlines in the source: at least two at the end of the output
  assert.is(await templateOut('a\n{% if x %}b{% endif %}\n\n'), 'a\nb\n\n');
  // no trailing newline in the source: none added
  assert.is(await templateOut('a{% if x %}b{% endif %}'), 'ab');
  assert.is(await templateOut('{% if x %}\n{% endif %}\n'), '\n');
  assert.is(await templateOut('{% for i in [1] %}\n  {% if x %}\n  v{{ i }}\n  {% endif %}\n{% endfor %}\n'), '    v1\n  \n');
  // trim_blocks also applies after comments; `-` strips all the whitespace on its side
  assert.is(await templateOut('a\n{# c #}\nb\n  {# d #}\ne\n'), 'a\nb\n  e\n');
  assert.is(await templateOut('a  \n  {%- if x -%}  \n  b\n{% endif %}\n'), 'ab\n');
  assert.is(await templateOut('\n\n'), '\n\n');
  assert.is(await templateOut(''), '');
  // the output is text: a list prints as Python shows it
  assert.is(await templateOut('{{ [1, 2] }}\n'), '[1, 2]\n');
});

test('trim_blocks and lstrip_blocks parameters', async () => {
  // trim_blocks false: the newlines after `%}` stay
  assert.is(await templateOut('a\n{% if x %}\nb\n{% endif %}\n', { trim_blocks: false }), 'a\n\nb\n');
  // lstrip_blocks: the indentation before block tags goes; without it, it is output
  const loop = 'x\n    {% for i in [1,2] %}\n{{ i }}\n    {% endfor %}\n';
  assert.is(await templateOut(loop), 'x\n    1\n    2\n    \n');
  assert.is(await templateOut(loop, { lstrip_blocks: true }), 'x\n1\n2\n');
});

test('#jinja2: header sets the options for the file and is not written', async () => {
  // trim_blocks False keeps the newlines after the tags; lstrip_blocks True removes the indentation before them
  assert.is(await templateOut('#jinja2: trim_blocks: False, lstrip_blocks: True\n  {% if x %}\nA\n  {% endif %}\nB\n'), '\nA\n\nB\n');
  assert.is(await templateOut('#jinja2:trim_blocks:False\na\n{% if x %}\nb\n{% endif %}\n'), 'a\n\nb\n');
  // with lstrip_blocks, `{%+` keeps the indentation and `+%}` keeps the newline
  assert.is(await templateOut('#jinja2: lstrip_blocks: True\n  {%+ if x %}\nb\n  {% endif +%}\nc\n'), '  b\n\nc\n');
  // keep_trailing_newline: the final "\n" is read too, then trimmed after `%}`; Ansible restores it
  assert.is(await templateOut('#jinja2: keep_trailing_newline: True\na\n  {% if x %}b\n  {% endif %}\n'), 'a\n  b\n  \n');
  // other delimiters: {{ }} is plain text then
  assert.is(await templateOut("#jinja2: variable_start_string: '[%', variable_end_string: '%]'\n[% name %] {{ name }}\n"), 'v {{ name }}\n');
  // the header wins over the module's parameters
  assert.is(await templateOut('#jinja2: trim_blocks: True\na\n{% if x %}\nb\n{% endif %}\n', { trim_blocks: false }), 'a\nb\n');
  // a CRLF header line
  assert.is(await templateOut('#jinja2: trim_blocks: False\r\n{% if x %}\r\nA\r\n{% endif %}\r\n'), '\nA\n');
});

test('#jinja2: header errors name the option and the file', async () => {
  const err = (s: string) => {
    try {
      renderTemplateFile(s, VARS, { file: 'roles/r/templates/t.j2', line: 1, col: 1 });
    } catch (e) {
      assert.instance(e, InputError);
      return (e as InputError).format();
    }
    assert.unreachable(`no error for ${JSON.stringify(s)}`);
    return '';
  };
  const unsupported = err("#jinja2: line_statement_prefix: '%'\nx\n");
  assert.match(unsupported, /option 'line_statement_prefix' is not supported/);
  assert.match(unsupported, /roles\/r\/templates\/t\.j2:1/);
  assert.match(err('#jinja2: trim_blocks=False\nx\n'), /failed to parse jinja2 override 'trim_blocks=False'/);
  assert.match(err('#jinja2: trim_blocks: maybe\nx\n'), /not a Python literal/);
  assert.match(err('#jinja2: trim_block: False\nx\n'), /trim_blocks/); // did you mean
  // an error in the body is located below the header line
  assert.match(err('#jinja2: trim_blocks: False\nok\n{{ nope( }}\n'), /t\.j2:3/);
});

test('the schema documents the options', async () => {
  const { moduleMeta } = await import('../../src/engine/module/registry.js');
  const props = (moduleMeta('template')!.schema as { properties: Record<string, unknown> }).properties;
  for (const k of ['trim_blocks', 'lstrip_blocks', 'newline_sequence', 'variable_start_string', 'block_start_string', 'comment_start_string']) assert.ok(props[k], k);
});

test.run();
