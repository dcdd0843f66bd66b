/**
 * Vault and ansible.cfg end to end on real sshd hosts, with ansible-playbook as the oracle: an INI
 * inventory, a vault-encrypted group_vars file, a vars file holding a labelled inline `!vault`
 * value, an inline `!vault` play var and a vault-encrypted `-e @file`. Both tools write the
 * decrypted values to a file on each host; the files must be equal. kvplay never prints a
 * decrypted value (plain output and --json). A wrong or missing password: Ansible's message with
 * file:line, and nothing runs.
 */
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startHosts, kvplay, writePlaybook, BIN, type Lab } from './helpers.js';
import { q } from '../../src/util/quote.js';
import { requires } from '../harness/gate.js';
import { ansible } from '../harness/ansible.js';

/** Needs real sshd hosts (root) and ansible-core (the oracle and the encryption). */
const test = requires({ sshd: true, tools: ['ansible-playbook', 'ansible-vault'] });

const SECRETS = { gv: 'gv-Secret-7431', api: 'api-Key-9981', tok: 'play-Token-5512', ex: 'extra-Secret-3307' };
const PW = 'default-vault-pw';
const LAB_PW = 'labelled-vault-pw';

let lab: Lab;
let inv: string;
let pwFile: string;
let labClient: string;

/** ansible-vault encrypt_string, as a YAML `!vault |` block indented by `indent`. */
function vaultString(plain: string, vaultId: string, indent: string): string {
  const r = ansible('ansible-vault', ['encrypt_string', '--vault-id', vaultId, '--encrypt-vault-id', vaultId.split('@')[0], '--stdin-name', 'x'], lab.dir, {}, plain);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  return '!vault |\n' + lines.map((l) => indent + l).join('\n');
}

function encryptFile(path: string, text: string): void {
  writeFileSync(path, text);
  const r = ansible('ansible-vault', ['encrypt', '--vault-password-file', pwFile, path], lab.dir);
  assert.is(r.code, 0, r.stderr);
}

test.before(async () => {
  lab = await startHosts(2);
  const d = lab.dir;
  pwFile = join(d, 'vault-pw');
  writeFileSync(pwFile, PW + '\n');
  labClient = join(d, 'lab-client.sh'); // a vault password client script: answers for --vault-id lab
  writeFileSync(labClient, `#!/bin/sh\n[ "$2" = lab ] && echo '${LAB_PW}' && exit 0\nexit 2\n`);
  chmodSync(labClient, 0o755);
  const s = lab.sshd;
  inv = join(d, 'hosts.ini');
  writeFileSync(
    inv,
    `[web]\n${lab.hosts.map((h) => `${h} work=${lab.work(h)}`).join('\n')}\n\n[all:vars]\nansible_host=127.0.0.1\nansible_port=${s.port}\nansible_user=root\nansible_ssh_private_key_file=${s.clientKey}\nansible_ssh_common_args='-o UserKnownHostsFile=${s.knownHostsFile} -o StrictHostKeyChecking=yes'\n`,
  );
  mkdirSync(join(d, 'group_vars'));
  encryptFile(join(d, 'group_vars', 'web.yml'), `db_password: ${SECRETS.gv}\n`);
  mkdirSync(join(d, 'vars'));
  writeFileSync(join(d, 'vars', 'secrets.yml'), `plain_var: visible\napi_key: ${vaultString(SECRETS.api, `lab@${labClient}`, '  ')}\n`);
  encryptFile(join(d, 'extra.yml'), `extra_secret: ${SECRETS.ex}\n`);
  writePlaybook(
    d,
    'site.yml',
    `- hosts: web
  gather_facts: false
  vars_files: [vars/secrets.yml]
  vars:
    play_token: ${vaultString(SECRETS.tok, `default@${pwFile}`, '      ')}
  tasks:
    - name: write the decrypted values
      copy:
        dest: "{{ work }}/{{ tool }}.txt"
        content: "{{ db_password }}|{{ api_key }}|{{ play_token }}|{{ extra_secret }}|{{ plain_var }}\\n"
    - debug:
        msg: "{{ db_password }} {{ api_key }} {{ play_token }} {{ extra_secret }}"
    - assert:
        that: ["db_password == '${SECRETS.gv}'", "api_key == '${SECRETS.api}'", "play_token == '${SECRETS.tok}'"]
`,
  );
});
test.after(async () => {
  await lab?.stop();
  if (lab) rmSync(lab.dir, { recursive: true, force: true });
});

const vaultArgs = () => ['--vault-password-file', pwFile, '--vault-id', `lab@${labClient}`];
const expected = `${SECRETS.gv}|${SECRETS.api}|${SECRETS.tok}|${SECRETS.ex}|visible\n`;
const leaks = (text: string) => Object.values(SECRETS).filter((v) => text.includes(v));

test('vault files, inline !vault (1.1 and labelled 1.2), -e @vaulted file: the same values as ansible-playbook, never printed', async () => {
  const site = join(lab.dir, 'site.yml');
  const ours = await kvplay([site, '-i', inv, ...vaultArgs(), '-e', '@' + join(lab.dir, 'extra.yml'), '-e', 'tool=kvplay']);
  assert.is(ours.code, 0, ours.stdout + ours.stderr);
  assert.equal(leaks(ours.stdout + ours.stderr), [], 'a decrypted value was printed');
  assert.match(ours.stdout, '********');
  const json = await kvplay([site, '-i', inv, ...vaultArgs(), '-e', '@' + join(lab.dir, 'extra.yml'), '-e', 'tool=kvplay'], { json: true });
  assert.is(json.code, 0, json.stdout);
  assert.equal(leaks(json.stdout + json.stderr), [], 'a decrypted value is in the --json events');
  const theirs = ansible('ansible-playbook', [site, '-i', inv, ...vaultArgs(), '-e', '@' + join(lab.dir, 'extra.yml'), '-e', 'tool=ansible'], lab.dir);
  assert.is(theirs.code, 0, theirs.stdout + theirs.stderr);
  for (const h of lab.hosts) {
    assert.is(readFileSync(join(lab.work(h), 'kvplay.txt'), 'utf8'), expected);
    assert.is(readFileSync(join(lab.work(h), 'kvplay.txt'), 'utf8'), readFileSync(join(lab.work(h), 'ansible.txt'), 'utf8'));
  }
});

test('a wrong vault password: "Decryption failed" at file:line as Ansible says it, and nothing runs', async () => {
  const wrong = join(lab.dir, 'wrong-pw');
  writeFileSync(wrong, 'not-the-password\n');
  const site = join(lab.dir, 'site.yml');
  const r = await kvplay([site, '-i', inv, '--vault-password-file', wrong, '-e', 'tool=wrong'], { json: true });
  assert.is(r.code, 1, r.stdout);
  const errors = r.events.filter((e) => e.kind === 'error');
  assert.ok(errors.length >= 1, r.stdout + r.stderr);
  // the playbook is read first: its inline value (the `!vault` tag on line 5) is the first that fails
  assert.is(errors[0].msg, 'Decryption failed (no vault secrets were found that could decrypt)');
  assert.is(errors[0].loc, `${site}:5:17`);
  assert.match(errors[0].hint, '--vault-password-file');
  assert.not.ok(r.events.some((e) => e.kind === 'task_start' || e.kind === 'play_start'), 'something ran');
  for (const h of lab.hosts) assert.not.ok(existsSync(join(lab.work(h), 'wrong.txt')));
  const theirs = ansible('ansible-playbook', [site, '-i', inv, '--vault-password-file', wrong, '-e', 'tool=wrong'], lab.dir);
  assert.not.equal(theirs.code, 0);
  assert.match(theirs.stdout + theirs.stderr, 'Decryption failed (no vault secrets were found that could decrypt)');
});

test('!vault with no vault password given: an error naming file:line with the hint, nothing runs', async () => {
  const d = join(lab.dir, 'nopw');
  mkdirSync(d, { recursive: true });
  const pb = writePlaybook(d, 'pb.yml', `- hosts: web\n  gather_facts: false\n  vars:\n    token: ${vaultString(SECRETS.tok, `default@${pwFile}`, '      ')}\n  tasks:\n    - copy: { dest: "{{ work }}/nopw.txt", content: "{{ token }}" }\n`);
  const r = await kvplay([pb, '-i', inv], { json: true });
  assert.is(r.code, 1, r.stdout);
  const e = r.events.find((x) => x.kind === 'error');
  assert.is(e?.msg, 'Attempting to decrypt but no vault secrets found');
  assert.is(e?.loc, `${pb}:4:12`);
  assert.match(e?.hint, /--vault-password-file FILE, --vault-id \[LABEL@\]FILE or --ask-vault-pass/);
  for (const h of lab.hosts) assert.not.ok(existsSync(join(lab.work(h), 'nopw.txt')));
  // Ansible fails the same way, but only once a task uses the value (kvplay: before anything runs)
  const theirs = ansible('ansible-playbook', [pb, '-i', inv], lab.dir);
  assert.not.equal(theirs.code, 0);
  assert.match(theirs.stdout + theirs.stderr, 'Attempting to decrypt but no vault secrets found');
});

test('ansible.cfg: inventory, private_key_file, vault_password_file (a script), remote_user and become from the file, as ansible-playbook reads it', async () => {
  const d = join(lab.dir, 'cfgproject');
  mkdirSync(join(d, 'group_vars'), { recursive: true });
  const script = join(d, 'vault-pass.sh');
  writeFileSync(script, `#!/bin/sh\necho '${PW}'\n`);
  chmodSync(script, 0o755);
  writeFileSync(
    join(d, 'hosts'),
    `[web]\n${lab.hosts.map((h) => `${h} work=${lab.work(h)}`).join('\n')}\n[web:vars]\nansible_host=127.0.0.1\nansible_port=${lab.sshd.port}\nansible_ssh_common_args=-o UserKnownHostsFile=${lab.sshd.knownHostsFile}\n`,
  );
  encryptFile(join(d, 'group_vars', 'web.yml'), `db_password: ${SECRETS.gv}\n`);
  writeFileSync(
    join(d, 'ansible.cfg'),
    `[defaults]\ninventory = hosts\nremote_user = root\nprivate_key_file = ${lab.sshd.clientKey}\nvault_password_file = vault-pass.sh\nforks = 2\nretry_files_enabled = False\n[privilege_escalation]\nbecome = True\nbecome_user = root\n`,
  );
  const pb = writePlaybook(d, 'pb.yml', `- hosts: web\n  gather_facts: false\n  tasks:\n    - command: id -un\n      register: who\n      changed_when: false\n    - copy: { dest: "{{ work }}/{{ tool }}.txt", content: "{{ db_password }} {{ who.stdout }}\\n" }\n`);
  const ours = await kvplay([pb, '-e', 'tool=cfg-kvplay'], { cwd: d, env: { ANSIBLE_CONFIG: '' } });
  assert.is(ours.code, 0, ours.stdout + ours.stderr);
  assert.equal(ours.stderr.split('\n').filter((l) => l.includes('ansible.cfg keys')), [`kvplay ignores these ansible.cfg keys: defaults.retry_files_enabled (${join(d, 'ansible.cfg')})`]);
  assert.equal(leaks(ours.stdout), []);
  const theirs = ansible('ansible-playbook', [pb, '-e', 'tool=cfg-ansible'], d, { ANSIBLE_CONFIG: join(d, 'ansible.cfg') });
  assert.is(theirs.code, 0, theirs.stdout + theirs.stderr);
  for (const h of lab.hosts) {
    assert.is(readFileSync(join(lab.work(h), 'cfg-kvplay.txt'), 'utf8'), `${SECRETS.gv} root\n`);
    assert.is(readFileSync(join(lab.work(h), 'cfg-kvplay.txt'), 'utf8'), readFileSync(join(lab.work(h), 'cfg-ansible.txt'), 'utf8'));
  }
});

test('a vault-encrypted copy src and lookup("file") are decrypted, as ansible-playbook does', async () => {
  const d = join(lab.dir, 'files-project');
  mkdirSync(join(d, 'files'), { recursive: true });
  encryptFile(join(d, 'files', 'cert.txt'), `-----BEGIN-----\n${SECRETS.api}\n-----END-----\n`);
  const pb = writePlaybook(
    d,
    'pb.yml',
    `- hosts: web\n  gather_facts: false\n  tasks:\n    - copy: { src: cert.txt, dest: "{{ work }}/{{ tool }}-copy.txt" }\n    - copy: { content: "{{ lookup('file', playbook_dir + '/files/cert.txt') }}", dest: "{{ work }}/{{ tool }}-lookup.txt" }\n`,
  );
  const ours = await kvplay([pb, '-i', inv, '--vault-password-file', pwFile, '-e', 'tool=kv', '--diff']);
  assert.is(ours.code, 0, ours.stdout + ours.stderr);
  assert.equal(leaks(ours.stdout + ours.stderr), [], 'a decrypted value was printed');
  const theirs = ansible('ansible-playbook', [pb, '-i', inv, '--vault-password-file', pwFile, '-e', 'tool=ans'], lab.dir);
  assert.is(theirs.code, 0, theirs.stdout + theirs.stderr);
  for (const h of lab.hosts) {
    for (const kind of ['copy', 'lookup']) {
      const mine = readFileSync(join(lab.work(h), `kv-${kind}.txt`), 'utf8');
      assert.match(mine, SECRETS.api);
      assert.is(mine, readFileSync(join(lab.work(h), `ans-${kind}.txt`), 'utf8'), kind);
    }
  }
});

/** --ask-vault-pass needs a real terminal: script(1) gives kvplay a pty. */
const ttyTest = requires({ sshd: true, tools: ['ansible-playbook', 'ansible-vault', 'script'] });

ttyTest('--ask-vault-pass asks "Vault password: " on the terminal; the password is not echoed and opens the vault', async () => {
  const d = join(lab.dir, 'tty');
  mkdirSync(d, { recursive: true });
  const pb = writePlaybook(d, 'pb.yml', `- hosts: web\n  gather_facts: false\n  vars:\n    token: ${vaultString(SECRETS.tok, `default@${pwFile}`, '      ')}\n  tasks:\n    - copy: { dest: "{{ work }}/tty.txt", content: "{{ token }}" }\n`);
  const cmd = [process.execPath, BIN, pb, '-i', inv, '--ask-vault-pass'].map(q).join(' ');
  const out = await new Promise<{ code: number; text: string }>((res) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    let sent = false;
    const onData = (b: Buffer) => {
      text += b;
      if (!sent && text.includes('Vault password: ')) {
        sent = true;
        child.stdin.write(PW + '\r');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, text });
    });
  });
  assert.is(out.code, 0, out.text);
  assert.not.ok(out.text.includes(PW), 'the vault password was echoed');
  assert.not.ok(out.text.includes(SECRETS.tok), 'the decrypted value was printed');
  for (const h of lab.hosts) assert.is(readFileSync(join(lab.work(h), 'tty.txt'), 'utf8'), SECRETS.tok);
});

test.run();
