/** createTransport / becomeFor: Ansible connection variables -> transport options. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { becomeFor, createTransport, parseJump, parseSshArgs } from '../../src/transport/index.js';
import { shlexSplit as shellWords } from '../../src/util/shlex.js';
import { LocalTransport } from '../../src/transport/local.js';
import { SshTransport } from '../../src/transport/ssh.js';

const opts = (t: unknown) => {
  assert.instance(t, SshTransport);
  return (t as SshTransport).options;
};

test('defaults: ssh to the inventory name, port 22, current user, ~/.ssh/known_hosts', () => {
  const o = opts(createTransport('web1', {}));
  assert.equal(o, {
    name: 'web1', host: 'web1', port: 22, user: userInfo().username,
    knownHostsFiles: [join(homedir(), '.ssh', 'known_hosts')], acceptNewHostKeys: false,
  });
});

test('an empty knownHostsFiles option falls back to ~/.ssh/known_hosts', () => {
  assert.equal(opts(createTransport('w', {}, { knownHostsFiles: [] })).knownHostsFiles, [join(homedir(), '.ssh', 'known_hosts')]);
});

test('ansible_connection: local', () => {
  assert.instance(createTransport('l', { ansible_connection: 'local' }), LocalTransport);
  assert.throws(() => createTransport('w', { ansible_connection: 'winrm' }), /not supported/);
});

test('host, port (string), user, key, password, extra known_hosts', () => {
  const o = opts(createTransport('kvm1', {
    ansible_host: '10.1.1.1', ansible_port: '2222', ansible_user: 'admin',
    ansible_ssh_private_key_file: '~/.ssh/lab', ansible_ssh_pass: 'pw',
    kvplay_known_hosts_file: '/lab/known_hosts',
  }, { knownHostsFiles: ['/a/kh'], acceptNewHostKeys: true, connectTimeoutMs: 3000 }));
  assert.equal(o, {
    name: 'kvm1', host: '10.1.1.1', port: 2222, user: 'admin', privateKeyPath: join(homedir(), '.ssh/lab'),
    password: 'pw', knownHostsFiles: ['/a/kh', '/lab/known_hosts'], acceptNewHostKeys: true, connectTimeoutMs: 3000,
  });
  assert.is(opts(createTransport('x', { ansible_password: 'p1', ansible_ssh_pass: 'p2' })).password, 'p1');
  assert.throws(() => createTransport('x', { ansible_port: 'abc' }), /bad ansible_port/);
});

test('ansible_ssh_common_args: ProxyJump, UserKnownHostsFile, StrictHostKeyChecking', () => {
  const o = opts(createTransport('t', {
    ansible_user: 'ops',
    ansible_ssh_common_args: `-o ProxyJump=jumper@bastion:2200 -o 'UserKnownHostsFile=/x/kh /y/kh' -oStrictHostKeyChecking=accept-new`,
  }, { knownHostsFiles: ['/default/kh'] }));
  assert.equal(o.jump, { host: 'bastion', port: 2200, user: 'jumper' });
  assert.equal(o.knownHostsFiles, ['/x/kh', '/y/kh'], 'UserKnownHostsFile replaces the default list');
  assert.is(o.acceptNewHostKeys, true);
  const o2 = opts(createTransport('t', { ansible_user: 'ops', ansible_ssh_common_args: '-J bastion -o StrictHostKeyChecking=yes' }));
  assert.equal(o2.jump, { host: 'bastion', port: 22, user: 'ops' }, 'jump user defaults to ansible_user');
  assert.is(o2.acceptNewHostKeys, false);
  assert.is(opts(createTransport('t', { ansible_ssh_common_args: '-o StrictHostKeyChecking=no' })).acceptNewHostKeys, true);
  assert.is(opts(createTransport('t', { ansible_ssh_common_args: '-o ProxyJump=none' })).jump, undefined);
});

test('parse helpers', () => {
  assert.equal(shellWords(`a 'b c' "d \\"e\\"" f\\ g ''`), ['a', 'b c', 'd "e"', 'f g', '']);
  assert.equal(parseJump('u@h:1'), { host: 'h', port: 1, user: 'u' });
  assert.equal(parseJump('[::1]:2022'), { host: '::1', port: 2022 });
  assert.equal(parseJump('a@b,c@d'), { host: 'b', port: 22, user: 'a' });
  assert.equal(parseSshArgs('-o ControlMaster=auto -o ControlPersist=60s'), {});
  assert.equal(parseSshArgs('-o "ProxyJump root@j"'), { jump: { host: 'j', port: 22, user: 'root' } });
});

test('becomeFor: host vars, task override, password sources', () => {
  const prev = process.env.KVPLAY_BECOME_PASSWORD;
  process.env.KVPLAY_BECOME_PASSWORD = 'fromenv';
  try {
    assert.is(becomeFor({}), null);
    assert.equal(becomeFor({ ansible_become: true }), { user: 'root' });
    assert.equal(becomeFor({ ansible_become: 'yes', ansible_become_user: 'pg', ansible_become_pass: 'x' }), { user: 'pg', password: 'x' });
    assert.equal(becomeFor({ ansible_become_password: 'a', ansible_become_pass: 'b' }, { become: true }), { user: 'root', password: 'a' });
    assert.is(becomeFor({ ansible_become: true }, { become: false }), null, 'task keyword wins');
    assert.equal(becomeFor({ ansible_become_user: 'pg' }, { become: true, become_user: 'www' }), { user: 'www' });
    assert.equal(becomeFor({ ansible_become: 'False' }, {}), null);
    // the environment is the CLI's to read (src/cli/main.ts): the transport never looks at it
    assert.equal(becomeFor({}, { become: true }), { user: 'root' });
    assert.equal(becomeFor({ ansible_become_method: 'su' }, { become: true }), { user: 'root', method: 'su' });
    assert.throws(() => becomeFor({ ansible_become_method: 'doas' }, { become: true }), /Invalid become method specified: 'doas'/);
  } finally {
    if (prev === undefined) delete process.env.KVPLAY_BECOME_PASSWORD;
    else process.env.KVPLAY_BECOME_PASSWORD = prev;
  }
});

test.run();
