/**
 * The lab's local apt repository: the full dependency closure of REPO_PACKAGES, downloaded on the
 * machine with a private apt state (empty dpkg status, the machine's bookworm sources), indexed
 * with dpkg-scanpackages, served read-only to the hosts as their only apt source.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_NAME, REPO_PACKAGES, SUITE, cacheDir, hashOf, paths } from './config.js';
import { machineSources } from './image.js';
import { LabError, run, runOk } from './sys.js';

/** The extra packages recorded by the last `--packages` (kept for later ups until changed). */
export function extraPackages(): string[] {
  try {
    return readFileSync(paths.repoExtras(), 'utf8').split('\n').filter((n) => PKG_NAME.test(n));
  } catch {
    return [];
  }
}

/** Record the extra packages; the repository is rebuilt at the next build only when the set changed. */
export function setExtraPackages(names: string[]): void {
  mkdirSync(cacheDir(), { recursive: true });
  writeFileSync(paths.repoExtras() + '.tmp', names.map((n) => n + '\n').join(''));
  renameSync(paths.repoExtras() + '.tmp', paths.repoExtras());
}

/** Every package of the repository (with its dependencies): kvplay's set and the user's extras. */
export function repoPackages(): string[] {
  return [...new Set([...REPO_PACKAGES, ...extraPackages()])];
}

export function repoKey(): string {
  const extra = extraPackages();
  // without extras the key is the one of the fixed set (a cached repository stays valid)
  return extra.length ? hashOf(2, SUITE, [...REPO_PACKAGES].sort(), extra) : hashOf(2, SUITE, [...REPO_PACKAGES].sort());
}

export function repoCached(): boolean {
  try {
    return existsSync(join(paths.repo(), 'Packages')) && readFileSync(paths.repoKey(), 'utf8').trim() === repoKey();
  } catch {
    return false;
  }
}

function machineArch(): Promise<string> {
  return runOk('dpkg', ['--print-architecture']).then((s) => s.trim());
}

/** apt-get options that confine apt to a private state under `work`. */
function aptOpts(work: string, arch: string): string[] {
  const o = (k: string, v: string) => ['-o', `${k}=${v}`];
  return [
    ...o('Dir::Etc::SourceList', join(work, 'sources.list')),
    ...o('Dir::Etc::SourceParts', join(work, 'empty.d')),
    ...o('Dir::Etc::Preferences', join(work, 'preferences')),
    ...o('Dir::Etc::PreferencesParts', join(work, 'empty.d')),
    ...o('Dir::State', join(work, 'state')),
    ...o('Dir::State::Lists', join(work, 'state', 'lists')),
    ...o('Dir::State::status', join(work, 'status')),
    ...o('Dir::Cache', join(work, 'cache')),
    ...o('Dir::Cache::archives', join(work, 'archives')),
    ...o('APT::Architecture', arch),
    ...o('APT::Architectures', arch),
    ...o('APT::Install-Recommends', 'false'),
    ...o('APT::Get::List-Cleanup', 'false'),
    ...o('Acquire::Languages', 'none'),
    ...o('Debug::NoLocking', 'true'),
  ];
}

/** Build the repository unless the cached one matches the package list. Returns true when it built. */
export async function buildRepo(log: (s: string) => void = () => {}): Promise<boolean> {
  if (repoCached()) return false;
  const arch = await machineArch();
  const work = join(cacheDir(), 'repo-work');
  for (const d of ['empty.d', 'state/lists/partial', 'cache', 'archives/partial']) mkdirSync(join(work, d), { recursive: true });
  writeFileSync(join(work, 'sources.list'), machineSources().join('\n') + '\n');
  writeFileSync(join(work, 'preferences'), '');
  writeFileSync(join(work, 'status'), '');
  const opts = aptOpts(work, arch);
  const pkgs = repoPackages();
  const extra = extraPackages();
  log(`building the local apt repository (${pkgs.length} packages + dependencies${extra.length ? `; yours: ${extra.join(' ')}` : ''}) ...`);
  await runOk('apt-get', [...opts, '-q', 'update']);
  const dl = ['-q', '-y', '--download-only', 'install', ...pkgs];
  const r = await run('apt-get', [...opts, ...dl]);
  if (r.code !== 0) {
    // the whole set may not be co-installable: resolve each package on its own
    log('  resolving the packages one by one');
    for (const p of pkgs) {
      const one = await run('apt-get', [...opts, '-q', '-y', '--download-only', 'install', p]);
      if (one.code !== 0) throw new LabError(`apt-get cannot download ${p}${extra.includes(p) ? ' (one of --packages)' : ''}: ${one.stderr.trim().split('\n').pop() ?? ''}`, extra.includes(p) ? 'check the name (apt-cache policy NAME on this machine); kvplay lab up --packages none drops your extras' : undefined);
    }
  }
  const tmp = paths.repo() + '.tmp';
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let n = 0;
  for (const f of readdirSync(join(work, 'archives'))) {
    if (!f.endsWith('.deb')) continue;
    try {
      linkSync(join(work, 'archives', f), join(tmp, f)); // same file system: no second copy
    } catch {
      copyFileSync(join(work, 'archives', f), join(tmp, f));
    }
    n++;
  }
  if (!n) throw new LabError('the local repository would be empty (apt-get downloaded nothing)');
  const pk = await runOk('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: tmp });
  writeFileSync(join(tmp, 'Packages'), pk);
  writeRelease(tmp);
  rmSync(paths.repoKey(), { force: true });
  rmSync(paths.repo(), { recursive: true, force: true });
  renameSync(tmp, paths.repo());
  writeFileSync(paths.repoKey(), repoKey() + '\n');
  // keep the downloaded .debs: a changed package list only fetches the difference
  log(`  ${n} packages, ${Math.round(dirSize(paths.repo()) / 1e6)} MB`);
  return true;
}

function writeRelease(dir: string): void {
  const files = ['Packages'];
  const lines = [
    'Origin: kvplay',
    'Label: kvplay lab repository',
    `Date: ${new Date().toUTCString()}`,
    'SHA256:',
  ];
  for (const f of files) {
    const b = readFileSync(join(dir, f));
    lines.push(` ${createHash('sha256').update(b).digest('hex')} ${b.length} ${f}`);
  }
  writeFileSync(join(dir, 'Release'), lines.join('\n') + '\n');
}

function dirSize(dir: string): number {
  let s = 0;
  for (const f of readdirSync(dir)) s += statSync(join(dir, f)).size;
  return s;
}
