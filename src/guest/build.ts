/**
 * Builds the lab guest ON THE CONTROLLER from Debian packages: the kernel of
 * linux-image-amd64 (vmlinuz + the few virtio/ACPI modules it needs) and busybox from
 * busybox-static, packed with init.ts's /init into a gzip'd cpio initramfs (cpio.ts).
 *
 * Cache: <cache>/guest (cache = KVPLAY_CACHE_DIR or /var/cache/kvplay):
 *   debs/                 the downloaded .deb files (reused offline; `apt-get download` fills it)
 *   <key>/vmlinuz, initrd.img, manifest.json   one finished build per input hash
 * The key hashes the two .deb names, the init script and the module list, so a new kernel
 * or a changed init gives a new build and an unchanged one is instant (no network).
 * Overrides: KVPLAY_GUEST_KERNEL_DEB, KVPLAY_GUEST_BUSYBOX_DEB (paths to .deb files).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc, type CpioEntry } from './cpio.js';
import { ACPI_POWER_HANDLER, GUEST_MODULES, INIT_SCRIPT, loadOrder, moduleDepends } from './init.js';
import { errMessage } from '../util/errors.js';

export const BUILDER_VERSION = 1;

export interface GuestImage {
  dir: string;
  kernel: string;
  initrd: string;
  kernelVersion: string;
  modules: string[];
  key: string;
  sha256: { kernel: string; initrd: string };
  /** this call built it (false: taken from the cache) */
  built: boolean;
}

function cacheRoot(): string {
  return join(process.env.KVPLAY_CACHE_DIR || '/var/cache/kvplay', 'guest');
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = String((e as { stderr?: unknown }).stderr ?? '').trim().split('\n').slice(-3).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err || errMessage(e)}`);
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The linux-image-X-amd64 package that linux-image-amd64 depends on (needs apt lists). */
function kernelPackage(): string {
  const out = run('apt-cache', ['depends', 'linux-image-amd64']);
  const m = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(out);
  if (!m) throw new Error('apt-cache knows no linux-image-amd64 (run apt-get update on the controller)');
  return m[1];
}

function findDeb(dir: string, re: RegExp): string | undefined {
  if (!existsSync(dir)) return undefined;
  const hits = readdirSync(dir).filter((f) => re.test(f)).sort();
  return hits.length ? join(dir, hits[hits.length - 1]) : undefined;
}

/** A .deb from the cache, or downloaded into it with `apt-get download PKG`. */
function ensureDeb(debs: string, pkg: string, re: RegExp, log: (s: string) => void): string {
  const have = findDeb(debs, re);
  if (have) return have;
  mkdirSync(debs, { recursive: true });
  const tmp = mkdtempSync(join(debs, '.dl-'));
  try {
    log(`guest: apt-get download ${pkg}`);
    try {
      run('apt-get', ['download', pkg], { cwd: tmp });
    } catch {
      run('apt-get', ['update']);
      run('apt-get', ['download', pkg], { cwd: tmp });
    }
    const f = readdirSync(tmp).find((x) => x.endsWith('.deb'));
    if (!f) throw new Error(`apt-get download ${pkg} produced no .deb`);
    renameSync(join(tmp, f), join(debs, f));
    return join(debs, f);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Extract members matching shell patterns from a .deb's data into dir. */
function extract(deb: string, dir: string, patterns: string[]): void {
  run('bash', ['-o', 'pipefail', '-c', 'deb=$1; dir=$2; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards "$@"', 'x', deb, dir, ...patterns]);
}

function findFiles(dir: string, name: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (name.test(e.name)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Build (or reuse) the guest kernel + initramfs. Synchronous work, a few seconds when not cached. */
export async function buildGuest(opts: { log?: (s: string) => void } = {}): Promise<GuestImage> {
  const log = opts.log ?? (() => {});
  const root = cacheRoot();
  const debs = join(root, 'debs');
  const kdeb = process.env.KVPLAY_GUEST_KERNEL_DEB || findDeb(debs, /^linux-image-[0-9].*-amd64_.*\.deb$/) || ensureDeb(debs, kernelPackage(), /^linux-image-[0-9].*-amd64_.*\.deb$/, log);
  const bdeb = process.env.KVPLAY_GUEST_BUSYBOX_DEB || ensureDeb(debs, 'busybox-static', /^busybox-static_.*\.deb$/, log);
  const key = createHash('sha256')
    .update(JSON.stringify([BUILDER_VERSION, basename(kdeb), basename(bdeb), INIT_SCRIPT, ACPI_POWER_HANDLER, GUEST_MODULES]))
    .digest('hex')
    .slice(0, 16);
  const out = join(root, key);
  const manifest = join(out, 'manifest.json');
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    return { ...m, dir: out, kernel: join(out, 'vmlinuz'), initrd: join(out, 'initrd.img'), built: false };
  }
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, '.build-'));
  try {
    log(`guest: extracting kernel and modules from ${basename(kdeb)}`);
    const x = join(work, 'x');
    mkdirSync(x);
    // modules by basename: the wanted ones first, then whatever their depends= lines add
    const deps = new Map<string, string[]>();
    const files = new Map<string, string>();
    let want = [...GUEST_MODULES];
    // each pass decompresses the whole package (~10 s): the first one also takes the kernel and
    // the usual dependencies (virtio*, *failover) so that one pass normally suffices
    let first = ['./boot/vmlinuz-*', '*/virtio*.ko', '*failover.ko'];
    for (let round = 0; want.length && round < 8; round++) {
      const missing = want.filter((m) => !findFiles(join(x, 'lib'), new RegExp(`^${m}\\.ko$`)).length);
      // (tar counts a member matched by an earlier pattern as 'not found' for a later one)
      const extra = missing.filter((m) => !(first.length && /^virtio|failover$/.test(m)));
      if (extra.length || first.length) extract(kdeb, x, [...first, ...extra.map((m) => `*/${m}.ko`)]);
      first = [];
      const next: string[] = [];
      for (const m of want) {
        const f = findFiles(join(x, 'lib'), new RegExp(`^${m.replace(/[^\w]/g, '\\$&')}\\.ko$`))[0];
        if (!f) continue;
        files.set(m, f);
        const d = moduleDepends(readFileSync(f));
        deps.set(m, d);
        for (const n of d) if (!deps.has(n) && !next.includes(n)) next.push(n);
      }
      want = next;
    }
    const order = loadOrder(GUEST_MODULES, deps);
    const vmlinuzPath = findFiles(join(x, 'boot'), /^vmlinuz-/)[0];
    if (!vmlinuzPath) throw new Error(`no /boot/vmlinuz-* in ${kdeb}`);
    const kernelVersion = basename(vmlinuzPath).replace(/^vmlinuz-/, '');
    log(`guest: busybox from ${basename(bdeb)}`);
    extract(bdeb, x, ['./bin/busybox']);
    const busybox = readFileSync(join(x, 'bin', 'busybox'));
    const entries: CpioEntry[] = [
      ...['bin', 'dev', 'etc', 'etc/acpi', 'etc/acpi/PWRF', 'lib', 'lib/modules', 'proc', 'sys', 'tmp', 'www', 'var', 'var/log', 'root'].map(
        (p) => ({ type: 'dir' as const, path: p }),
      ),
      { type: 'char', path: 'dev/console', major: 5, minor: 1 },
      { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
      { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'file', path: 'init', data: INIT_SCRIPT, mode: 0o755 },
      { type: 'file', path: 'etc/acpi/PWRF/00000080', data: ACPI_POWER_HANDLER, mode: 0o755 },
      { type: 'file', path: 'etc/modules.order', data: order.join('\n') + '\n' },
      ...order.map((m) => ({ type: 'file' as const, path: `lib/modules/${m}.ko`, data: readFileSync(files.get(m)!) })),
    ];
    const initrd = gzipSync(cpioNewc(entries), { level: 9 });
    const kernel = readFileSync(vmlinuzPath);
    const dst = join(work, 'out');
    mkdirSync(dst);
    writeFileSync(join(dst, 'vmlinuz'), kernel);
    writeFileSync(join(dst, 'initrd.img'), initrd);
    const m = { key, kernelVersion, modules: order, sha256: { kernel: sha(kernel), initrd: sha(initrd) }, kernelDeb: basename(kdeb), busyboxDeb: basename(bdeb) };
    writeFileSync(join(dst, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    try {
      renameSync(dst, out);
    } catch (e) {
      if (!existsSync(manifest)) throw e; // someone else finished the same build first
    }
    log(`guest: built ${out} (kernel ${kernelVersion}, initrd ${initrd.length} bytes)`);
    return { ...m, dir: out, kernel: join(out, 'vmlinuz'), initrd: join(out, 'initrd.img'), built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
