/**
 * Untrusted data stays data (kvplay issue 9, items 1 and 5): data from hosts, everything derived
 * from it, lookups and YAML `!unsafe` are never rendered as templates; templates reach only own
 * data keys (no JavaScript prototype members).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, markUnsafe, mergeVars, render, renderDeep, renderTemplateFile, renderTracked, type Vars } from '../../src/template/index.js';
import { factVars, stripOmit } from '../../src/engine/vars.js';
import { loopItems, loopVar } from '../../src/engine/task.js';
import { parseYaml } from '../../src/yaml/load.js';
import { InputError } from '../../src/util/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOC = { file: 'play.yaml', line: 3, col: 7 };
const SECRET = 'kvplay-secret-probe-4c1d';
process.env.KVPLAY_SECRET_PROBE = SECRET;
const EVIL = "{{ lookup('env', 'KVPLAY_SECRET_PROBE') }}";

/** What a host printed: a registered result (marked unsafe by the engine). */
const reg = (stdout: string) => markUnsafe({ stdout, stdout_lines: stdout.split('\n'), rc: 0 });
const noSecret = (v: unknown) => assert.not.match(JSON.stringify(v) ?? '', SECRET, 'the controller environment leaked');

/** set_fact: render the params with renderDeep, then store them as the engine does (mergeVars). */
function setFact(vars: Vars, params: Vars): Vars {
  return mergeVars(vars, stripOmit(renderDeep(params, vars, LOC)) as Vars);
}

function error(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  assert.unreachable('expected an InputError');
  throw new Error('unreachable');
}

test('set_fact from a registered result stays literal: plain, | trim, from_json, concatenated', () => {
  let vars: Vars = { r: reg(`  ${EVIL}  `), j: reg(JSON.stringify({ a: EVIL, l: [EVIL] })) };
  vars = setFact(vars, {
    plain: '{{ r.stdout }}',
    trimmed: '{{ r.stdout | trim }}',
    joined: 'out: {{ r.stdout | trim }}!',
    parsed: '{{ j.stdout | from_json }}',
    lines: '{{ r.stdout_lines }}',
    nested: { deep: ['{{ r.stdout | trim }}'] },
  });
  assert.is(render('{{ plain }}', vars, LOC), `  ${EVIL}  `);
  assert.is(render('{{ trimmed }}', vars, LOC), EVIL);
  assert.is(render('{{ joined }}', vars, LOC), `out: ${EVIL}!`);
  assert.is(render('{{ parsed.a }}', vars, LOC), EVIL);
  assert.equal(render('{{ parsed.l }}', vars, LOC), [EVIL]);
  assert.equal(render('{{ lines }}', vars, LOC), [`  ${EVIL}  `]);
  assert.is(render('{{ nested.deep[0] }}', vars, LOC), EVIL);
  assert.is(render('{{ trimmed | upper }}', vars, LOC), EVIL.toUpperCase());
  // derived twice: a set_fact of a set_fact
  vars = setFact(vars, { again: '{{ trimmed }}', d2: '{{ parsed }}' });
  assert.is(render('{{ again }}', vars, LOC), EVIL);
  assert.is(render('{{ d2.a }}', vars, LOC), EVIL);
  noSecret(renderDeep({ a: '{{ plain }}', b: '{{ trimmed }}', c: '{{ parsed }}', d: '{{ again }}', e: '{{ d2 }}' }, vars, LOC));
  // a set_fact that read no host data is still rendered lazily when used, as before
  const safe = setFact({ a: 'A', r: reg('x') }, { t: "{{ '{{ a }}' }}", rc: '{{ r.rc }}' });
  assert.is(render('{{ t }}', safe, LOC), 'A', 'a template that rendered to a template is rendered on use');
  assert.is(render('{{ rc }}', safe, LOC), 0);
});

test('renderTracked / renderDeep report unsafe results; lookups are unsafe', () => {
  const vars = { r: reg(EVIL), a: 'A', d: { k: 'v' } };
  assert.is(renderTracked('{{ a }}-{{ d.k }}', vars, LOC).unsafe, false);
  assert.is(renderTracked('{{ r.rc }}', vars, LOC).unsafe, true, 'reading any part of a result taints (as Ansible)');
  assert.is(renderTracked('{{ r.stdout | length }}', vars, LOC).unsafe, true);
  const env = renderTracked("{{ lookup('env', 'KVPLAY_SECRET_PROBE') }}", vars, LOC);
  assert.equal(env, { value: SECRET, unsafe: true });
  process.env.KVPLAY_UNSAFE_T = EVIL;
  const again = setFact({}, { v: "{{ lookup('env', 'KVPLAY_UNSAFE_T') }}" });
  assert.is(render('{{ v }}', again, LOC), EVIL, 'a lookup result is never templated again');
  delete process.env.KVPLAY_UNSAFE_T;
});

test('cached reads replay their taint: every key that read host data is marked', () => {
  const vars = setFact({ r: reg(EVIL) }, { x: '{{ r.stdout }}' });
  const out = renderDeep({ a: '{{ x }}', b: '{{ x }}', c: ['{{ x }}', '{{ x }}'] }, vars, LOC);
  const stored = mergeVars(vars, out as Vars);
  for (const t of ['{{ a }}', '{{ b }}', '{{ c[0] }}', '{{ c[1] }}']) assert.is(render(t, stored, LOC), EVIL, t);
});

test('vars whose templates read host data (include vars, play vars) are unsafe when stored', () => {
  const vars = { r: reg(EVIL), via: '{{ r.stdout }}', deep: { via: '{{ r.stdout_lines[0] }}' } };
  assert.is(render('{{ via }}', vars, LOC), EVIL);
  assert.is(render('{{ deep.via }}', vars, LOC), EVIL);
  const stored = setFact(vars, { f: '{{ via }}', g: '{{ deep.via }}', h: '{{ deep }}' });
  assert.is(render('{{ f }}', stored, LOC), EVIL);
  assert.is(render('{{ g }}', stored, LOC), EVIL);
  assert.is(render('{{ h.via }}', stored, LOC), EVIL);
});

test('facts: ansible_facts and every ansible_* name are unsafe (factVars)', () => {
  const facts = markUnsafe({ hostname: EVIL, fqdn: `x${EVIL}`, lst: [EVIL], d: { k: EVIL } });
  const vars = mergeVars({ play: 1 }, factVars(facts));
  assert.is(render('{{ ansible_hostname }}', vars, LOC), EVIL);
  assert.is(render('{{ ansible_fqdn }}', vars, LOC), `x${EVIL}`);
  assert.is(render('{{ ansible_facts.hostname }}', vars, LOC), EVIL);
  assert.is(render("{{ ansible_facts['fqdn'] }}", vars, LOC), `x${EVIL}`);
  assert.equal(render('{{ ansible_lst }}', vars, LOC), [EVIL]);
  assert.is(render('{{ ansible_d.k }}', vars, LOC), EVIL);
  // unmarked facts (e.g. a fact object built by a module) are still unsafe by name
  const plain = mergeVars(factVars({ hostname: EVIL }));
  assert.is(render('{{ ansible_hostname }}', plain, LOC), EVIL);
  const stored = setFact(vars, { name: '{{ ansible_hostname }}', short: "{{ ansible_fqdn.split('.')[0] }}" });
  assert.is(render('{{ name }}', stored, LOC), EVIL);
  assert.is(render('{{ short }}', stored, LOC), `x${EVIL}`);
});

test('mergeVars: the winning layer decides; a safe override is rendered, an unsafe one is not', () => {
  const unsafe = setFact({ r: reg(EVIL) }, { v: '{{ r.stdout }}' });
  const overridden = mergeVars(unsafe, { v: '{{ 1 + 1 }}' });
  assert.is(render('{{ v }}', overridden, LOC), 2);
  const back = mergeVars(overridden, unsafe);
  assert.is(render('{{ v }}', back, LOC), EVIL);
  assert.is(render('{{ v }}', mergeVars(mergeVars(back)), LOC), EVIL, 'merging a merge keeps the marks');
});

test('loop items built from host data are unsafe (loop, with_items, with_dict, YAML lists)', () => {
  const vars = mergeVars({ r: reg(`${EVIL}\nplain`), d: markUnsafe({ k: EVIL }) });
  const item = (items: unknown[], i: number, t = '{{ item }}') => render(t, mergeVars(vars, loopVar(items, i, 'item')), LOC);
  const lines = loopItems({ loop: '{{ r.stdout_lines }}', loc: LOC }, vars);
  assert.is(item(lines, 0), EVIL);
  const listed = loopItems({ loop: ['{{ r.stdout_lines[0] }}', 'x{{ 1 }}'], loc: LOC }, vars);
  assert.is(item(listed, 0), EVIL);
  const flat = loopItems({ loop: ['{{ r.stdout_lines }}'], loopKind: 'with_items', loc: LOC }, vars);
  assert.is(item(flat, 0), EVIL);
  assert.is(item(flat, 1), 'plain');
  const dict = loopItems({ loop: '{{ d }}', loopKind: 'with_dict', loc: LOC }, vars);
  assert.is(item(dict, 0, '{{ item.value }}'), EVIL);
  const safe = loopItems({ loop: ["{{ '{{ 7 }}' }}"], loc: LOC }, vars);
  assert.is(item(safe, 0), 7, 'a safe item that is a template is rendered lazily, as before');
});

test('stripOmit keeps the marks (nested, and list indices after an omitted item)', () => {
  const omit = '__omit_place_holder__kvplay';
  const vars = { r: reg(EVIL), omit };
  const p = stripOmit(renderDeep({ a: '{{ omit }}', l: ['{{ omit }}', '{{ r.stdout }}'], n: { x: '{{ r.stdout }}' } }, vars, LOC)) as Vars;
  const stored = mergeVars(vars, p);
  assert.equal(Object.keys(p), ['l', 'n']);
  assert.is(render('{{ l[0] }}', stored, LOC), EVIL);
  assert.is(render('{{ n.x }}', stored, LOC), EVIL);
});

test('a legacy condition "{{ r.stdout }} == ..." runs no lookup written by a host', () => {
  const vars = { r: reg("lookup('env', 'KVPLAY_SECRET_PROBE')"), s: reg("'y'") };
  const e = error(() => evalExpr("{{ r.stdout }} == 'x'", vars, LOC));
  assert.match(e.message, /lookups are disabled/);
  assert.is(evalExpr("{{ s.stdout }} == 'x'", vars, LOC), false, 'other host text still evaluates (as in Ansible)');
  assert.is(evalExpr("r.stdout == 'x'", vars, LOC), false);
});

test('YAML !unsafe: the value stays the literal text, wherever it is', () => {
  const v = parseYaml(
    [
      'x: !unsafe "{{ lookup(\'env\', \'KVPLAY_SECRET_PROBE\') }}"',
      'plain: "{{ 1 + 1 }}"',
      'num: !unsafe 5',
      'nested: {a: !unsafe "{{ y }}", b: "{{ plain }}"}',
      'list: [!unsafe "{{ y }}", "{{ plain }}"]',
      'whole: !unsafe {a: "{{ y }}", l: ["{{ y }}"]}',
      'wlist: !unsafe ["{{ y }}"]',
      'anchored: &a !unsafe "{{ y }}"',
      'alias: *a',
      'uses: "{{ x }}"',
    ].join('\n'),
    'vars.yaml',
  ) as Vars;
  assert.is(render('{{ x }}', v, LOC), EVIL);
  assert.is(render('{{ plain }}', v, LOC), 2);
  assert.is(render('{{ num }}', v, LOC), '5', '!unsafe makes a string, as in Ansible');
  assert.is(render('{{ nested.a }}', v, LOC), '{{ y }}');
  assert.is(render('{{ nested.b }}', v, LOC), 2);
  assert.is(render('{{ list[0] }}', v, LOC), '{{ y }}');
  assert.is(render('{{ list[1] }}', v, LOC), 2);
  assert.equal(render('{{ whole }}', v, LOC), { a: '{{ y }}', l: ['{{ y }}'] });
  assert.equal(render('{{ wlist }}', v, LOC), ['{{ y }}']);
  assert.is(render('{{ alias }}', v, LOC), '{{ y }}');
  assert.is(render('{{ uses }}', v, LOC), EVIL, 'a var whose template reads an !unsafe value gets the text');
  assert.is(renderTracked('{{ uses }}', v, LOC).unsafe, true);
  // renderDeep (module params) copies !unsafe values as they are
  const params = parseYaml('msg: !unsafe "{{ y }}"\nl: [!unsafe "{{ y }}", "{{ 1 }}"]\n', 'task.yaml') as Vars;
  assert.equal(renderDeep(params, {}, LOC), { msg: '{{ y }}', l: ['{{ y }}', 1] });
  // merged into other layers (vars_files, play vars), the marks stay
  assert.is(render('{{ x }}', mergeVars({}, v), LOC), EVIL);
  noSecret(renderDeep({ a: '{{ x }}', b: '{{ whole }}', c: '{{ uses }}' }, v, LOC));
});

test('YAML !unsafe in the inventory, group_vars and host_vars survives the merge of inventory layers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-unsafe-inv-'));
  try {
    const inv = join(dir, 'inventory.yaml');
    writeFileSync(inv, `all:\n  vars:\n    in_all: !unsafe "${EVIL}"\n  hosts:\n    h1:\n      in_host: !unsafe "{{ y }}"\n      tpl: "{{ 1 + 1 }}"\n`);
    mkdirSync(join(dir, 'group_vars'));
    mkdirSync(join(dir, 'host_vars'));
    writeFileSync(join(dir, 'group_vars', 'all.yaml'), 'in_gv: !unsafe "{{ y }}"\n');
    writeFileSync(join(dir, 'host_vars', 'h1.yaml'), 'in_hv: !unsafe "{{ y }}"\n');
    const v = loadInventory(inv).hostVars('h1') as Vars;
    for (const [name, want] of [['in_all', EVIL], ['in_host', '{{ y }}'], ['in_gv', '{{ y }}'], ['in_hv', '{{ y }}']]) {
      assert.is(render(`{{ ${name} }}`, v, LOC), want, name);
      assert.is(render(`{{ ${name} }}`, mergeVars({}, v), LOC), want, `${name} (merged)`);
    }
    assert.is(render('{{ tpl }}', v, LOC), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('%-formatting and str.format read only own data keys, never prototype members', () => {
  const vars = { d: { a: 1 }, e: {}, j: reg('{"k": 1}'), o: Object.create({ inherited: 'proto' }) };
  const refused = (tpl: string, re: RegExp) => assert.match(error(() => render(tpl, vars, LOC)).message, re, tpl);
  refused("{{ '%(constructor)s' % d }}", /no key 'constructor'/);
  refused("{{ '%(__proto__)s' % d }}", /no key '__proto__'/);
  refused("{{ '%(toString)s' % e }}", /no key 'toString'/);
  refused("{{ '%(hasOwnProperty)r' % (j.stdout | from_json) }}", /no key 'hasOwnProperty'/);
  refused("{{ '%(inherited)s' % o }}", /no key 'inherited'/);
  refused("{{ '%(constructor)s' | format(a=1) }}", /no key 'constructor'/);
  refused("{{ '{constructor}'.format(a=1) }}", /no value for field/);
  assert.is(render("{{ '%(a)s' % d }}", vars, LOC), '1');
  assert.is(render("{{ '%(constructor)s' % ('{\"constructor\": \"own\"}' | from_json) }}", vars, LOC), 'own', 'an own key of that name is data');
});

test('attribute, item, get(), in, map(attribute=), tests: no inherited members', () => {
  class Host {
    name = 'h1';
    get computed(): string {
      return 'getter';
    }
  }
  const o = Object.create({ inherited: 'proto', failed: true }) as Vars;
  o.own = 1;
  const vars = { o, h: new Host(), l: [o] };
  assert.is(evalExpr('o.inherited is defined', vars, LOC), false);
  assert.is(evalExpr("o['inherited'] is defined", vars, LOC), false);
  assert.is(evalExpr('h.computed is defined', vars, LOC), false, 'a getter on a class prototype is not data');
  assert.is(evalExpr('h.name', vars, LOC), 'h1');
  assert.is(evalExpr("o.get('inherited', 'none')", vars, LOC), 'none');
  assert.is(evalExpr("'inherited' in o", vars, LOC), false);
  assert.equal(evalExpr("l | map(attribute='inherited', default='x') | list", vars, LOC), ['x']);
  assert.is(evalExpr('o is failed', vars, LOC), false, 'the failed test reads own keys only');
  assert.is(evalExpr("o.get('constructor') is none", vars, LOC), true);
});

test('#jinja2 header options of a template file are own names only', () => {
  for (const name of ['constructor', 'toString', '__proto__']) {
    assert.match(error(() => renderTemplateFile(`#jinja2: ${name}: True\nx`, {}, LOC)).message, `option '${name}' is not supported`, name);
  }
  assert.match(error(() => renderTemplateFile('#jinja2: trim_blocks: toString\nx', {}, LOC)).message, /not a Python literal/);
  assert.is(renderTemplateFile('#jinja2: trim_blocks: False\nx', {}, LOC), 'x');
});

test.run();
