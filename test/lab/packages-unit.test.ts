// `kvplay lab up --packages a,b`: the extra packages of the lab's local apt repository, the pure
// parts (no root, no containers): the option, the recorded set, the repository key (a rebuild only
// when the set changes), python3-apt in kvplay's own set (Ansible's apt module needs it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scratch = mkdtempSync(join(tmpdir(), 'kvplay-pkgs-'));
process.env.KVPLAY_CACHE_DIR = join(scratch, 'cache');
process.env.KVPLAY_LAB_DIR = join(scratch, 'lab');

const { REPO_PACKAGES } = await import('../../src/lab/config.js');
const { parseLabArgs } = await import('../../src/lab/labargs.js');
const { extraPackages, repoKey, repoPackages, setExtraPackages } = await import('../../src/lab/repo.js');

test('python3-apt is in the repository by default', () => {
  assert.ok(REPO_PACKAGES.includes('python3-apt'));
  assert.ok(repoPackages().includes('python3-apt'));
});

test('--packages: up, reset and build take it; names checked; none clears; other commands refuse it', () => {
  assert.equal(parseLabArgs('up', ['--packages', 'git,ntpsec']).packages, ['git', 'ntpsec']);
  assert.equal(parseLabArgs('up', ['--packages=ntpsec,git,git']).packages, ['git', 'ntpsec']);
  assert.equal(parseLabArgs('reset', ['--packages', 'none']).packages, []);
  assert.equal(parseLabArgs('build', ['--packages', 'libc6-dev,g++']).packages, ['g++', 'libc6-dev']);
  assert.is(parseLabArgs('up', []).packages, undefined);
  assert.throws(() => parseLabArgs('up', ['--packages', 'git,../etc']), /"\.\.\/etc" is not a Debian package name/);
  assert.throws(() => parseLabArgs('up', ['--packages', 'Git']), /not a Debian package name/);
  assert.throws(() => parseLabArgs('up', ['--packages', ',']), /needs package names/);
  assert.throws(() => parseLabArgs('down', ['--packages', 'git']), /unknown option --packages/);
});

test('the recorded set is in the repository and its key: the same set keeps the key, another set changes it', () => {
  const base = repoKey();
  assert.equal(extraPackages(), []);
  setExtraPackages(['git', 'ntpsec']);
  assert.equal(extraPackages(), ['git', 'ntpsec']);
  assert.ok(repoPackages().includes('git') && repoPackages().includes('nfs-common'));
  const withGit = repoKey();
  assert.is.not(withGit, base);
  setExtraPackages(['git', 'ntpsec']);
  assert.is(repoKey(), withGit, 'the same set: no rebuild');
  setExtraPackages(['git']);
  assert.is.not(repoKey(), withGit);
  setExtraPackages([]);
  assert.is(repoKey(), base, 'no extras: the key of kvplay\'s own set');
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));
test.run();
