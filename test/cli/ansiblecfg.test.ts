/**
 * ansible.cfg: which file is read and what its settings are, with `ansible-config dump` as the
 * oracle; the command line wins over it; keys kvplay ignores are named once; bad files and values
 * are errors with file:line.
 */
import { test as plainTest } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnsibleCfg, findAnsibleCfg, type AnsibleSettings, type CfgEnv } from '../../src/cli/ansiblecfg.js';
import { parseCli } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { InputError } from '../../src/util/errors.js';
import { requires } from '../harness/gate.js';

const test = requires({ tools: ['ansible-config'] });

let dir: string;
let home: string;
let cwd: string;
const setup = () => {
  dir = mkdtempSync(join(tmpdir(), 'kvcfg'));
  home = join(dir, 'home');
  cwd = join(dir, 'project');
  mkdirSync(home);
  mkdirSync(cwd);
};
const teardown = () => rmSync(dir, { recursive: true, force: true });
/** For the ungated tests: a directory of their own (the gated tests' one stays theirs). */
function ownDir<T>(fn: () => T | Promise<T>): Promise<T> {
  const saved = [dir, home, cwd];
  setup();
  return Promise.resolve()
    .then(fn)
    .finally(() => {
      teardown();
      [dir, home, cwd] = saved;
    });
}
test.before(setup);
test.after(teardown);

const where = (env: Record<string, string> = {}): CfgEnv => ({ env, cwd, home });

/** What `ansible-config dump --only-changed` reports, as kvplay's settings (+ the file read). */
function oracle(env: Record<string, string> = {}): { file?: string; settings: AnsibleSettings } {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ANSIBLE_')) base[k] = v;
  const r = spawnSync('ansible-config', ['dump', '--only-changed', '--format', 'json'], { cwd, encoding: 'utf8', env: { ...base, HOME: home, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ...env } });
  assert.is(r.status, 0, r.stderr);
  const names: Record<string, keyof AnsibleSettings> = {
    DEFAULT_HOST_LIST: 'inventory',
    DEFAULT_ROLES_PATH: 'rolesPath',
    DEFAULT_FORKS: 'forks',
    DEFAULT_REMOTE_USER: 'remoteUser',
    HOST_KEY_CHECKING: 'hostKeyChecking',
    DEFAULT_PRIVATE_KEY_FILE: 'privateKeyFile',
    DEFAULT_VAULT_PASSWORD_FILE: 'vaultPasswordFile',
    DEFAULT_TIMEOUT: 'timeout',
    DEFAULT_BECOME: 'become',
    DEFAULT_BECOME_USER: 'becomeUser',
    DEFAULT_BECOME_ASK_PASS: 'becomeAskPass',
    DEFAULT_BECOME_METHOD: 'becomeMethod',
  };
  const out: { file?: string; settings: AnsibleSettings } = { settings: {} };
  for (const e of JSON.parse(r.stdout) as Array<{ name: string; value: unknown }>) {
    if (e.name === 'CONFIG_FILE') out.file = (e.value as string | null) ?? undefined;
    else if (names[e.name]) (out.settings as Record<string, unknown>)[names[e.name]] = e.value;
  }
  return out;
}

const CFG = `# kvplay reads these
[defaults]
inventory = hosts.ini, more/hosts
roles_path = roles:~/shared-roles
forks = 7 ; an inline comment
remote_user = deploy
host_key_checking = False
private_key_file = keys/id_ed25519
vault_password_file = ./vault-pass
timeout = 33
gathering = smart
[privilege_escalation]
become = yes
become_user = admin
become_method = sudo
become_ask_pass = false
[ssh_connection]
pipelining = True
`;

test('./ansible.cfg: every setting kvplay uses reads as ansible-config dump reports it (paths relative to the file)', () => {
  writeFileSync(join(cwd, 'ansible.cfg'), CFG);
  const ours = loadAnsibleCfg(where());
  const theirs = oracle();
  assert.is(ours.file, theirs.file);
  assert.equal(ours.settings, theirs.settings);
  assert.equal(ours.ignored, ['defaults.gathering', 'ssh_connection.pipelining']);
  assert.equal(ours.warnings, []);
});

test('lookup order as Ansible: $ANSIBLE_CONFIG (file or directory), ./ansible.cfg, ~/.ansible.cfg; a world-writable cwd is skipped', () => {
  writeFileSync(join(home, '.ansible.cfg'), '[defaults]\nforks = 3\n');
  writeFileSync(join(cwd, 'ansible.cfg'), '[defaults]\nforks = 4\n');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  writeFileSync(join(elsewhere, 'ansible.cfg'), '[defaults]\nforks = 5\n');
  const envs: Record<string, string>[] = [{}, { ANSIBLE_CONFIG: join(elsewhere, 'ansible.cfg') }, { ANSIBLE_CONFIG: elsewhere }, { ANSIBLE_CONFIG: join(dir, 'missing.cfg') }];
  for (const env of envs) {
    const ours = loadAnsibleCfg(where(env));
    const theirs = oracle(env);
    assert.is(ours.file, theirs.file, JSON.stringify(env));
    assert.is(ours.settings.forks, theirs.settings.forks);
  }
  chmodSync(cwd, 0o777);
  try {
    const warnings: string[] = [];
    assert.is(findAnsibleCfg(where(), warnings), oracle().file);
    assert.is(findAnsibleCfg(where(), []), join(home, '.ansible.cfg'));
    assert.match(warnings[0], `Ansible is being run in a world writable directory (${cwd}), ignoring it as an ansible.cfg source.`);
  } finally {
    chmodSync(cwd, 0o755);
    rmSync(join(home, '.ansible.cfg'));
  }
});

test('ANSIBLE_* environment variables win over the file, as in Ansible', () => {
  writeFileSync(join(cwd, 'ansible.cfg'), CFG);
  const env = { ANSIBLE_FORKS: '11', ANSIBLE_REMOTE_USER: 'envuser', ANSIBLE_BECOME: 'false', ANSIBLE_INVENTORY: 'a.ini,b.ini' };
  const ours = loadAnsibleCfg(where(env));
  assert.equal(ours.settings, oracle(env).settings);
  assert.is(ours.settings.forks, 11);
});

plainTest('the command line wins over ansible.cfg; the file fills in what is not given', () => {
  const cfg: AnsibleSettings = { forks: 7, remoteUser: 'deploy', inventory: ['/x/hosts.ini'], become: true, becomeUser: 'admin', privateKeyFile: '/k/id', timeout: 33, vaultPasswordFile: '/v/pw', hostKeyChecking: false, rolesPath: ['/r'] };
  const d = parseCli(['pb.yml'], cfg);
  assert.equal([d.forks, d.user, d.inventory, d.become, d.becomeUser, d.privateKey, d.timeout, d.vaultPasswordFiles, d.acceptNewHostKeys, d.rolesPath], [7, 'deploy', ['/x/hosts.ini'], true, 'admin', '/k/id', 33, ['/v/pw'], true, ['/r']]);
  const f = parseCli(['pb.yml', '-f', '3', '-u', 'me', '-i', 'inv.yml', '--become-user', 'svc', '--private-key', 'mine', '-T', '5', '--vault-password-file', 'cli-pw'], cfg);
  assert.equal([f.forks, f.user, f.inventory, f.becomeUser, f.privateKey, f.timeout], [3, 'me', ['inv.yml'], 'svc', 'mine', 5]);
  assert.equal(f.vaultPasswordFiles, ['cli-pw', '/v/pw'], 'both are tried, the command line first (as Ansible)');
  const none = parseCli(['pb.yml']);
  assert.equal([none.forks, none.user, none.inventory, none.become, none.acceptNewHostKeys], [50, undefined, [], undefined, false], 'no file: kvplay defaults');
});

plainTest('bad files and values: errors at file:line', () =>
  ownDir(() => {
    const cases: Array<[string, number, RegExp]> = [
      ['forks = 5\n', 1, /File contains no section headers/],
      ['[defaults]\nforks = many\n', 2, /forks: "many" is not an integer/],
      ['[defaults]\n\nhost_key_checking = maybe\n', 3, /host_key_checking: "maybe" is not a boolean/],
      ['[defaults]\nforks = 1\nforks = 2\n', 3, /option 'forks' already exists/],
      ['[defaults]\njust a line\n', 2, /parsing errors/],
    ];
    for (const [text, line, re] of cases) {
      writeFileSync(join(cwd, 'ansible.cfg'), text);
      assert.throws(() => loadAnsibleCfg(where()), (e: InputError) => e instanceof InputError && e.loc?.file === join(cwd, 'ansible.cfg') && e.loc.line === line && re.test(e.message) && !!e.hint);
    }
  }),
);

plainTest('the CLI: ansible.cfg inventory is used, ignored keys are named in one stderr line', () => ownDir(async () => {
  const prevCwd = process.cwd();
  const prevEnv = process.env.ANSIBLE_CONFIG;
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  try {
    writeFileSync(join(cwd, 'ansible.cfg'), '[defaults]\ninventory = hosts.ini\ngathering = smart\nnocows = 1\n[ssh_connection]\npipelining = True\n');
    writeFileSync(join(cwd, 'hosts.ini'), '[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n[db]\nd1\n');
    writeFileSync(join(cwd, 'pb.yml'), '- hosts: web\n  gather_facts: false\n  tasks: []\n');
    process.chdir(cwd);
    delete process.env.ANSIBLE_CONFIG;
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    const code = await main(['pb.yml', '--list-hosts']);
    process.stdout.write = ow;
    process.stderr.write = ew;
    assert.is(code, 0, err.join(''));
    assert.match(out.join(''), /w1[\s\S]*w2/);
    assert.not.match(out.join(''), 'd1');
    const lines = err.join('').split('\n').filter((l) => l.includes('ansible.cfg keys'));
    assert.equal(lines, [`kvplay ignores these ansible.cfg keys: defaults.gathering, defaults.nocows, ssh_connection.pipelining (${join(cwd, 'ansible.cfg')})`]);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.chdir(prevCwd);
    if (prevEnv !== undefined) process.env.ANSIBLE_CONFIG = prevEnv;
  }
}));

test.run();
