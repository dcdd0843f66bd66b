/** The base image: a Debian tree built once with mmdebstrap, cached as .tar.zst, unpacked once. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_DISABLED_UNITS, IMAGE_PACKAGES, SUITE, cacheDir, hashOf, paths } from './config.js';
import { LabError, runOk } from './sys.js';

export interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
}

/** Parse one-line `deb [opts] URI SUITE COMP...` entries (a sources.list file). */
export function parseListFile(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m || m[1] !== 'deb') continue;
    const opts = Object.fromEntries(
      (m[2] ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=') as [string, string]),
    );
    out.push({ uris: [m[3]], suites: [m[4]], components: m[5].split(/\s+/).filter(Boolean), signedBy: opts['signed-by'] });
  }
  return out;
}

/** Parse deb822 `.sources` stanzas. */
export function parseSourcesFile(text: string): AptSource[] {
  const out: AptSource[] = [];
  const stanzas = text.split(/\n\s*\n/);
  for (const st of stanzas) {
    const f: Record<string, string> = {};
    let last = '';
    for (const raw of st.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        f[last] += '\n' + raw.trim();
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (m) f[(last = m[1].toLowerCase())] = m[2];
    }
    if (!f.types || !f.uris || !f.suites) continue;
    if ((f.enabled ?? 'yes').toLowerCase() === 'no') continue;
    if (!f.types.split(/\s+/).includes('deb')) continue;
    const signed = f['signed-by']?.trim();
    out.push({
      uris: f.uris.split(/\s+/).filter(Boolean),
      suites: f.suites.split(/\s+/).filter(Boolean),
      components: (f.components ?? '').split(/\s+/).filter(Boolean),
      // an inline key block is not a path: let apt use its default keyrings then
      signedBy: signed && !signed.includes('\n') && signed.startsWith('/') ? signed : undefined,
    });
  }
  return out;
}

/**
 * The machine's apt sources for the lab's suite (bookworm, bookworm-updates, bookworm-security...),
 * as one-line `deb` entries. Read from /etc/apt/sources.list and sources.list.d/*.list|*.sources.
 */
export function machineSources(etc = '/etc/apt'): string[] {
  const all: AptSource[] = [];
  const main = join(etc, 'sources.list');
  if (existsSync(main)) all.push(...parseListFile(readFileSync(main, 'utf8')));
  const dir = join(etc, 'sources.list.d');
  if (existsSync(dir)) {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (n.endsWith('.list')) all.push(...parseListFile(readFileSync(p, 'utf8')));
      else if (n.endsWith('.sources')) all.push(...parseSourcesFile(readFileSync(p, 'utf8')));
    }
  }
  const lines: string[] = [];
  for (const s of all) {
    const suites = s.suites.filter((x) => x === SUITE || x.startsWith(SUITE + '-') || x.startsWith(SUITE + '/'));
    if (!suites.length) continue;
    const comps = s.components.length ? s.components : ['main'];
    for (const uri of s.uris)
      for (const suite of suites) {
        const opt = s.signedBy ? `[signed-by=${s.signedBy}] ` : '';
        const line = `deb ${opt}${uri} ${suite} ${comps.join(' ')}`;
        if (!lines.includes(line)) lines.push(line);
      }
  }
  if (!lines.length)
    throw new LabError(
      `no apt source for Debian ${SUITE} found in ${etc}/sources.list or ${etc}/sources.list.d`,
      `the lab image is Debian ${SUITE}; configure a ${SUITE} mirror in the machine's apt sources`,
    );
  return lines;
}

/** Shell run by mmdebstrap inside the new tree ($1) after all packages are installed. */
function customizeScript(): string {
  return [
    'set -e',
    `chroot "$1" systemctl disable ${IMAGE_DISABLED_UNITS.join(' ')} >/dev/null 2>&1 || true`,
    'chroot "$1" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true',
    'chroot "$1" useradd -m -s /bin/bash -G sudo student',
    'rm -f "$1"/etc/ssh/ssh_host_*',
    'rm -f "$1"/etc/resolv.conf "$1"/etc/hostname',
    ': > "$1"/etc/machine-id',
    'rm -f "$1"/var/lib/dbus/machine-id',
    'mkdir -p "$1"/etc/systemd/journald.conf.d "$1"/etc/ssh/sshd_config.d',
    'printf "[Journal]\\nStorage=volatile\\nRuntimeMaxUse=16M\\n" > "$1"/etc/systemd/journald.conf.d/kvplay.conf',
    'printf "UseDNS no\\nMaxSessions 64\\nMaxStartups 64:30:200\\n" > "$1"/etc/ssh/sshd_config.d/kvplay.conf',
    'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin',
  ].join('\n');
}

export function imageKey(): string {
  return hashOf(3, SUITE, IMAGE_PACKAGES, IMAGE_DISABLED_UNITS, customizeScript());
}

function readKey(p: string): string | null {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

export function imageCached(): boolean {
  return existsSync(paths.image()) && readKey(paths.imageKey()) === imageKey();
}

/** Build the image tarball unless a current one is cached. Returns true when it built one. */
export async function buildImage(log: (s: string) => void = () => {}): Promise<boolean> {
  if (imageCached()) return false;
  mkdirSync(cacheDir(), { recursive: true });
  const sources = machineSources();
  const tmp = join(cacheDir(), `image.tmp-${process.pid}.tar.zst`);
  log(`building the lab image with mmdebstrap (${SUITE}; sources: ${sources.join(' | ')}) ...`);
  const args = [
    '--mode=root',
    '--variant=minbase',
    `--include=${IMAGE_PACKAGES.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/info/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-include=/usr/share/locale/locale.alias',
    `--customize-hook=${customizeScript()}`,
    '--quiet',
    SUITE,
    tmp,
    ...sources,
  ];
  try {
    await runOk('mmdebstrap', args, { env: { ...process.env, TMPDIR: cacheDir() } });
    renameSync(tmp, paths.image());
  } finally {
    rmSync(tmp, { force: true });
  }
  writeFileSync(paths.imageKey(), imageKey() + '\n');
  return true;
}

/** Unpack the cached tarball into the shared lower directory unless it already matches. */
export async function unpackImage(): Promise<boolean> {
  const key = readKey(paths.imageKey());
  if (!key) throw new LabError('no lab image in the cache', 'run `kvplay lab build` or `kvplay lab up`');
  if (existsSync(paths.rootfs()) && readKey(paths.rootfsKey()) === key) return false;
  const tmp = paths.rootfs() + '.tmp';
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await runOk('tar', ['--zstd', '-xpf', paths.image(), '-C', tmp, '--numeric-owner', '--xattrs', '--xattrs-include=*']);
  rmSync(paths.rootfsKey(), { force: true });
  rmSync(paths.rootfs(), { recursive: true, force: true });
  renameSync(tmp, paths.rootfs());
  writeFileSync(paths.rootfsKey(), key + '\n');
  return true;
}
