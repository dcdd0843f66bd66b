/**
 * Issue 11, "Module results" and "Status differences": the same playbook under ansible-playbook
 * and kvplay on one real sshd host registers the same values (every key Ansible 2.14 returns, with
 * its value) and reports the same statuses (PLAY RECAP). Values that differ by nature (times,
 * inodes, temp file names) are compared by their shape; `diff` and loop items' `invocation` are
 * not compared (kvplay does not give them).
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
  mkdirSync(join(h.dir, 'files'), { recursive: true });
  mkdirSync(join(h.dir, 'templates'), { recursive: true });
  writeFileSync(join(h.dir, 'files', 'src.txt'), 'hello\n');
  writeFileSync(join(h.dir, 'templates', 't.j2'), 'v={{ 1 + 1 }}\n');
});
test.after(async () => {
  await h?.stop();
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/;
const TIMEDELTA = /^\d+:\d\d:\d\d(\.\d{6})?$/;

/** A value that differs by nature, replaced by its shape. */
function shapeOf(key: string, v: unknown): unknown {
  if (v === null) return null;
  if (['start', 'end', 'stop'].includes(key)) return DATETIME.test(String(v)) ? '<datetime>' : v;
  if (key === 'delta' && typeof v === 'string') return TIMEDELTA.test(v) ? '<timedelta>' : v;
  if (['atime', 'mtime', 'ctime', 'inode', 'version', 'elapsed'].includes(key)) return `<${typeof v}>`;
  // the temp file a copy wrote (Ansible: its transfer file), a backup's name (kvplay's own scheme)
  if (['src', 'backup_file'].includes(key) && typeof v === 'string' && /tmp|kvplay|~$/.test(v)) return '<path>';
  if (key === 'backup' && typeof v === 'string' && v !== '') return '<path>';
  if (key === 'stdout' && typeof v === 'string' && /^Paused for [\d.]+ seconds$/.test(v)) return 'Paused for <n> seconds';
  return v;
}

function normalize(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      if (k === 'diff' || k === 'invocation') continue;
      out[k] = normalize((v as Record<string, unknown>)[k], k);
    }
    return out;
  }
  return shapeOf(key, v);
}

/**
 * Run `tasks` (YAML lines at task level) under both tools; the playbook's last task writes every
 * registered variable named in `regs` to `{{ out }}/results.json` (the work directory `{{ w }}`
 * written as W). Compares exit codes, PLAY RECAP and the registered values, per variable and key.
 */
async function sameResults(name: string, regs: string[], tasks: string, args: string[] = []): Promise<void> {
  const dump = `{{ {${regs.map((r) => `'${r}': ${r}`).join(', ')}} | to_json | replace(w, 'W') }}`;
  const playbook = `
- hosts: web
  gather_facts: false
  vars:
    w: "{{ out }}-w"
  tasks:
    - file: { path: "{{ w }}", state: directory }
${tasks}
    - copy: { content: ${JSON.stringify(dump)}, dest: "{{ out }}/results.json" }
      check_mode: false
`;
  const { ansible, kvplay } = await both(h, name, playbook, args);
  assert.is(ansible.code, 0, `ansible-playbook failed:\n${ansible.out}`);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP differs\n--- kvplay\n${kvplay.out}\n--- ansible\n${ansible.out}`);
  assert.is(kvplay.code, ansible.code, kvplay.out);
  const a = normalize(JSON.parse(ansible.files['results.json'])) as Record<string, unknown>;
  const raw = kvplay.files['results.json'];
  assert.ok(raw !== undefined, `kvplay wrote no results\n${kvplay.out}`);
  const k = normalize(JSON.parse(raw)) as Record<string, unknown>;
  for (const r of regs) assert.equal(k[r], a[r], `registered ${r} differs`);
}

test('command, shell: cmd (argv list / string), start/end/delta, msg, lines; creates/removes; programs that cannot run; chdir; executable', () =>
  sameResults('command', ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11', 's1', 's2', 's3'], `
    - command: echo hi there
      register: c1
    - command: { argv: [echo, a b] }
      register: c2
    - command: 'false'
      register: c3
      ignore_errors: true
    - command: echo x
      args: { creates: /etc }
      register: c4
    - command: echo x
      args: { removes: /nonexistent-kvplay }
      register: c5
    - command: /nonexistent-kvplay-cmd arg
      register: c6
      ignore_errors: true
    - command: "{{ w }}"
      register: c7
      ignore_errors: true
    - command: pwd
      args: { chdir: "{{ w }}/nope" }
      register: c8
      ignore_errors: true
    - command: ls
      args: { chdir: "{{ w }}" }
      register: c9
    - command: echo hi
      args: { executable: /bin/bash }
      register: c10
    - command: cd /tmp
      register: c11
      ignore_errors: true
    - shell: echo hi; echo err >&2
      register: s1
    - shell: printf 'a\\n\\n\\r\\n'
      register: s2
    - shell: exit 3
      register: s3
      ignore_errors: true
`));

test('raw: the output as it is, lines as Python splitlines (no trailing empty item)', async () => {
  // Ansible's raw runs in a pty (\r\n, "Shared connection ... closed." on stderr): only rc and stdout_lines compare
  const { ansible, kvplay } = await both(h, 'raw', `
- hosts: web
  gather_facts: false
  tasks:
    - raw: printf 'a\\nb\\n'
      register: r
    - raw: exit 4
      register: f
      ignore_errors: true
    - copy: { content: "{{ [r.rc, r.stdout_lines, r.changed, r.cmd is defined, r.msg is defined, f.rc, f.msg, f.failed] | to_json }}", dest: "{{ out }}/raw" }
`);
  assert.is(ansible.code, 0, ansible.out);
  assert.equal(kvplay.recap, ansible.recap, kvplay.out);
  assert.equal(kvplay.files, ansible.files);
});

test('warnings: registered and shown, as Ansible does', async () => {
  const { ansible, kvplay } = await both(h, 'warnings', `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "a\\n", dest: "{{ out }}-f" }
    - lineinfile: { path: "{{ out }}-f", regexp: "", line: "b" }
      register: r
    - copy: { content: "{{ r.warnings | to_json }}", dest: "{{ out }}/w" }
`);
  assert.is(ansible.code, 0, ansible.out);
  assert.equal(kvplay.files, ansible.files);
  const said = (out: string) => out.replace(/\s+/g, ' ').includes('[WARNING]: ') && out.replace(/\s+/g, ' ').includes('The regular expression is an empty string, which will match every line in the file.');
  assert.ok(said(ansible.out), ansible.out);
  assert.ok(said(kvplay.out), kvplay.out);
});

test('check mode: command/shell/raw skipped (or changed with creates/removes), fetch skipped, "Would not run"', () =>
  sameResults('check', ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'f1', 'c1'], `
    - command: echo hi
      check_mode: true
      register: k1
    - shell: echo hi
      check_mode: true
      register: k2
    - command: echo hi
      args: { creates: /nonexistent-kvplay }
      check_mode: true
      register: k3
    - command: echo hi
      args: { creates: /etc }
      check_mode: true
      register: k4
    - command: echo hi
      args: { removes: /etc }
      check_mode: true
      register: k5
    - raw: echo hi
      check_mode: true
      register: k6
    - fetch: { src: /etc/hostname, dest: "{{ w }}/fetched" }
      check_mode: true
      register: f1
    - copy: { content: "x", dest: "{{ w }}/new" }
      check_mode: true
      register: c1
`));

test('statuses: when false (skip_reason), debug verbosity, failed_when_result, attempts after until, loops (empty, all skipped, failed)', () =>
  sameResults('status', ['w1', 'd1', 'fw', 'fwr', 'cwr', 'u1', 'u2', 'u3', 'l0', 'l1', 'l2', 'l3'], `
    - debug: msg=x
      when: false
      register: w1
    - debug: { msg: hi, verbosity: 2 }
      register: d1
    - command: 'false'
      failed_when: false
      register: fw
    - command: echo 1
      register: fwr
      failed_when: fwr.stdout == "1"
      ignore_errors: true
    - command: echo 1
      register: cwr
      changed_when: cwr.stdout == "2"
    - command: echo 5
      register: u1
      until: u1.stdout == "5"
      retries: 2
      delay: 0
    - command: echo 1
      register: u2
      until: u2.stdout == "2"
      retries: 2
      delay: 0
      ignore_errors: true
    - command: 'false'
      register: u3
      until: u3.rc == 1
      retries: 3
      delay: 0
      ignore_errors: true
    - debug: msg=x
      loop: []
      register: l0
    - debug: { msg: "{{ item }}" }
      loop: [1, 2]
      when: item > 5
      register: l1
    - command: "test {{ item }} = 1"
      loop: [1, 2]
      register: l2
      ignore_errors: true
    - debug: { msg: "{{ item }}" }
      loop: [1, 2]
      register: l3
`));

test('copy, template: SHA-1 checksum, md5sum, owner/group/mode/state/size, dest, src; unchanged; attributes only; force: no', () =>
  sameResults('copy', ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'], `
    - copy: { content: "abc\\n", dest: "{{ w }}/c1" }
      register: r1
    - copy: { content: "abc\\n", dest: "{{ w }}/c1" }
      register: r2
    - copy: { content: "abcd\\n", dest: "{{ w }}/c1", mode: '0600', backup: true }
      register: r3
    - copy: { content: "abcd\\n", dest: "{{ w }}/c1", mode: '0644' }
      register: r4
    - copy: { src: src.txt, dest: "{{ w }}/" }
      register: r5
    - copy: { src: src.txt, dest: "{{ w }}/" }
      register: r6
    - copy: { src: src.txt, dest: "{{ w }}/c1", force: false }
      register: r7
    - template: { src: t.j2, dest: "{{ w }}/t1" }
      register: r8
    - template: { src: t.j2, dest: "{{ w }}/t1" }
      register: r9
`));

test('file: path/dest, src, owner/group/uid/gid/mode/state/size after the change; absent; check mode', () =>
  sameResults('file', ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'], `
    - file: { path: "{{ w }}/d1", state: directory }
      register: r1
    - file: { path: "{{ w }}/d1", state: directory, mode: '0700' }
      register: r2
    - file: { path: "{{ w }}/d1", state: directory, mode: '0700' }
      register: r3
    - file: { path: "{{ w }}/d1/f", state: touch }
      register: r4
    - file: { path: "{{ w }}/d1/f", mode: '0600' }
      register: r5
    - file: { path: "{{ w }}/d1/f", state: file }
      register: r6
    - file: { path: "{{ w }}/d1/l", state: link, src: f }
      register: r7
    - file: { path: "{{ w }}/d1/l", state: link, src: f }
      register: r8
    - file: { path: "{{ w }}/d1/h", state: hard, src: "{{ w }}/d1/f" }
      register: r9
    - file: { path: "{{ w }}/d1/h", state: absent }
      register: r10
    - file: { path: "{{ w }}/d1/h", state: absent }
      register: r11
    - file: { path: "{{ w }}/d2/x", state: directory }
      check_mode: true
      register: r12
    - file: { path: "{{ w }}/d1/f", mode: '0640' }
      check_mode: true
      register: r13
    - file: { path: "{{ w }}/d1/f", state: touch, access_time: preserve }
      register: r14
    - file: { path: "{{ w }}/d1/f", state: touch, access_time: preserve, modification_time: preserve }
      register: r15
`));

test('lineinfile, blockinfile: msg texts, backup/backup_file, found, warnings; missing file', () =>
  sameResults('edit', ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8', 'l9', 'l10', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9'], `
    - copy: { content: "a=1\\nb=2\\n", dest: "{{ w }}/f" }
    - lineinfile: { path: "{{ w }}/f", line: "c=3" }
      register: l1
    - lineinfile: { path: "{{ w }}/f", line: "c=3" }
      register: l2
    - lineinfile: { path: "{{ w }}/f", regexp: "^a=", line: "a=9" }
      register: l3
    - lineinfile: { path: "{{ w }}/f", regexp: "^b=", state: absent }
      register: l4
    - lineinfile: { path: "{{ w }}/f", regexp: "^b=", state: absent }
      register: l5
    - lineinfile: { path: "{{ w }}/new", line: "x", create: true }
      register: l6
    - lineinfile: { path: "{{ w }}/f", line: "c=3", mode: '0600' }
      register: l7
    - lineinfile: { path: "{{ w }}/f", line: "d=4", backup: true }
      register: l8
    - lineinfile: { path: "{{ w }}/nope", line: "x" }
      register: l9
      ignore_errors: true
    - lineinfile: { path: "{{ w }}/f", regexp: "", line: "last" }
      register: l10
    - blockinfile: { path: "{{ w }}/f", block: "x\\ny" }
      register: b1
    - blockinfile: { path: "{{ w }}/f", block: "x\\ny" }
      register: b2
    - blockinfile: { path: "{{ w }}/f", block: "x\\nz" }
      register: b3
    - blockinfile: { path: "{{ w }}/f", state: absent }
      register: b4
    - blockinfile: { path: "{{ w }}/b2", block: "q", create: true }
      register: b5
    - blockinfile: { path: "{{ w }}/nope", block: "q" }
      register: b6
      ignore_errors: true
    - blockinfile: { path: "{{ w }}/f", block: "x", mode: '0644' }
      register: b7
    - blockinfile: { path: "{{ w }}/nope", state: absent }
      register: b8
      ignore_errors: true
    - blockinfile: { path: "{{ w }}/nope", state: absent, create: true }
      register: b9
`));

test('stat (the whole RETURN list: times, mimetype, charset, attributes...), slurp', () =>
  sameResults('stat', ['s1', 's2', 's3', 's4', 's5', 's6', 'sl'], `
    - copy: { content: "hello\\n", dest: "{{ w }}/f", mode: '0640' }
    - file: { path: "{{ w }}/l", src: f, state: link }
    - stat: { path: "{{ w }}/f" }
      register: s1
    - stat: { path: "{{ w }}/l" }
      register: s2
    - stat: { path: "{{ w }}/l", follow: true, checksum_algorithm: sha256 }
      register: s3
    - stat: { path: "{{ w }}" }
      register: s4
    - stat: { path: "{{ w }}/nope" }
      register: s5
    - stat: { path: "{{ w }}/f", get_checksum: false, get_mime: false, get_attributes: false }
      register: s6
    - slurp: { src: "{{ w }}/f" }
      register: sl
`));

test('wait_for (path information, timeout texts), pause, ping, set_fact, fetch, known_hosts', () =>
  sameResults('misc', ['w1', 'w2', 'w3', 'w4', 'w5', 'p1', 'pg', 'sf', 'f1', 'f2', 'f3', 'k1', 'k2', 'k3', 'k4'], `
    - copy: { content: "ready now\\n", dest: "{{ w }}/f" }
    - wait_for: { path: "{{ w }}/f", search_regex: "(?P<word>re\\\\w+)" }
      register: w1
    - wait_for: { path: "{{ w }}/nope", timeout: 1 }
      register: w2
      ignore_errors: true
    - wait_for: { port: 1, host: 127.0.0.1, timeout: 1 }
      register: w3
      ignore_errors: true
    - wait_for: { path: "{{ w }}/nope", state: absent }
      register: w4
    - wait_for: { timeout: 0 }
      register: w5
    - pause: { seconds: 1 }
      register: p1
    - ping:
      register: pg
    - set_fact: { a: 1, b: x }
      register: sf
    - fetch: { src: "{{ w }}/f", dest: "{{ w }}/fetched", flat: true }
      register: f1
    - fetch: { src: "{{ w }}/f", dest: "{{ w }}/fetched", flat: true }
      register: f2
    - fetch: { src: "{{ w }}/nope", dest: "{{ w }}/fetched", flat: true, fail_on_missing: false }
      register: f3
    - known_hosts: { path: "{{ w }}/kh", name: example.org, key: "example.org ${KEY}" }
      register: k1
    - known_hosts: { path: "{{ w }}/kh", name: example.org, key: "example.org ${KEY}" }
      register: k2
    - known_hosts: { path: "{{ w }}/kh", name: example.org, key: "example.org ${KEY}" }
      check_mode: true
      register: k3
    - known_hosts: { path: "{{ w }}/kh", name: example.org, state: absent }
      register: k4
`));

test.run();
