import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendKnownHost, checkHostKey, hostFieldMatches, hostLookupName, keyTypeOfBlob, knownHostsLine,
  knownKeyTypes, parseKnownHosts, readKnownHostsFiles,
} from '../../src/transport/knownhosts.js';

const dir = mkdtempSync(join(tmpdir(), 'kvplay-kh-'));
/** A real ed25519 public key: [type, base64]. */
function newKey(): [string, string] {
  const f = join(dir, `k${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  const [t, b] = readFileSync(f + '.pub', 'utf8').trim().split(/\s+/);
  return [t, b];
}
const [T, K1] = newKey();
const [, K2] = newKey();
const [, K3] = newKey();

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('parse: comments, blank lines, comma lists, markers, malformed lines', () => {
  const e = parseKnownHosts([
    '# comment',
    '',
    `web1,10.0.0.5 ${T} ${K1} root@web1`,
    `[db]:2222 ${T} ${K2}`,
    `@revoked * ${T} ${K3}`,
    `@cert-authority *.example ${T} ${K3}`,
    'garbage line',
    `@weird host ${T} ${K1}`,
  ].join('\n'), 'kh');
  assert.is(e.length, 4);
  assert.equal(e[0], { hosts: 'web1,10.0.0.5', keyType: T, key: K1, file: 'kh', line: 3 });
  assert.is(e[2].marker, 'revoked');
  assert.is(e[3].marker, 'cert-authority');
});

test('host matching: plain, [host]:port, wildcard, negation, case', () => {
  assert.is(hostLookupName('h', 22), 'h');
  assert.is(hostLookupName('h', 2222), '[h]:2222');
  assert.ok(hostFieldMatches('web1,10.0.0.5', '10.0.0.5', 22));
  assert.not.ok(hostFieldMatches('web1', 'web1', 2222), 'non-22 port needs [host]:port');
  assert.ok(hostFieldMatches('[web1]:2222', 'web1', 2222));
  assert.not.ok(hostFieldMatches('[web1]:2222', 'web1', 22));
  assert.ok(hostFieldMatches('*.lab', 'kvm1.lab', 22));
  assert.ok(hostFieldMatches('WEB?', 'web1', 22));
  assert.not.ok(hostFieldMatches('*.lab,!kvm2.lab', 'kvm2.lab', 22));
  assert.ok(hostFieldMatches('*.lab,!kvm2.lab', 'kvm1.lab', 22));
  assert.not.ok(hostFieldMatches('web1.example', 'web1xexample', 22), 'dot is literal');
});

test('hashed entries written by ssh-keygen -H are matched (port 22 and non-22)', () => {
  const f = join(dir, 'hashed');
  writeFileSync(f, `web1 ${T} ${K1}\n[127.0.0.1]:2200 ${T} ${K2}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
  const e = parseKnownHosts(readFileSync(f, 'utf8'));
  assert.ok(e.every((x) => x.hosts.startsWith('|1|')), 'file is hashed');
  assert.is(checkHostKey(e, 'web1', 22, T, K1).status, 'ok');
  assert.is(checkHostKey(e, '127.0.0.1', 2200, T, K2).status, 'ok');
  assert.is(checkHostKey(e, '127.0.0.1', 2200, T, K1).status, 'changed');
  assert.is(checkHostKey(e, 'web2', 22, T, K1).status, 'unknown');
  assert.is(checkHostKey(e, 'web1', 2200, T, K1).status, 'unknown');
});

test('checkHostKey verdicts: ok, unknown, changed, other-type, revoked', () => {
  const e = parseKnownHosts(`web1 ${T} ${K1}\nold ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ==\n@revoked * ${T} ${K3}\n`, 'f');
  assert.is(checkHostKey(e, 'web1', 22, T, K1).status, 'ok');
  assert.is(checkHostKey(e, 'nope', 22, T, K1).status, 'unknown');
  const ch = checkHostKey(e, 'web1', 22, T, K2);
  assert.is(ch.status, 'changed');
  if (ch.status === 'changed') assert.is(ch.entry.line, 1);
  const ot = checkHostKey(e, 'old', 22, T, K2);
  assert.is(ot.status, 'other-type');
  if (ot.status === 'other-type') assert.equal(ot.knownTypes, ['ssh-rsa']);
  assert.is(checkHostKey(e, 'anything', 22, T, K3).status, 'revoked');
  assert.equal(knownKeyTypes(e, 'old', 22), ['ssh-rsa']);
});

test('a second matching line with the right key wins over a stale one', () => {
  const e = parseKnownHosts(`h ${T} ${K2}\nh ${T} ${K1}\n`);
  assert.is(checkHostKey(e, 'h', 22, T, K1).status, 'ok');
});

test('keyTypeOfBlob reads the type from the wire blob', () => {
  assert.is(keyTypeOfBlob(Buffer.from(K1, 'base64')), 'ssh-ed25519');
  assert.is(keyTypeOfBlob(Buffer.from([0, 0])), '');
});

test('knownHostsLine and appendKnownHost (adds a newline to an unterminated file)', () => {
  assert.is(knownHostsLine('h', 22, T, K1), `h ${T} ${K1}\n`);
  assert.is(knownHostsLine('127.0.0.1', 2222, T, K1), `[127.0.0.1]:2222 ${T} ${K1}\n`);
  const f = join(dir, 'sub', 'known_hosts');
  appendKnownHost(f, 'a', 22, T, K1);
  writeFileSync(f, readFileSync(f, 'utf8') + `# no newline at end`);
  appendKnownHost(f, 'b', 2222, T, K2);
  assert.is(readFileSync(f, 'utf8'), `a ${T} ${K1}\n# no newline at end\n[b]:2222 ${T} ${K2}\n`);
  const e = readKnownHostsFiles([f, join(dir, 'missing'), '/dev/null']);
  assert.is(e.length, 2);
  assert.is(checkHostKey(e, 'b', 2222, T, K2).status, 'ok');
});

test.run();
