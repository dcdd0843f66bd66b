/**
 * The VM image: a Debian tree built with mmdebstrap, the lab's files written into it, made into
 * an ext4 disk image with `mkfs.ext4 -d` (no loop mounts), its kernel and a small initrd copied
 * out. Cached in <cache>/vm/image-<key>/ where key hashes every build input. The local apt
 * repository (src/lab/repo.ts) is turned into a read-only ext4 disk the same way.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SUITE, hashOf, paths } from './config.js';
import { machineSources } from './image.js';
import { repoKey } from './repo.js';
import { LabError, run, runOk } from './sys.js';
import { REPO_LABEL, VM_DISABLED_UNITS, VM_DISK_SIZE, VM_IMAGE_PACKAGES, VM_INITRD_MODULES, vmPaths } from './vmconfig.js';

const IDENTITY_SCRIPT = `#!/bin/sh
# kvplay VM lab: this VM's identity from QEMU fw_cfg (opt/kvplay/identity), first boot only.
set -e
done=/var/lib/kvplay/identity-done
[ -f $done ] && exit 0
modprobe qemu_fw_cfg 2>/dev/null || :
F=/sys/firmware/qemu_fw_cfg/by_name/opt/kvplay/identity/raw
i=0; while [ ! -r "$F" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -r "$F" ] || { echo "kvplay-identity: $F missing" >&2; exit 1; }
get() { sed -n "s/^$1=//p" "$F" | base64 -d; }
get hostname > /etc/hostname
hostname "$(cat /etc/hostname)"
get hosts > /etc/hosts
mkdir -p /etc/kvplay /root/.ssh /home/student/.ssh /var/lib/kvplay
get host_uuid > /etc/kvplay/host_uuid
get lab > /etc/kvplay/lab
umask 077
get authorized_keys > /root/.ssh/authorized_keys
get authorized_keys > /home/student/.ssh/authorized_keys
chown -R student:student /home/student/.ssh
get hostkey > /etc/ssh/ssh_host_ed25519_key
get nmconnection > /etc/NetworkManager/system-connections/lab.nmconnection
umask 022
get hostkey_pub > /etc/ssh/ssh_host_ed25519_key.pub
echo "student:$(get student_password)" | chpasswd
touch $done
`;

const IDENTITY_UNIT = `[Unit]
Description=kvplay VM lab identity (hostname, address, keys) from fw_cfg
DefaultDependencies=no
After=local-fs.target systemd-remount-fs.service
Before=network-pre.target NetworkManager.service ssh.service sysinit.target
Wants=network-pre.target
ConditionPathExists=!/var/lib/kvplay/identity-done

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kvplay-identity

[Install]
WantedBy=sysinit.target
`;

/** Files written into the tree after mmdebstrap (path relative to the root, content, mode). */
export function imageFiles(): [string, string, number][] {
  return [
    ['etc/fstab', `# kvplay VM lab\n/dev/vda / ext4 rw,errors=remount-ro 0 1\nLABEL=${REPO_LABEL} /srv/kvplay-repo ext4 ro,nofail,x-systemd.automount,x-systemd.device-timeout=300s 0 0\n`, 0o644],
    ['etc/apt/sources.list', 'deb [trusted=yes] file:/srv/kvplay-repo ./\n', 0o644],
    ['etc/apt/apt.conf.d/90kvplay', 'Acquire::Languages "none";\nAPT::Get::Update::SourceListWarnings "false";\nAPT::Install-Recommends "false";\n', 0o644],
    ['etc/resolv.conf', '# kvplay lab: no DNS (names are in /etc/hosts)\noptions timeout:1 attempts:1\n', 0o644],
    ['etc/NetworkManager/conf.d/kvplay.conf', '[main]\nno-auto-default=*\ndns=none\nrc-manager=unmanaged\n', 0o644],
    ['etc/systemd/journald.conf.d/kvplay.conf', '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n', 0o644],
    ['etc/ssh/sshd_config.d/kvplay.conf', 'UseDNS no\nMaxSessions 64\nMaxStartups 64:30:200\nHostKey /etc/ssh/ssh_host_ed25519_key\n', 0o644],
    ['usr/local/sbin/kvplay-identity', IDENTITY_SCRIPT, 0o755],
    ['etc/systemd/system/kvplay-identity.service', IDENTITY_UNIT, 0o644],
  ];
}

/** Shell run in the finished tree ($R): units, user, small initrd. */
function finishScript(): string {
  return [
    'set -e',
    `chroot "$R" systemctl disable ${VM_DISABLED_UNITS.join(' ')} >/dev/null 2>&1 || true`,
    'chroot "$R" systemctl enable kvplay-identity.service',
    'chroot "$R" useradd -m -s /bin/bash -G sudo student',
    'rm -f "$R"/etc/ssh/ssh_host_* "$R"/etc/hostname "$R"/var/lib/dbus/machine-id',
    ': > "$R"/etc/machine-id',
    'mkdir -p "$R"/srv/kvplay-repo',
    'rm -f "$R"/etc/apt/sources.list.d/*',
    'rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb',
    'K=$(ls "$R"/lib/modules | head -n 1)',
    'rm -rf "$R"/tmp/irfs && cp -a "$R"/etc/initramfs-tools "$R"/tmp/irfs',
    'sed -i "s/^MODULES=.*/MODULES=list/" "$R"/tmp/irfs/initramfs.conf',
    `printf '%s\\n' ${VM_INITRD_MODULES.join(' ')} > "$R"/tmp/irfs/modules`,
    'chroot "$R" mkinitramfs -d /tmp/irfs -o /boot/initrd-small.img "$K"',
    'rm -rf "$R"/tmp/irfs',
    'cp "$R"/boot/vmlinuz-"$K" "$O"/vmlinuz',
    'cp "$R"/boot/initrd-small.img "$O"/initrd.img',
    'echo "$K" > "$O"/kernel-version',
  ].join('\n');
}

export function vmImageKey(): string {
  return hashOf('vm', 1, SUITE, VM_IMAGE_PACKAGES, VM_DISABLED_UNITS, VM_INITRD_MODULES, VM_DISK_SIZE, imageFiles(), finishScript());
}

export interface VmImage {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  key: string;
}

export function vmImage(key = vmImageKey()): VmImage {
  const dir = vmPaths.image(key);
  return { dir, disk: join(dir, 'base.raw'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), key };
}

export const vmImageCached = (): boolean => existsSync(join(vmImage().dir, 'complete'));

/** Images of other keys are stale: remove them (1+ GiB each), except those running VMs stand on. */
export function pruneVmImages(keep: string[] = []): void {
  if (!existsSync(vmPaths.cache())) return;
  const keepDirs = new Set([vmImage().dir, ...keep.map((k) => vmImage(k).dir)]);
  for (const e of readdirSync(vmPaths.cache()))
    if (e.startsWith('image-') && !e.includes('.tmp-') && !keepDirs.has(join(vmPaths.cache(), e))) rmSync(join(vmPaths.cache(), e), { recursive: true, force: true });
}

const secs = (t0: number) => `${Math.round((Date.now() - t0) / 1000)} s`;

/** Build the image unless cached. Returns true when it built one. Progress with estimates on `log`. */
export async function buildVmImage(log: (s: string) => void, keep: string[] = []): Promise<boolean> {
  const img = vmImage();
  if (vmImageCached()) return false;
  mkdirSync(vmPaths.cache(), { recursive: true });
  pruneVmImages(keep);
  const work = `${img.dir}.tmp-${process.pid}`;
  const root = join(work, 'root');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const T = Date.now();
  try {
    const sources = machineSources();
    log(`vm image: mmdebstrap ${SUITE}, ${VM_IMAGE_PACKAGES.length} packages + dependencies (~275; usually 3-6 min, more on a loaded machine) ...`);
    await runOk('mmdebstrap', [
      '--mode=root', '--variant=minbase', '--aptopt=APT::Install-Recommends "false"',
      `--include=${VM_IMAGE_PACKAGES.join(',')}`,
      '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/info/*',
      '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-include=/usr/share/doc/*/copyright',
      '--dpkgopt=path-exclude=/usr/share/locale/*', '--dpkgopt=path-include=/usr/share/locale/locale.alias',
      '--quiet', SUITE, root, ...sources,
    ], { env: { ...process.env, TMPDIR: work } });
    log(`vm image: tree ready after ${secs(T)}; writing the lab's files, small initrd (~5-15 s) ...`);
    for (const [rel, content, mode] of imageFiles()) {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      rmSync(p, { force: true });
      writeFileSync(p, content);
      chmodSync(p, mode);
    }
    await runOk('sh', ['-c', finishScript()], { env: { ...process.env, R: root, O: work } });
    log(`vm image: mkfs.ext4 -d (${VM_DISK_SIZE} sparse; ~10-30 s) ...`);
    await runOk('mkfs.ext4', ['-q', '-F', '-L', 'vmroot', '-d', root, join(work, 'base.raw'), VM_DISK_SIZE]);
    rmSync(root, { recursive: true, force: true });
    writeFileSync(join(work, 'key'), img.key + '\n');
    writeFileSync(join(work, 'complete'), new Date().toISOString() + '\n');
    rmSync(img.dir, { recursive: true, force: true });
    renameSync(work, img.dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`vm image built in ${secs(T)}: ${img.dir}`);
  return true;
}

function dirBytes(dir: string): number {
  let s = 0;
  for (const f of readdirSync(dir)) s += statSync(join(dir, f)).size;
  return s;
}

/** The local apt repository as a read-only ext4 disk (label kvrepo), rebuilt when the repository changes. */
export async function buildRepoDisk(log: (s: string) => void): Promise<string> {
  const key = repoKey();
  const out = vmPaths.repoImg(key);
  if (existsSync(out)) return out;
  if (!existsSync(join(paths.repo(), 'Packages'))) throw new LabError('the local apt repository is missing', 'run `kvplay lab build`');
  for (const e of readdirSync(vmPaths.cache())) if (/^repo-.*\.img$/.test(e)) rmSync(join(vmPaths.cache(), e), { force: true });
  const mib = Math.ceil((dirBytes(paths.repo()) * 1.2) / 2 ** 20) + 64;
  const tmp = `${out}.tmp-${process.pid}`;
  log(`vm repository disk: mkfs.ext4 -d ${paths.repo()} (${mib} MiB) ...`);
  const r = await run('mkfs.ext4', ['-q', '-F', '-L', REPO_LABEL, '-d', paths.repo(), tmp, `${mib}M`]);
  if (r.code !== 0) {
    rmSync(tmp, { force: true });
    throw new LabError(`mkfs.ext4 of the repository disk failed: ${r.stderr.trim()}`);
  }
  renameSync(tmp, out);
  return out;
}

/** One line about a built image (for `lab up --vm`). */
export function imageSummary(img: VmImage): string {
  const kv = existsSync(join(img.dir, 'kernel-version')) ? readFileSync(join(img.dir, 'kernel-version'), 'utf8').trim() : '?';
  return `kernel ${kv}, initrd ${Math.round(statSync(img.initrd).size / 2 ** 20)} MiB, disk ${Math.round(statSync(img.disk).blocks * 512 / 2 ** 20)} MiB allocated`;
}
