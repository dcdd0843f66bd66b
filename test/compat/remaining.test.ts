/**
 * Issue 11, the remaining items, each checked against ansible-playbook 2.14 on one real sshd host:
 * booleans/None/numbers rendered in strings and kept native, set_fact with null values, missing
 * vars_files (the play fails when it starts, earlier plays run) and vars_files alternatives
 * (throttle and max_fail_percentage: throttle-maxfail.test.ts; vars_prompt: vars-prompt.test.ts).
 */
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../harness/gate.js';
import { assertSame, both, oracleHosts, type OracleHost } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(1);
  writeFileSync(join(h.dir, 'v1.yml'), 'x: from_v1\n');
  writeFileSync(join(h.dir, 'v2.yml'), 'y: from_v2\n');
});
test.after(async () => {
  await h?.stop();
});

const same = assertSame;
type Both = Awaited<ReturnType<typeof both>>;

test('booleans and None inside a string render True/False/"" ; a whole-value {{ true }} stays a bool', async () => {
  const r = await both(h, 'bools', `
- hosts: web
  gather_facts: false
  vars:
    pv: "{{ true }}"
    pn: "{{ none }}"
    pnull: ~
  tasks:
    - set_fact: { b: "{{ true }}", nb: "{{ not true }}", s: "x{{ true }}", l: "{{ [1, true, none] }}", yes_str: "yes" }
    - debug: { msg: "a {{ true }} {{ false }} {{ none }} {{ pnull }}" }
      register: d
    - copy:
        dest: "{{ out }}/bools"
        content: |
          {{ {'b': b, 'nb': nb, 's': s, 'l': l, 'yes_str': yes_str, 'pv': pv, 'pn': pn, 'pnull': pnull, 'msg': d.msg, 'bt': b is sameas true, 'pvt': pv is boolean} | to_json }}
          {{ b }} {{ l }} {{ pv }}|{{ pn }}|{{ pnull }}|{{ [none, false] }}
`);
  same(r);
});

test('set_fact with null values and {{ none }}: the variables are defined (null / "")', async () => {
  const r = await both(h, 'setnull', `
- hosts: web
  gather_facts: false
  tasks:
    - set_fact: { n: "{{ none }}", m: ~ }
    - copy: { content: "{{ {'m': m, 'n': n, 'md': m is defined, 'nn': n is none, 'mn': m is none} | to_json }}|{{ m }}|{{ n }}|", dest: "{{ out }}/setnull" }
`);
  same(r);
});

test('numbers: / is true division, // floor division, % and | int; int results keep no fraction', async () => {
  const r = await both(h, 'numbers', `
- hosts: web
  gather_facts: false
  tasks:
    - set_fact: { q: "{{ 3 / 2 }}", fl: "{{ 7 // 2 }}", i: "{{ '42' | int }}", r: "{{ 10 % 3 }}", neg: "{{ -7 // 2 }}" }
    - command: echo {{ 5 // 2 }} {{ 1 / 4 }} {{ '12abc' | int }} {{ 2 ** 10 }}
      register: c
    - copy: { content: "{{ [q | float, fl | int, i | int, r | int, neg | int, c.stdout, 3 / 2, 7 // 2, 1 + 2, 0.5 + 0.25] | to_json }} {{ 3 / 2 }} {{ 7 // 2 }} {{ 2 ** 3 }}", dest: "{{ out }}/numbers" }
`);
  same(r);
});

test('vars_files: a missing file fails the play when it starts (earlier plays ran, exit 1, its name said)', async () => {
  const r = await both(h, 'vfmissing', `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "first play ran", dest: "{{ out }}/first" }
- hosts: web
  gather_facts: false
  vars_files:
    - v1.yml
    - nothere.yml
  tasks:
    - copy: { content: "must not run", dest: "{{ out }}/second" }
`);
  assert.is(r.ansible.code, 1, r.ansible.out);
  assert.match(r.ansible.out, /vars file nothere\.yml was not found/);
  assert.is(r.kvplay.code, r.ansible.code, r.kvplay.out);
  assert.equal(r.kvplay.files, r.ansible.files, r.kvplay.out);
  assert.match(r.kvplay.out, /vars file nothere\.yml was not found/);
  assert.match(r.kvplay.out, /vfmissing\.yml:10:7/);
});

test('vars_files: a list of alternatives reads the first file found; none found fails naming the list', async () => {
  const ok = await both(h, 'vfalts', `
- hosts: web
  gather_facts: false
  vars:
    which: v2
  vars_files:
    - [missing.yml, "{{ which }}.yml", v1.yml]
    - [v1.yml]
  tasks:
    - copy: { content: "{{ [x, y] | to_json }}", dest: "{{ out }}/alts" }
`);
  same(ok);
  const bad = await both(h, 'vfnone', `
- hosts: web
  gather_facts: false
  vars_files:
    - [missing1.yml, missing2.yml]
  tasks:
    - copy: { content: "must not run", dest: "{{ out }}/x" }
`);
  assert.is(bad.ansible.code, 1, bad.ansible.out);
  assert.is(bad.kvplay.code, 1, bad.kvplay.out);
  assert.match(bad.kvplay.out, /vars file \['missing1\.yml', 'missing2\.yml'\] was not found/);
  assert.equal(bad.kvplay.files, bad.ansible.files);
});

/** Run `tasks` under both tools; the last task writes the registered `regs` as JSON (the work dir `{{ w }}` as W). */
async function registered(name: string, regs: string[], tasks: string, args: string[] = []): Promise<{ a: Record<string, any>; k: Record<string, any>; r: Both }> {
  const dump = `{{ {${regs.map((x) => `'${x}': ${x}`).join(', ')}} | to_json | replace(w, 'W') }}`;
  const r = await both(h, name, `
- hosts: web
  gather_facts: false
  vars:
    w: "{{ out }}-w"
  tasks:
    - file: { path: "{{ w }}", state: directory }
${tasks}
    - copy: { content: ${JSON.stringify(dump)}, dest: "{{ out }}/results.json" }
      diff: false
`, args);
  assert.is(r.ansible.code, 0, r.ansible.out);
  assert.is(r.kvplay.code, 0, r.kvplay.out);
  assert.equal(r.kvplay.recap, r.ansible.recap, r.kvplay.out);
  return { a: JSON.parse(r.ansible.files['results.json']), k: JSON.parse(r.kvplay.files['results.json'] ?? '{}'), r };
}

const DIFF_TASKS = `
    - copy: { content: "x\\n", dest: "{{ w }}/new" }
      register: c_new
    - copy: { content: "a\\n", dest: "{{ w }}/old" }
      diff: false
    - copy: { content: "b\\n", dest: "{{ w }}/old" }
      register: c_chg
    - lineinfile: { path: "{{ w }}/old", line: "z" }
      register: l
    - copy: { content: "b\\n", dest: "{{ w }}/old" }
      register: c_back
    - copy: { content: "b\\n", dest: "{{ w }}/old" }
      register: c_same
`;

test('registered diff with --diff: before/after of copy (new, changed) and lineinfile as Ansible; no text diff when unchanged', async () => {
  const { a, k } = await registered('diffmode', ['c_new', 'c_chg', 'l', 'c_back', 'c_same'], DIFF_TASKS, ['--diff']);
  const ba = (d: any) => (Array.isArray(d) && d[0] ? [d[0].before, d[0].after, typeof d[0].before_header, typeof d[0].after_header] : d);
  for (const r of ['c_new', 'c_chg', 'l', 'c_back']) {
    assert.ok(Array.isArray(k[r].diff), `${r}: kvplay registers diff as a list\n${JSON.stringify(k[r])}`);
    assert.equal([k[r].diff[0].before, k[r].diff[0].after], [a[r].diff[0].before, a[r].diff[0].after], `${r}: before/after`);
    assert.is(typeof k[r].diff[0].after_header, 'string');
  }
  assert.equal(ba(k.c_new.diff).slice(0, 2), ['', 'x\n']);
  // unchanged: no text diff on either side (Ansible registers the file module's {before: {path}, after: {path}}; kvplay nothing)
  assert.is(typeof a.c_same.diff?.before, 'object', JSON.stringify(a.c_same.diff));
  assert.is(k.c_same.diff, undefined, JSON.stringify(k.c_same.diff));
});

test('registered diff without --diff: copy registers no diff entries (Ansible: [])', async () => {
  const { a, k } = await registered('nodiff', ['c_new', 'c_chg'], DIFF_TASKS);
  for (const r of ['c_new', 'c_chg']) {
    assert.equal(a[r].diff, [], 'Ansible without --diff');
    assert.equal(k[r].diff ?? [], [], `${r}: kvplay registers no diff without --diff\n${JSON.stringify(k[r])}`);
  }
});

test('openssh_keypair: public_key (no comment), comment, fingerprint, size, type, filename as Ansible; then ok', async () => {
  const { a, k } = await registered('keypair', ['kp', 'kp2'], `
    - community.crypto.openssh_keypair: { path: "{{ w }}/id", type: ed25519, comment: c1 }
      register: kp
    - community.crypto.openssh_keypair: { path: "{{ w }}/id", type: ed25519, comment: c1 }
      register: kp2
`);
  for (const r of ['kp', 'kp2']) {
    const shape = (x: any) => ({ keys: ['changed', 'comment', 'filename', 'fingerprint', 'public_key', 'size', 'type'].filter((n) => n in x), changed: x.changed, comment: x.comment, filename: x.filename, size: x.size, type: x.type, fp: /^SHA256:[A-Za-z0-9+/]{43}$/.test(x.fingerprint), words: String(x.public_key).split(' ').length });
    assert.equal(shape(k[r]), shape(a[r]), `${r}\n${JSON.stringify(k[r])}\n${JSON.stringify(a[r])}`);
  }
  assert.is(k.kp2.public_key, k.kp.public_key);
  assert.is(k.kp2.fingerprint, k.kp.fingerprint);
});

test('mount state present (fstab only, a file of the task): name, src, fstype, opts, dump, passno, boot, fstab, backup_file as Ansible', async () => {
  const { a, k } = await registered('mount', ['m', 'm2'], `
    - copy: { content: "", dest: "{{ w }}/fstab" }
    - ansible.posix.mount: { path: /mnt/kvplay-test, src: "tmpfs", fstype: tmpfs, state: present, fstab: "{{ w }}/fstab" }
      register: m
    - ansible.posix.mount: { path: /mnt/kvplay-test, src: "tmpfs", fstype: tmpfs, opts: "size=1m", state: present, fstab: "{{ w }}/fstab" }
      register: m2
`);
  for (const r of ['m', 'm2']) {
    for (const key of Object.keys(a[r]).filter((x) => !['invocation', 'warnings'].includes(x))) {
      assert.equal(k[r][key], a[r][key], `${r}.${key}\n${JSON.stringify(k[r])}\n${JSON.stringify(a[r])}`);
    }
  }
});

test.run();
