/**
 * Issue 11: `with_<lookup>` loops (with_sequence, with_subelements, with_nested, with_together,
 * with_indexed_items, with_fileglob, with_first_found, with_lines, with_items/with_list/with_dict)
 * under ansible-playbook and kvplay on the same real sshd host: the same items, the same
 * registered results, the same PLAY RECAP; with_* items are unsafe (never templated again),
 * loop: items are not.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../harness/gate.js';
import { both, oracleHosts, type OracleHost } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(1);
  mkdirSync(join(h.dir, 'lfiles'), { recursive: true });
  mkdirSync(join(h.dir, 'templates'), { recursive: true });
  writeFileSync(join(h.dir, 'lfiles', 'a.txt'), 'a\n');
  writeFileSync(join(h.dir, 'lfiles', 'b.txt'), 'b\n');
  writeFileSync(join(h.dir, 'lfiles', 'c.conf'), 'c\n');
  writeFileSync(join(h.dir, 'templates', 't.j2'), 'template {{ x }}\n');
});
test.after(async () => {
  await h?.stop();
});

async function same(name: string, playbook: string): Promise<void> {
  const { ansible, kvplay } = await both(h, name, playbook);
  assert.is(ansible.code, 0, `ansible-playbook failed:\n${ansible.out}`);
  assert.is(kvplay.code, ansible.code, `kvplay failed:\n${kvplay.out}`);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP differs\n--- kvplay\n${kvplay.out}`);
  assert.equal(kvplay.files, ansible.files);
}

const msgs = (r: string) => `${r}.results | map(attribute='msg') | list`;

test('with_sequence, with_subelements, with_nested, with_together, with_indexed_items, with_items, with_list, with_dict', () =>
  same('loops-data', `
- hosts: web
  gather_facts: false
  vars:
    users:
      - {name: alice, groups: [wheel, dev], mysql: {hosts: [h1, h2]}}
      - {name: bob, groups: [dev], mysql: {hosts: []}}
  tasks:
    - {debug: {msg: "{{ item }}"}, with_sequence: start=1 end=5 format=host%02d, register: seq}
    - {debug: {msg: "{{ item }}"}, with_sequence: "count=3 stride=2", register: seq2}
    - debug: {msg: "{{ item.0.name }}:{{ item.1 }}:{{ item.0.groups is defined }}"}
      with_subelements: ["{{ users }}", groups]
      register: sub
    - debug: {msg: "{{ item.1 }}"}
      with_subelements: ["{{ users }}", mysql.hosts]
      register: sub2
    - {debug: {msg: "{{ item }}"}, with_nested: [[a, b], [1, 2]], register: nest}
    - {debug: {msg: "{{ item }}"}, with_together: [[1, 2], [x]], register: tog}
    - {debug: {msg: "{{ item }}"}, with_indexed_items: [a, b], register: idx}
    - {debug: {msg: "{{ item }}"}, with_items: [[1, [2]], 3], register: its}
    - {debug: {msg: "{{ item }}"}, with_list: [[1, 2], 3], register: lst}
    - {debug: {msg: "{{ item.key }}={{ item.value }}"}, with_dict: {a: 1, b: 2}, register: dic}
    - copy:
        dest: "{{ out }}/data.json"
        content: "{{ {'seq': ${msgs('seq')}, 'seq2': ${msgs('seq2')}, 'sub': ${msgs('sub')}, 'sub2': ${msgs('sub2')},
          'nest': ${msgs('nest')}, 'tog': ${msgs('tog')}, 'idx': ${msgs('idx')}, 'its': ${msgs('its')}, 'lst': ${msgs('lst')},
          'dic': ${msgs('dic')}, 'items': sub.results | map(attribute='item') | list} | to_nice_json }}"
`));

test('with_fileglob, with_first_found (undefined names skipped, templates/ for the template module), with_lines', () =>
  same('loops-files', `
- hosts: web
  gather_facts: false
  vars: {x: X}
  tasks:
    - {debug: {msg: "{{ item | basename }}"}, with_fileglob: ["{{ playbook_dir }}/lfiles/*.txt"], register: glob}
    - {debug: {msg: "{{ item | basename }}"}, with_fileglob: "lfiles/*.conf", register: glob2}
    - debug: {msg: "{{ item | basename }}"}
      with_first_found: ["{{ nope_var }}.yml", missing.yml, lfiles/b.txt]
      register: ff
    - debug: {msg: "{{ item | basename }}"}
      with_first_found: [{files: [nope.txt, a.txt], paths: [lfiles]}]
      register: ff2
    - template: {src: "{{ item }}", dest: "{{ out }}/ff.txt"}
      with_first_found: [nope.j2, t.j2]
    - {debug: {msg: "{{ item }}"}, with_lines: "printf 'l1\\\\nl2\\\\n'", register: lines}
    - copy:
        dest: "{{ out }}/files.json"
        content: "{{ {'glob': ${msgs('glob')} | sort, 'glob2': ${msgs('glob2')}, 'ff': ${msgs('ff')}, 'ff2': ${msgs('ff2')}, 'lines': ${msgs('lines')}} | to_nice_json }}"
`));

test('with_* items are unsafe (a template in an item stays text), loop: items are not', () =>
  same('loops-unsafe', `
- hosts: web
  gather_facts: false
  vars:
    x: rendered
    raw: "{% raw %}{{ x }}{% endraw %}"
  tasks:
    - {debug: {msg: "{{ item }}"}, with_items: ["{{ raw }}"], register: w}
    - {debug: {msg: "{{ item }}"}, loop: ["{{ raw }}"], register: l}
    - copy:
        dest: "{{ out }}/unsafe.json"
        content: "{{ {'with_items': ${msgs('w')}, 'loop': ${msgs('l')}} | to_nice_json }}"
`));

test.run();
