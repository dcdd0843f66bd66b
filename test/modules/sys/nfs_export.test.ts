import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editExports, parseExports, validateEntry, KNOWN_EXPORT_OPTIONS } from '../../../src/modules/nfs_export/exports.js';
import { editGanesha, findExportBlocks, normBlock, renderExportBlock } from '../../../src/modules/nfs_export/ganesha.js';
import { entryOf } from '../../../src/modules/nfs_export.js';
import { converge, rmDir, run, tempDir, tempLeftovers } from '../helpers.js';

const EXPORTS = `# /etc/exports: the access control list for filesystems which may be exported
#\t\tto NFS clients.  See exports(5).
/srv/a   192.0.2.0/24(ro,sync) \\
         198.51.100.7(rw)
"/srv/with space" *(ro)
/nfsshare *(rw,sync,no_root_squash)
`;

const want = { path: '/nfsshare', clients: [{ host: '10.0.0.2', options: ['rw', 'sync', 'no_root_squash'] }, { host: '10.0.0.3', options: ['rw', 'sync', 'no_root_squash'] }] };

test('parse: comments kept, continuation lines joined, quoted paths', () => {
  const ls = parseExports(EXPORTS);
  assert.is(ls.map((l) => l.raw).join(''), EXPORTS);
  const entries = ls.filter((l) => l.entry).map((l) => l.entry!);
  assert.equal(entries[0], { path: '/srv/a', clients: [{ host: '192.0.2.0/24', options: ['ro', 'sync'] }, { host: '198.51.100.7', options: ['rw'] }] });
  assert.is(entries[1].path, '/srv/with space');
  assert.equal(entries[2].clients, [{ host: '*', options: ['rw', 'sync', 'no_root_squash'] }]);
});

test('present replaces the entry of the path only; the rest stays byte for byte', () => {
  const r = editExports(EXPORTS, want, 'present');
  assert.is(r.msg, '/nfsshare: export updated');
  assert.is(r.text, EXPORTS.replace('/nfsshare *(rw,sync,no_root_squash)', '/nfsshare 10.0.0.2(rw,sync,no_root_squash) 10.0.0.3(rw,sync,no_root_squash)'));
  const again = editExports(r.text, want, 'present');
  assert.is(again.text, r.text);
  assert.is(again.msg, '/nfsshare: exported as wanted');
  // option order and client order do not matter
  const shuffled = { path: '/nfsshare/', clients: [{ host: '10.0.0.3', options: ['no_root_squash', 'rw', 'sync'] }, { host: '10.0.0.2', options: ['sync', 'rw', 'no_root_squash'] }] };
  assert.is(editExports(r.text, shuffled, 'present').text, r.text);
});

test('added to a missing file, removed with absent', () => {
  assert.equal(editExports(null, want, 'present'), { text: '/nfsshare 10.0.0.2(rw,sync,no_root_squash) 10.0.0.3(rw,sync,no_root_squash)\n', msg: '/nfsshare: export added' });
  const r = editExports(EXPORTS, want, 'absent');
  assert.is(r.text, EXPORTS.replace('/nfsshare *(rw,sync,no_root_squash)\n', ''));
  assert.is(editExports(r.text, want, 'absent').msg, '/nfsshare: not exported');
});

test('validation names the offending option (and suggests)', () => {
  assert.throws(() => validateEntry({ path: '/x', clients: [{ host: 'h', options: ['rw', 'no_root_sqush'] }] }), /unknown NFS export option 'no_root_sqush' for client h \(did you mean 'no_root_squash'\?\)/);
  assert.throws(() => validateEntry({ path: '/x', clients: [{ host: 'h', options: ['rw', 'ro'] }] }), /'rw' and 'ro' contradict/);
  assert.throws(() => validateEntry({ path: '/x', clients: [{ host: 'h', options: ['anonuid=abc'] }] }), /invalid value in NFS export option 'anonuid=abc'/);
  assert.throws(() => validateEntry({ path: 'x', clients: [{ host: 'h', options: [] }] }), /must be absolute/);
  assert.throws(() => validateEntry({ path: '/x', clients: [{ host: 'a b', options: [] }] }), /invalid client host/);
  validateEntry({ path: '/x', clients: [{ host: '*', options: ['rw', 'sync', 'fsid=0', 'sec=sys:krb5', 'anonuid=65534', 'no_subtree_check', 'crossmnt'] }] });
  assert.ok(KNOWN_EXPORT_OPTIONS.includes('no_root_squash'));
});

test('clients as plain hosts get the module-level options', () => {
  assert.equal(entryOf({ path: '/nfsshare/', clients: ['10.0.0.2', { host: '10.0.0.3', options: 'ro' }], options: ['rw', 'sync'] }), {
    path: '/nfsshare',
    clients: [{ host: '10.0.0.2', options: ['rw', 'sync'] }, { host: '10.0.0.3', options: ['ro'] }],
  });
});

const GANESHA = `# site config
NFS_CORE_PARAM { MNT_Port = 20048; }
EXPORT {
  Export_Id = 7; Path = /other; Pseudo = /other; Access_Type = RO;
  FSAL { Name = VFS; }
}
EXPORT
{
    Export_Id = 9;
    Path = "/nfsshare";  # a comment with { brace
    FSAL { Name = VFS; }
}
`;

test('ganesha: EXPORT blocks found by Path; options mapped; the rest kept', () => {
  const blocks = findExportBlocks(GANESHA);
  assert.equal(blocks.map((b) => [b.path, b.exportId]), [['/other', 7], ['/nfsshare', 9]]);
  const r = editGanesha(GANESHA, want, 'present');
  assert.is(r.msg, '/nfsshare: EXPORT block updated');
  assert.is(r.exportId, 9);
  assert.ok(r.text!.startsWith('# site config\nNFS_CORE_PARAM { MNT_Port = 20048; }\nEXPORT {\n  Export_Id = 7;'));
  assert.match(r.text!, '    CLIENT {\n        Clients = 10.0.0.2;\n        Access_Type = RW;\n        Squash = No_Root_Squash;\n    }');
  assert.equal(r.ignored, ['sync']);
  assert.is(editGanesha(r.text, want, 'present').msg, '/nfsshare: exported as wanted');
  const gone = editGanesha(r.text, want, 'absent');
  assert.equal(findExportBlocks(gone.text!).map((b) => b.path), ['/other']);
  // a new export gets the next free id
  assert.is(editGanesha(GANESHA.replace(/EXPORT\n\{[\s\S]*$/, ''), want, 'present').exportId, 8);
  assert.is(normBlock('A {x=1;}'), normBlock('a {\n  X = 1 ; # c\n}'));
  assert.match(renderExportBlock({ path: '/p', clients: [{ host: '*', options: ['ro', 'all_squash', 'anonuid=99'] }] }, 1).text, 'Clients = *;\n        Access_Type = RO;\n        Squash = All_Squash;\n        Anonymous_Uid = 99;');
});

test('module on a real file: converge, backup, bad option rejected before the file changes', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'exports');
    writeFileSync(file, EXPORTS);
    const params = { path: '/nfsshare', clients: ['10.0.0.2', '10.0.0.3'], options: ['rw', 'sync', 'no_root_squash'], exports_file: file, backup: true };
    const r = await converge('nfs_export', params, dir);
    assert.ok(String(r.data.backup_file).startsWith(file + '.'));
    assert.match(readFileSync(file, 'utf8'), '/nfsshare 10.0.0.2(rw,sync,no_root_squash) 10.0.0.3(rw,sync,no_root_squash)\n');
    const before = readFileSync(file, 'utf8');
    const bad = await run('nfs_export', { ...params, options: ['rw', 'bogus_opt'] });
    assert.is(bad.status, 'failed');
    assert.match(bad.reason, "unknown NFS export option 'bogus_opt'");
    assert.is(readFileSync(file, 'utf8'), before);
    await converge('nfs_export', { path: '/nfsshare', state: 'absent', exports_file: file }, dir);
    assert.not.match(readFileSync(file, 'utf8'), '/nfsshare');
    await converge('nfs_export', { path: '/nfsshare', clients: ['*'], options: 'ro', backend: 'ganesha', exports_file: join(dir, 'g.conf') }, dir);
    assert.equal(tempLeftovers(dir), []);
  } finally {
    rmDir(dir);
  }
});

test('schema: clients required unless absent; reload adds exportfs -ra', async () => {
  const r = await run('nfs_export', { path: '/x' });
  assert.is(r.status, 'failed');
  assert.match(r.reason, "missing required parameter 'clients'");
  const dir = tempDir();
  try {
    const p = await run('nfs_export', { path: '/x', clients: ['h'], exports_file: join(dir, 'e'), reload: true }, { check: true });
    assert.is(p.status, 'changed');
  } finally {
    rmDir(dir);
  }
});

test.run();
