/**
 * Issue 11: the modules an Ansible playbook uses, under their Ansible names and parameters. The
 * same playbook runs under ansible-playbook and kvplay on a real sshd host (this machine: only
 * throwaway names are touched, never the machine's hostname, timezone or packages); the exit code,
 * the PLAY RECAP and the files the playbook writes (registered results dumped with to_json) agree.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { hostname } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
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

async function same(name: string, playbook: string, args: string[] = []): Promise<void> {
  const { ansible, kvplay } = await both(h, name, playbook, args);
  assert.is(ansible.code, 0, `ansible-playbook failed:\n${ansible.out}`);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP differs\n--- kvplay\n${kvplay.out}\n--- ansible\n${ansible.out}`);
  assert.is(kvplay.code, ansible.code);
  assert.equal(kvplay.files, ansible.files);
}

test('include_vars: a file, the free form, name, a directory, a failure ignored; precedence over play vars', async () => {
  mkdirSync(join(h.dir, 'vars', 'conf', 'sub'), { recursive: true });
  writeFileSync(join(h.dir, 'vars', 'common.yml'), 'color: blue\nsize: 3\nnested: {a: 1}\nderived: "{{ size * 2 }}"\n');
  writeFileSync(join(h.dir, 'vars', 'conf', '10-a.yml'), 'a: 1\nshared: from-a\n');
  writeFileSync(join(h.dir, 'vars', 'conf', '20-b.json'), '{"b": 2, "shared": "from-b"}');
  writeFileSync(join(h.dir, 'vars', 'conf', 'sub', 'c.yml'), 'c: 3\n');
  writeFileSync(join(h.dir, 'vars', 'conf', 'notes.txt'), 'not vars\n');
  await same('include_vars', `
- hosts: web
  gather_facts: false
  vars: {color: red}
  tasks:
    - include_vars: common.yml
    - copy: { content: "{{ [color, size, nested] | to_json }} {{ derived }}", dest: "{{ out }}/file" }
    - include_vars: { file: common.yml, name: cfg }
      register: r
    - copy: { content: "{{ cfg.nested | to_json }} {{ r.ansible_included_var_files | map('basename') | list | to_json }}", dest: "{{ out }}/name" }
    - include_vars: { dir: vars/conf, ignore_unknown_extensions: true }
      register: d
    - copy: { content: "{{ [a, b, c, shared] | to_json }} {{ d.ansible_included_var_files | map('basename') | list | to_json }}", dest: "{{ out }}/dir" }
    - include_vars: { dir: vars/conf, depth: 1, files_matching: '^1', name: only }
    - copy: { content: "{{ only | to_json }}", dest: "{{ out }}/depth" }
    - include_vars: { dir: vars/conf }
      register: bad
      ignore_errors: true
    - copy: { content: "{{ bad.failed }} {{ bad.message | basename }}", dest: "{{ out }}/bad" }
    - include_vars: "{{ item }}"
      with_items: [common.yml]
    - include_vars: missing.yml
      ignore_errors: true
`);
});

test('systemd: is-enabled, a unit that does not exist, masked, daemon_reload alone (check mode); nothing changes', () =>
  same('systemd', `
- hosts: web
  gather_facts: false
  tasks:
    - systemd: name=ssh enabled=true
      register: a
    - ansible.builtin.systemd_service: { name: kvplay-test-no-such-unit, enabled: true }
      register: b
      ignore_errors: true
    - systemd: { name: ssh, masked: false }
      register: c
    - systemd: { daemon_reload: true }
      check_mode: true
      register: d
    - copy:
        content: "{{ [a.changed, a.enabled, a.name, b.failed, b.msg, c.changed, d.changed, d.name] | to_json }}"
        dest: "{{ out }}/systemd"
`));

test('replace: regexp with backrefs, after/before, no match, a missing file; the edited file is the same', () =>
  same('replace', `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { dest: "{{ out }}/conf", content: "Listen 80\\n# c\\nListen 8080\\n<V>\\nPort 80\\n</V>\\nPort 80\\n" }
    - replace: { path: "{{ out }}/conf", regexp: '^Listen (\\d+)$', replace: 'Listen 127.0.0.1:\\1' }
      register: a
    - replace: { path: "{{ out }}/conf", regexp: 'Port 80', replace: 'Port 90', after: '<V>', before: '</V>' }
      register: b
    - ansible.builtin.replace: { dest: "{{ out }}/conf", regexp: 'nomatch' }
      register: c
    - replace: { path: "{{ out }}/nope", regexp: 'x' }
      register: d
      ignore_errors: true
    - replace: { path: "{{ out }}/conf", regexp: 'x', after: 'NOPE' }
      register: e
    - copy:
        dest: "{{ out }}/r"
        content: "{{ [a.changed, a.msg, a.rc, b.msg, c.changed, c.msg, d.failed, d.msg | replace(out, 'OUT'), e.changed, e.msg] | to_json }}"
`));

test('service_facts, package_facts (apt), setup gather_subset/filter: the facts in Ansible\'s shapes', () =>
  same('facts', `
- hosts: web
  gather_facts: false
  tasks:
    - service_facts:
      register: s
    - package_facts: { manager: auto }
    - setup: { gather_subset: ['!all'], filter: [ansible_distribution, ansible_pkg_mgr, ansible_os_family] }
      register: st
    - copy: { dest: "{{ out }}/services", content: "{{ ansible_facts.services | to_json(sort_keys=true) }} {{ s.ansible_facts.services | length }}" }
    - copy: { dest: "{{ out }}/packages", content: "{{ [ansible_facts.packages.bash, ansible_facts.packages.zip, ansible_facts.packages | length] | to_json }}" }
    - copy: { dest: "{{ out }}/setup", content: "{{ st.ansible_facts | to_json(sort_keys=true) }} {{ ansible_facts.pkg_mgr }} {{ ansible_os_family }}" }
`));

test('add_host and group_by: later plays see the new hosts and groups, their vars; changed is whether the inventory changed', () =>
  same('dynhosts', `
- hosts: web
  gather_facts: false
  tasks:
    - add_host: { name: extra1, groups: [dyn, dyn2], myvar: 5 }
      register: a
    - add_host: { name: extra1, groups: dyn }
      register: a2
    - add_host: name=extra2 groups=dyn myvar=6
    - group_by: { key: "kv {{ inventory_hostname }}", parents: [parents1] }
      register: g
    - group_by: { key: "kv {{ inventory_hostname }}", parents: [parents1] }
      register: g2
    - add_host: { name: "{{ item }}", groups: looped }
      loop: [l1, l2]
      register: al
- hosts: dyn:&dyn2
  gather_facts: false
  tasks:
    - copy:
        dest: "{{ out }}/{{ inventory_hostname }}"
        content: "{{ [inventory_hostname, myvar, group_names, groups.dyn, groups['kv-host1'], groups.parents1, groups.looped] | to_json }}"
- hosts: kv-host1
  gather_facts: false
  tasks:
    - copy:
        dest: "{{ out }}/grouped"
        content: "{{ group_names | to_json }} {{ [a.changed, a.add_host, a2.changed, g.changed, g.add_group, g.parent_groups, g2.changed, al.results | map(attribute='changed') | list] | to_json }} {{ hostvars.extra2.myvar }}"
`));

test('find: os.walk order, names with a newline, hidden, depth, patterns/excludes, regex, file_type, size, contains, checksums', async () => {
  const t = join(h.dir, 'tree');
  mkdirSync(join(t, 'sub', 'deep', 'deeper'), { recursive: true });
  mkdirSync(join(t, '.hid'), { recursive: true });
  writeFileSync(join(t, 'a.conf'), 'key = 1\nother\n');
  writeFileSync(join(t, 'b.log'), 'x'.repeat(3000));
  writeFileSync(join(t, 'new\nline.conf'), 'key = 2\n');
  writeFileSync(join(t, '.hidden.conf'), 'h\n');
  writeFileSync(join(t, 'sub', 'c.conf'), 'nokey\n');
  writeFileSync(join(t, 'sub', 'deep', 'd.conf'), 'key\n');
  writeFileSync(join(t, 'sub', 'deep', 'deeper', 'e.conf'), '');
  writeFileSync(join(t, '.hid', 'f.conf'), '');
  execSync(`ln -sfn sub ${join(t, 'link')}; ln -sfn a.conf ${join(t, 'alink.conf')}`);
  const keys = "['path', 'mode', 'isdir', 'isreg', 'islnk', 'size', 'uid', 'gr_name', 'pw_name', 'mtime', 'inode', 'nlink', 'xusr', 'checksum']";
  await same('find', `
- hosts: web
  gather_facts: false
  vars: { t: ${t} }
  tasks:
    - find: { paths: "{{ t }}" }
      register: r1
    - find: { paths: "{{ t }}", recurse: true, hidden: true, file_type: any }
      register: r2
    - find: { paths: ["{{ t }}", "{{ t }}/nope"], recurse: true, depth: 2, patterns: ['*.conf'], excludes: 'c*' }
      register: r3
    - find: { paths: "{{ t }}", recurse: true, patterns: '^[a-d]\\.', use_regex: true, contains: '^key', get_checksum: true }
      register: r4
    - find: { paths: "{{ t }}", size: 2k, file_type: file }
      register: r5
    - find: { paths: "{{ t }}", file_type: link, follow: true, recurse: true }
      register: r6
    - copy:
        dest: "{{ out }}/find"
        content: |
          {% for r in [r1, r2, r3, r4, r5, r6] %}
          {{ [r.matched, r.examined, r.msg, r.skipped_paths, r.changed] | to_json }}
          {% for f in r.files %}{{ f | dict2items | selectattr('key', 'in', ${keys}) | items2dict | to_json(sort_keys=true) }}
          {% endfor %}
          {% endfor %}
`);
});

test('hostname (check mode: the machine keeps its name) and tempfile', () => {
  mkdirSync(join(h.dir, 'tmpf'), { recursive: true });
  return same('hostname', `
- hosts: web
  gather_facts: false
  tasks:
    - hostname: { name: ${hostname()} }
      register: h1
      check_mode: true
    - hostname: { name: kvplay-test-name.example }
      register: h2
      check_mode: true
    - tempfile: { path: ${join(h.dir, 'tmpf')}, suffix: .x }
      register: t1
    - tempfile: { path: ${join(h.dir, 'tmpf')}, state: directory }
      register: t2
      check_mode: true
    - copy:
        dest: "{{ out }}/r"
        content: "{{ [h1.changed, h1.name, h1.ansible_facts, h2.changed, h2.ansible_facts, t1.changed, t1.path | basename | regex_replace('\\\\.[A-Za-z0-9_]{8}\\\\.', '.R.'), t2.skipped | default(false)] | to_json }}"
`);
});

/** A small HTTP server on 127.0.0.1 for uri/get_url (no Date header, connections closed: both clients see the same headers). */
async function httpServer(): Promise<{ port: number; close(): Promise<void> }> {
  const modified = new Date('2024-01-02T03:04:05Z');
  const srv = createServer((req, res) => {
    res.sendDate = false;
    res.setHeader('Connection', 'close');
    const send = (code: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const since = req.headers['if-modified-since'];
      if (req.url === '/data.json') return send(200, 'application/json', '{"a": 1, "b": [true, null]}');
      if (req.url === '/f.txt') {
        if (since && new Date(since) >= modified) return send(304, 'text/plain', '');
        return send(200, 'text/plain', 'hello\n', { 'Last-Modified': modified.toUTCString(), 'Set-Cookie': 'sid=abc; Path=/' });
      }
      if (req.url === '/echo') return send(200, 'application/json', JSON.stringify({ method: req.method, type: req.headers['content-type'], x: req.headers['x-kv'], body: Buffer.concat(chunks).toString() }));
      if (req.url === '/redirect') return send(302, 'text/plain', '', { Location: '/data.json' });
      return send(404, 'text/html', 'not here\n');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

test('uri and get_url against a local HTTP server: status, headers, json, content, redirects, failures; download, 304, checksum, directory dest', async () => {
  const s = await httpServer();
  const u = `http://127.0.0.1:${s.port}`;
  try {
    await same('http', `
- hosts: web
  gather_facts: false
  tasks:
    - uri: url=${u}/data.json
      register: r1
    - uri: { url: "${u}/nope", status_code: [200, 404], return_content: true }
      register: r2
    - uri: { url: "${u}/nope" }
      register: r3
      ignore_errors: true
    - uri: { url: "${u}/echo", method: POST, body: { a: 1, b: [x, y] }, body_format: json, headers: { X-Kv: "v 1" }, return_content: true }
      register: r4
    - uri: { url: "${u}/echo", method: PUT, body: { a: "1 2", b: "&" }, body_format: form-urlencoded }
      register: r5
    - uri: { url: "${u}/redirect" }
      register: r6
    - uri: { url: "http://127.0.0.1:1/" }
      register: r7
      ignore_errors: true
    - get_url: { url: "${u}/f.txt", dest: "{{ out }}/f.txt", mode: "0640" }
      register: g1
    - get_url: { url: "${u}/f.txt", dest: "{{ out }}/f.txt" }
      register: g2
    - get_url: { url: "${u}/f.txt", dest: "{{ out }}/f.txt", checksum: "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" }
      register: g3
    - file: { path: "{{ out }}-d", state: directory }
    - get_url: { url: "${u}/f.txt", dest: "{{ out }}-d" }
      register: g4
    - get_url: { url: "${u}/nope", dest: "{{ out }}/nope" }
      register: g5
      ignore_errors: true
    - get_url: { url: "${u}/f.txt", dest: "{{ out }}/bad", checksum: "sha1:0000000000000000000000000000000000000000" }
      register: g6
      ignore_errors: true
    - copy:
        dest: "{{ out }}/results"
        content: |
          {% for r in [r1, r2, r3, r4, r5, r6, r7] %}
          {{ r | dict2items | rejectattr('key', 'in', ['elapsed', 'invocation', 'failed', 'changed']) | items2dict | to_json(sort_keys=true) }} {{ r.changed }}
          {% endfor %}
          {% for g in [g1, g2, g3, g4, g5, g6] %}
          {{ g | dict2items | rejectattr('key', 'in', ['elapsed', 'invocation', 'src', 'failed']) | items2dict | to_json(sort_keys=true) | replace(out, 'OUT') }}
          {% endfor %}
`);
  } finally {
    await s.close();
  }
});

test('unarchive: tar.gz and zip from the controller and remote_src, extracted once, list_files, creates, a bad dest', async () => {
  const src = join(h.dir, 'arch');
  mkdirSync(join(src, 'top', 'sub'), { recursive: true });
  writeFileSync(join(src, 'top', 'a.txt'), 'a\n');
  writeFileSync(join(src, 'top', 'sub', 'b.txt'), 'b\n');
  mkdirSync(join(h.dir, 'files'), { recursive: true });
  execSync(`tar -C ${src} -czf ${join(h.dir, 'files', 'a.tar.gz')} top && cd ${src} && zip -qr ${join(h.dir, 'files', 'a.zip')} top && cp ${join(h.dir, 'files', 'a.tar.gz')} ${join(h.dir, 'remote.tgz')}`, { shell: '/bin/sh' });
  await same('unarchive', `
- hosts: web
  gather_facts: false
  tasks:
    - file: { path: "{{ out }}-{{ item }}", state: directory }
      loop: [tar, zip, rem]
    - unarchive: { src: a.tar.gz, dest: "{{ out }}-tar", list_files: true }
      register: u1
    - unarchive: { src: a.tar.gz, dest: "{{ out }}-tar" }
      register: u2
    - unarchive: { src: a.zip, dest: "{{ out }}-zip", list_files: true }
      register: u3
    - unarchive: { src: a.zip, dest: "{{ out }}-zip" }
      register: u4
    - unarchive: { src: ${join(h.dir, 'remote.tgz')}, dest: "{{ out }}-rem", remote_src: true, mode: "u=rwX,g=rX,o=" }
      register: u5
    - unarchive: { src: ${join(h.dir, 'remote.tgz')}, dest: "{{ out }}-rem", remote_src: true, mode: "u=rwX,g=rX,o=" }
      register: u6
    - unarchive: { src: a.tar.gz, dest: "{{ out }}-tar", creates: "{{ out }}-tar/top" }
      register: u7
    - unarchive: { src: a.tar.gz, dest: "{{ out }}-nodir" }
      register: u8
      ignore_errors: true
    - stat: { path: "{{ out }}-rem/top/a.txt" }
      register: st
    - copy:
        dest: "{{ out }}/r"
        content: |
          {% for u in [u1, u2, u3, u4, u5, u6, u7, u8] %}
          {{ [u.changed, u.handler | default(''), u.files | default([]) | sort, u.mode | default(''), u.state | default(''), u.skipped | default(false), u.msg | default('') | replace(out, 'OUT')] | to_json }}
          {% endfor %}
          {{ st.stat.mode }}
`);
});

/** A uid/gid no account or group has (for a throwaway account on this machine). */
function freeId(from: number): number {
  for (let id = from; ; id++) if (!execSync(`getent passwd ${id}; getent group ${id}; true`, { shell: '/bin/sh', encoding: 'utf8' }).trim()) return id;
}

test('user and group: created, as wanted again, changed, appended, locked, removed (throwaway names)', async () => {
  // names of this run only (another run of this suite may be going on on this machine)
  const U = `kvplay-test-ou${process.pid}`;
  const G = `kvplay-test-og${process.pid}`;
  const G2 = `kvplay-test-oh${process.pid}`;
  const id = freeId(47000 + (process.pid % 1000) * 20);
  const home = join(h.dir, 'kvplay-test-home');
  execSync(`userdel -r ${U} 2>/dev/null; groupdel ${G} 2>/dev/null; groupdel ${G2} 2>/dev/null; true`, { shell: '/bin/sh' });
  try {
    await same('user', `
- hosts: web
  gather_facts: false
  tasks:
    - group: { name: ${G}, gid: ${id} }
      register: g1
    - group: { name: ${G}, gid: ${id} }
      register: g2
    - group: { name: ${G2}, system: true }
    - user: { name: ${U}, uid: ${id}, group: ${G}, groups: [${G2}], shell: /bin/sh, comment: "kv test", home: ${home}, password: "$6$kvplay$notarealhash" }
      register: u1
    - user: { name: ${U}, uid: ${id}, group: ${G}, groups: ${G2}, shell: /bin/sh, comment: "kv test", home: ${home}, password: "$6$kvplay$notarealhash" }
      register: u2
    - user: { name: ${U}, shell: /bin/bash, groups: [], password_lock: true }
      register: u3
    - user: { name: ${U}, groups: [${G2}], append: true }
      register: u4
    - user: { name: ${U}, groups: [kvplay-test-nosuch] }
      register: u5
      ignore_errors: true
    - user: { name: ${U}, state: absent, remove: true }
      register: u6
    - user: { name: ${U}, state: absent }
      register: u7
    - group: { name: "{{ item }}", state: absent }
      loop: [${G}, ${G2}]
    - copy:
        dest: "{{ out }}/user"
        content: |
          {{ [g1.changed, g1.gid, g1.name, g1.state, g1.system, g2.changed, g2.gid] | to_json }}
          {{ [u1.changed, u1.uid, u1.group, u1.comment, u1.home, u1.shell, u1.groups, u1.password, u1.system, u1.create_home] | to_json }}
          {{ u2 | dict2items | rejectattr('key', 'in', ['failed', 'msg', 'diff', 'invocation']) | items2dict | to_json(sort_keys=true) }}
          {{ [u3.changed, u3.shell, u3.groups, u4.changed, u5.failed, u5.msg, u6.changed, u6.remove, u6.force, u7.changed] | to_json }}
`);
  } finally {
    execSync(`userdel -r ${U} 2>/dev/null; groupdel ${G} 2>/dev/null; groupdel ${G2} 2>/dev/null; true`, { shell: '/bin/sh' });
  }
});

// Ansible's apt needs python3-apt on the host (in check mode it cannot install it); only check mode: nothing is installed or removed
const aptTest = requires({ sshd: true, tools: ['ansible-playbook'], files: ['/usr/lib/python3/dist-packages/apt/__init__.py'] });
aptTest('apt in check mode against the real dpkg database: installed, missing, unknown, absent, a fresh cache', () =>
  same('apt', `
- hosts: web
  gather_facts: false
  tasks:
    - apt: name=bash
      register: a
    - apt: { name: [bash, hello] }
      register: b
    - apt: name=kvplay-test-no-such-package
      register: c
      ignore_errors: true
    - apt: { name: zip, state: absent }
      register: d
    - apt: { update_cache: true, cache_valid_time: 999999999 }
      register: e
    - apt: { name: bash, update_cache: true }
      register: f
    - copy:
        content: "{{ [a.changed, b.changed, c.failed, c.msg, d.changed, e.changed, e.cache_updated, f.changed, f.cache_updated] | to_json }}"
        dest: "{{ out }}/apt"
      check_mode: false
`, ['--check']));

test.run();
