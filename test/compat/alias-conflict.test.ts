/**
 * A parameter given under two of its names (issue 10, the module contract): Ansible 2.14
 * (module_utils/common/parameters.py `_handle_aliases`) warns "Both option X and its alias Y are
 * set." and uses the alias's value (aliases in declared order: the last one given wins). The same
 * playbook under ansible-playbook and kvplay on a real sshd host: the same files written, the same
 * recap, the same warnings.
 */
import * as assert from 'uvu/assert';
import { requires } from '../harness/gate.js';
import { both, oracleHosts, type OracleHost } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(1);
});
test.after(async () => {
  await h?.stop();
});

/** the distinct "Both option ..." warnings in a tool's output (Ansible shows each text once) */
const warnings = (out: string) => [...new Set([...out.matchAll(/\[WARNING\]: (Both option \S+ and its alias \S+ are set\.)/g)].map((m) => m[1]))].sort();

test('file, lineinfile, stat: the alias value wins, a warning names the option and the alias', async () => {
  const { ansible, kvplay } = await both(
    h,
    'alias-conflict',
    `
- hosts: web
  gather_facts: false
  tasks:
    - file: path={{ out }}/a dest={{ out }}/b state=touch
    - file:
        dest: "{{ out }}/c"
        name: "{{ out }}/d"
        state: touch
    - file:
        name: "{{ out }}/e"
        path: "{{ out }}/f"
        dest: "{{ out }}/g"
        state: touch
    - lineinfile: {path: "{{ out }}/h", dest: "{{ out }}/i", line: one, create: true}
    - stat: {path: "{{ out }}/nothing", name: "{{ out }}/b"}
      register: st
    - copy: {dest: "{{ out }}/stat.json", content: "{{ {'exists': st.stat.exists, 'path': st.stat.path | basename} | to_json }}"}
`,
  );
  assert.is(ansible.code, 0, `ansible-playbook failed:\n${ansible.out}`);
  assert.is(kvplay.code, ansible.code, kvplay.out);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP differs\n--- kvplay\n${kvplay.out}\n--- ansible\n${ansible.out}`);
  assert.equal(Object.keys(ansible.files).sort(), ['b', 'd', 'e', 'i', 'stat.json'], 'what Ansible does (the assumption this test rests on)');
  assert.equal(kvplay.files, ansible.files);
  assert.equal(warnings(ansible.out), ['Both option path and its alias dest are set.', 'Both option path and its alias name are set.']);
  assert.equal(warnings(kvplay.out), warnings(ansible.out));
  // kvplay says where: file:line:col of the alias
  assert.match(kvplay.out, /Both option path and its alias dest are set\..*alias-conflict\.yml:5:/);
});

test.run();
