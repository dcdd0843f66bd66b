import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editAuthorizedKeys, wantedKeys, planAuthorizedKey } from '../../../src/modules/authorized_key.js';
import { editKnownHosts, keyOf } from '../../../src/modules/known_hosts.js';
import { planKeypair } from '../../../src/modules/ssh_keypair.js';
import { editSysctl } from '../../../src/modules/sysctl.js';
import { hashHost, hostFieldMatches, parsePubKey } from '../../../src/modules/lib/sshfiles.js';
import { parseUserFile } from '../../../src/facts/sshfiles.js';
import { converge, rmDir, run, tempDir } from '../helpers.js';
import { pctx } from './helpers.js';
import { sectionsOutput } from '../../harness/sections.js';
import { requires } from '../../harness/gate.js';

/** Files owned by root: elsewhere reported as skipped with the reason. */
const rootTest = requires({ root: true });

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICi6qKBI8FDVNdfbxNHbowpOv7WMWbi0jpLg3TGAddg7 root@kvm1';
const K2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2dIWshv9R8kWV+T34bY11rAjV0if9iYs/3h0+0hc4t root@kvm2';
const HK = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2dIWshv9R8kWV+T34bY11rAjV0if9iYs/3h0+0hc4X root@nfs';

test('public keys parse with options and comments', () => {
  assert.equal(parsePubKey(K1), { type: 'ssh-ed25519', blob: K1.split(' ')[1], comment: 'root@kvm1' });
  assert.equal(parsePubKey(`from="10.0.0.0/8,192.0.2.1",no-pty ${K2}`)?.options, 'from="10.0.0.0/8,192.0.2.1",no-pty');
  assert.is(parsePubKey('hello world'), undefined);
  assert.throws(() => wantedKeys('not a key'), /not an OpenSSH public key/);
});

test('authorized_keys: added once, matched by blob (comment ignored), options enforced, absent', () => {
  const a = editAuthorizedKeys('# mine\n', wantedKeys(`${K1}\n${K2}`), 'present');
  assert.is(a.text, `# mine\n${K1}\n${K2}\n`);
  assert.is(editAuthorizedKeys(a.text.replace('root@kvm1', 'other comment'), wantedKeys(K1), 'present').msg, '');
  const o = editAuthorizedKeys(a.text, wantedKeys(K1), 'present', { key_options: 'no-pty' });
  assert.match(o.text, `no-pty ${K1}\n`);
  assert.is(editAuthorizedKeys(a.text, wantedKeys(K2), 'absent').text, `# mine\n${K1}\n`);
});

test('authorized_key plan: empty key predicted in check mode (earlier task did not run), error otherwise', () => {
  const f = parseUserFile(sectionsOutput({ pw: 'root:x:0:0:root:/root:/bin/bash', path: '/root/.ssh/authorized_keys', dir: '', stat: '', content: '' }));
  assert.is(planAuthorizedKey({ user: 'root', key: '' }, f, pctx({ check: true })).kind, 'change');
  assert.throws(() => planAuthorizedKey({ user: 'root', key: '' }, f, pctx()), /key is empty/);
  const p = planAuthorizedKey({ user: 'root', key: K1 }, f, pctx());
  assert.ok(p.kind === 'change' && p.steps[0].cmd.startsWith('mkdir -p -m 700 -- /root/.ssh && chown 0:0'));
  assert.ok(p.kind === 'change' && /chmod 0600 "\$t"/.test(p.steps[1].cmd));
  assert.throws(() => planAuthorizedKey({ user: 'root', key: K1, exclusive: true }, f, pctx()), /exclusive/);
});

test('known_hosts: plain and hashed entries are found; a changed key of the same type is replaced', () => {
  const salt = Buffer.alloc(20, 7);
  const h = hashHost('kvm2', salt);
  assert.ok(hostFieldMatches(h, 'kvm2'));
  assert.not.ok(hostFieldMatches(h, 'kvm1'));
  assert.ok(hostFieldMatches('kvm1,10.0.0.2', '10.0.0.2'));
  const k = keyOf('nfs', HK);
  const a = editKnownHosts('', 'nfs', k, 'present', false);
  assert.is(a.text, `nfs ${k.type} ${k.blob}\n`);
  assert.is(editKnownHosts(a.text, 'nfs', k, 'present', false).msg, 'nfs: key present');
  const hashed = editKnownHosts('', 'kvm2', keyOf('kvm2', K2), 'present', true, salt);
  assert.is(hashed.text, `${h} ssh-ed25519 ${K2.split(' ')[1]}\n`);
  assert.is(editKnownHosts(hashed.text, 'kvm2', keyOf('kvm2', K2), 'present', false).msg, 'kvm2: key present');
  const changed = editKnownHosts(a.text, 'nfs', keyOf('nfs', K1), 'present', false);
  assert.is(changed.msg, 'nfs: ssh-ed25519 key replaced (it changed)');
  assert.is(changed.text, `nfs ssh-ed25519 ${K1.split(' ')[1]}\n`);
  assert.is(editKnownHosts(a.text, 'nfs', undefined, 'absent', false).text, '');
  assert.equal(keyOf('nfs', `nfs,10.0.0.4 ${HK}`).blob, k.blob);
  assert.throws(() => keyOf('kvm1', `nfs ${HK}`), /names nfs, not kvm1/);
});

test('ssh_keypair plan: generate when absent, ok when present, public key re-derived', () => {
  const key = parseUserFile(sectionsOutput({ pw: 'root:x:0:0:root:/root:/bin/bash', path: '/root/.ssh/id_ed25519', dir: '', stat: '' }));
  const pub = parseUserFile(sectionsOutput({ pw: 'root:x:0:0:root:/root:/bin/bash', path: '/root/.ssh/id_ed25519.pub', dir: '', stat: '', content: '' }));
  const gen = planKeypair({ user: 'root' }, { key, pub }, pctx());
  assert.ok(gen.kind === 'change' && /ssh-keygen -q -t ed25519 -N '' -C "root@\$\(hostname\)" -f \/root\/.ssh\/id_ed25519/.test(gen.steps[1].cmd));
  const st = '81a4:0:0:411:1:1:1:1:root:root';
  const have = { key: parseUserFile(sectionsOutput({ pw: 'root:x:0:0:root:/root:/bin/bash', path: '/root/.ssh/id_ed25519', dir: '41c0:0:0:1:1:1:1:1:root:root', stat: st })), pub: parseUserFile(sectionsOutput({ pw: 'root:x:0:0::/root:/bin/sh', path: '/root/.ssh/id_ed25519.pub', stat: st, content: Buffer.from(K1 + '\n').toString('base64') })) };
  const ok = planKeypair({ user: 'root' }, have, pctx());
  assert.is(ok.kind, 'ok');
  // as community.crypto.openssh_keypair: public_key without the comment, which is its own key; fingerprint, size
  assert.is(ok.result?.public_key, K1.replace(/ root@kvm1$/, ''));
  assert.is(ok.result?.comment, 'root@kvm1');
  assert.is(ok.result?.size, 256);
  assert.match(String(ok.result?.fingerprint), /^SHA256:[A-Za-z0-9+/]{43}$/);
  const noPub = { key: have.key, pub: { ...have.pub, st: undefined, content: undefined } };
  assert.ok(planKeypair({ user: 'root' }, noPub as any, pctx()).reason.includes('re-derived'));
  assert.throws(() => planKeypair({ user: 'root', type: 'rsa' }, have, pctx()), /not rsa/);
});

test('sysctl file edit', () => {
  assert.equal(editSysctl('# c\nnet.ipv4.ip_forward=0\n', 'net/ipv4/ip_forward', '1', 'present'), { text: '# c\nnet.ipv4.ip_forward = 1\n', msg: 'net.ipv4.ip_forward: set to 1' });
  assert.is(editSysctl('net.ipv4.ip_forward = 1\n', 'net.ipv4.ip_forward', '1', 'present').msg, 'net.ipv4.ip_forward: 1');
  assert.is(editSysctl('a = 1\nnet.ipv4.ip_forward = 1\n', 'net.ipv4.ip_forward', undefined, 'absent').text, 'a = 1\n');
});

rootTest('modules on real files (as root): keypair, authorized_key, known_hosts, sysctl converge', async () => {
  const dir = tempDir();
  try {
    const r = await converge('ssh_keypair', { user: 'root', path: join(dir, 'id_ed25519'), comment: 'test' }, dir);
    assert.match(String(r.data.public_key), /^ssh-ed25519 AAAA\S+$/);
  assert.is(r.data.comment, 'test');
    assert.is(statSync(join(dir, 'id_ed25519')).mode & 0o777, 0o600);
    const again = await run('ssh_keypair', { user: 'root', path: join(dir, 'id_ed25519') });
    assert.is(again.data.public_key, r.data.public_key);
    const ak = join(dir, 'ssh', 'authorized_keys');
    await converge('authorized_key', { user: 'root', key: `${K1}\n${K2}`, path: ak }, dir);
    assert.is(statSync(ak).mode & 0o777, 0o600);
    assert.is(statSync(join(dir, 'ssh')).mode & 0o777, 0o700);
    await converge('ansible.posix.authorized_key', { user: 'root', key: K1, path: ak, state: 'absent' }, dir);
    assert.is(readFileSync(ak, 'utf8'), `${K2}\n`);
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, '# known\n');
    await converge('known_hosts', { name: 'nfs', key: HK, path: kh, user: 'root' }, dir);
    await converge('known_hosts', { name: 'kvm2', key: K2, path: kh, user: 'root', hash_host: true }, dir);
    const text = readFileSync(kh, 'utf8');
    assert.match(text, /^# known\nnfs ssh-ed25519 \S+\n\|1\|\S+\|\S+ ssh-ed25519 \S+\n$/);
    const sc = join(dir, 'sysctl.conf');
    await converge('sysctl', { name: 'net.ipv4.ip_forward', value: 1, sysctl_file: sc, reload: false }, dir);
    assert.is(readFileSync(sc, 'utf8'), 'net.ipv4.ip_forward = 1\n');
  } finally {
    rmDir(dir);
  }
});

test.run();
