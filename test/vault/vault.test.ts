/**
 * Vault decryption (src/vault/) against envelopes made by Ansible's own ansible-vault in the test:
 * 1.1 and 1.2 (labelled) envelopes, whole files, wrong passwords, tampering; the YAML `!vault`
 * tag and vault files through the loader; password files and scripts as Ansible reads them.
 */
import { test as plainTest } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptVault, parseEnvelope, DECRYPTION_FAILED } from '../../src/vault/decrypt.js';
import { VaultKeyring, loadVaultSecrets, readPasswordSource, VaultSourceError } from '../../src/vault/secrets.js';
import { parseYaml } from '../../src/yaml/load.js';
import { setYamlVault } from '../../src/vault/loader.js';
import { InputErrors } from '../../src/util/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { requires } from '../harness/gate.js';
import { ansible } from '../harness/ansible.js';

const test = requires({ tools: ['ansible-vault'] });

let dir: string;
const PW = 'correct horse battery staple';
const pwFile = () => join(dir, 'pw');
const secret = (password: string, id = 'default') => ({ id, password: Buffer.from(password) });

const setup = () => {
  dir = mkdtempSync(join(tmpdir(), 'kvvault'));
  writeFileSync(join(dir, 'pw'), PW + '\n');
  writeFileSync(join(dir, 'pw2'), 'second-password\n');
};
const teardown = () => {
  setYamlVault(undefined);
  rmSync(dir, { recursive: true, force: true });
};
test.before(setup);
test.after(teardown);

/** ansible-vault encrypt_string PLAINTEXT, the envelope only (the `!vault |` block, unindented). */
function encryptString(plain: string, vaultId = `default@${pwFile()}`): string {
  const r = ansible('ansible-vault', ['encrypt_string', '--vault-id', vaultId, '--encrypt-vault-id', vaultId.split('@')[0], '--stdin-name', 'v'], dir, {}, plain);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean).join('\n') + '\n';
}

test('1.1 envelopes from ansible-vault encrypt_string decrypt to the exact plaintext', () => {
  for (const plain of ['hello world', 'exactly16bytes!!', 'ünïcødé ✓ and "quotes"', 'two\nlines\n', '0123456789abcdef0123456789abcdef']) {
    const env = encryptString(plain);
    assert.match(env, /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    assert.is(decryptVault(env, [secret(PW)]).toString('utf8'), plain);
  }
});

test('a wrong password: Ansible\'s "Decryption failed" (and a tampered ciphertext fails the HMAC the same way)', () => {
  const env = encryptString('s3cret');
  assert.throws(() => decryptVault(env, [secret('wrong')]), (e: Error) => e.message === DECRYPTION_FAILED);
  assert.throws(() => decryptVault(env, []), (e: Error) => e.message === DECRYPTION_FAILED);
  const p = parseEnvelope(env);
  p.ciphertext[0] ^= 1;
  const body = Buffer.from([p.salt.toString('hex'), p.hmac.toString('hex'), p.ciphertext.toString('hex')].join('\n')).toString('hex');
  assert.throws(() => decryptVault(`$ANSIBLE_VAULT;1.1;AES256\n${body}\n`, [secret(PW)]), (e: Error) => e.message === DECRYPTION_FAILED);
});

test('1.2 envelopes carry the vault-id label; any secret that opens it works (ids need not match, as in Ansible)', () => {
  const env = encryptString('labelled', `lab@${join(dir, 'pw2')}`);
  assert.match(env, /^\$ANSIBLE_VAULT;1\.2;AES256;lab\n/);
  assert.is(parseEnvelope(env).label, 'lab');
  assert.is(decryptVault(env, [secret(PW), secret('second-password', 'lab')]).toString(), 'labelled');
  assert.is(decryptVault(env, [secret('second-password', 'other')]).toString(), 'labelled', 'ids need not match (DEFAULT_VAULT_ID_MATCH false)');
  assert.throws(() => decryptVault(env, [secret(PW, 'lab')]), (e: Error) => e.message === DECRYPTION_FAILED);
});

test('a whole file encrypted by ansible-vault encrypt (vars or inventory) reads through the loader; its values become secrets', () => {
  const f = join(dir, 'vars.yml');
  writeFileSync(f, 'db_password: hunter2-xyz\nport: 5432\nnested:\n  token: tok-abc\n');
  const r = ansible('ansible-vault', ['encrypt', '--vault-password-file', pwFile(), f], dir);
  assert.is(r.code, 0, r.stderr);
  const text = readFileSync(f, 'utf8');
  assert.match(text, /^\$ANSIBLE_VAULT;1\.1;AES256/);
  const revealed: string[] = [];
  setYamlVault(new VaultKeyring([secret(PW)], (v) => revealed.push(v)));
  assert.equal(JSON.parse(JSON.stringify(parseYaml(text, f))), { db_password: 'hunter2-xyz', port: 5432, nested: { token: 'tok-abc' } });
  assert.ok(revealed.includes('hunter2-xyz') && revealed.includes('tok-abc'), revealed.join(','));
  // an encrypted INI inventory reads as Ansible's ini plugin reads it (through the loader's vault)
  const ini = join(dir, 'hosts.ini');
  writeFileSync(ini, '[web]\nw1 ansible_port=2201\n');
  assert.is(ansible('ansible-vault', ['encrypt', '--vault-password-file', pwFile(), ini], dir).code, 0);
  assert.equal(loadInventory(ini).match('web'), ['w1']);
  assert.is(loadInventory(ini).hostVars('w1').ansible_port, 2201);
  setYamlVault(undefined);
  assert.throws(() => parseYaml(text, f), (e: InputErrors) => e.errors[0].message === 'Attempting to decrypt but no vault secrets found' && e.errors[0].loc?.file === f && e.errors[0].loc?.line === 1);
  assert.throws(() => loadInventory(ini), (e: InputErrors) => e.errors[0].message === 'Attempting to decrypt but no vault secrets found' && e.errors[0].loc?.file === ini);
});

test('!vault values in YAML: decrypted at load with file:line on failure, never used as ciphertext', () => {
  const env = encryptString('inline-secret');
  const yaml = `plain: 1\npw: !vault |\n${env.split('\n').filter(Boolean).map((l) => '  ' + l).join('\n')}\n`;
  const revealed: string[] = [];
  setYamlVault(new VaultKeyring([secret(PW)], (v) => revealed.push(v)));
  assert.equal(JSON.parse(JSON.stringify(parseYaml(yaml, 'v.yml'))), { plain: 1, pw: 'inline-secret' });
  assert.equal(revealed, ['inline-secret']);
  setYamlVault(new VaultKeyring([secret('nope')]));
  assert.throws(() => parseYaml(yaml, 'v.yml'), (e: InputErrors) => e.errors[0].message === DECRYPTION_FAILED && e.errors[0].loc?.line === 2 && /vault-password-file/.test(e.errors[0].hint!));
  setYamlVault(undefined);
  assert.throws(() => parseYaml(yaml, 'v.yml'), (e: InputErrors) => e.errors[0].message === 'Attempting to decrypt but no vault secrets found' && e.errors[0].loc?.line === 2 && /--vault-password-file/.test(e.errors[0].hint!));
});

test('password sources as Ansible reads them: files stripped, scripts run, -client scripts get --vault-id; ansible-vault agrees', async () => {
  const padded = join(dir, 'padded');
  writeFileSync(padded, `  ${PW}  \n\n`);
  assert.is(readPasswordSource(padded, 'default').toString(), PW);
  const script = join(dir, 'pass.sh');
  writeFileSync(script, `#!/bin/sh\necho '${PW}'\n`);
  chmodSync(script, 0o755);
  assert.is(readPasswordSource(script, 'default').toString(), PW);
  const client = join(dir, 'keyring-client.sh');
  writeFileSync(client, `#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = lab ] && echo second-password && exit 0\nexit 2\n`);
  chmodSync(client, 0o755);
  assert.is(readPasswordSource(client, 'lab').toString(), 'second-password');
  const failing = join(dir, 'fail.sh');
  writeFileSync(failing, '#!/bin/sh\nexit 3\n');
  chmodSync(failing, 0o755);
  assert.throws(() => readPasswordSource(failing, 'default'), (e: Error) => e instanceof VaultSourceError && /returned non-zero \(3\)/.test(e.message));
  assert.throws(() => readPasswordSource(join(dir, 'missing'), 'default'), (e: Error) => /The vault password file .*missing was not found/.test(e.message));
  // the same sources open the same envelopes for ansible-vault
  const env = encryptString('via-script');
  writeFileSync(join(dir, 'env.txt'), env);
  for (const src of [padded, script]) {
    const r = ansible('ansible-vault', ['view', '--vault-password-file', src, join(dir, 'env.txt')], dir, { PAGER: 'cat' });
    assert.is(r.stdout.replace(/\n$/, ''), 'via-script', r.stderr); // view ends its output with a newline
    assert.is(decryptVault(env, [secret(readPasswordSource(src, 'default').toString())]).toString(), 'via-script');
  }
  // order: --vault-id values, then password files, then the --ask-vault-pass prompt
  const asked: string[] = [];
  const list = await loadVaultSecrets({ vaultIds: [`lab@${client}`, `prompt`], passwordFiles: [padded], askVaultPass: true }, async (p) => (asked.push(p), 'typed'));
  assert.equal(list.map((s) => `${s.id}=${s.password}`), ['lab=second-password', 'default=typed', `default=${PW}`, 'default=typed']);
  assert.equal(asked, ['Vault password (default): ', 'Vault password: ']);
});

// needs no ansible-vault: uvu's plain `test` (the same suite the gate registers into)
plainTest('no vault password given: a !vault value is an error naming file:line, not ciphertext used as the value', () => {
  setYamlVault(undefined);
  for (const tag of ['!vault', '!vault-encrypted']) {
    const yaml = `a: 1\nb: ${tag} |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n`;
    assert.throws(() => parseYaml(yaml, 'inline.yml'), (e: InputErrors) => e.errors[0].message === 'Attempting to decrypt but no vault secrets found' && e.errors[0].loc?.file === 'inline.yml' && e.errors[0].loc?.line === 2 && e.errors[0].loc?.col === 4);
  }
});

test.run();
