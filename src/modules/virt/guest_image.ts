/**
 * guest_image: build the lab guest on the CONTROLLER (src/guest/build.ts: Debian kernel +
 * busybox initramfs, cached under /var/cache/kvplay/guest) and put vmlinuz + initrd.img into
 * a directory of the host, only when their checksums differ. Put them on the shared storage:
 * QEMU on the migration target opens the same kernel/initrd paths.
 */
import { posix } from 'node:path';
import { readFileSync } from 'node:fs';
import { buildGuest } from '../../guest/build.js';
import { q } from '../../util/quote.js';
import type { Module } from '../../engine/module/types.js';
import { object, str, type Static } from '../../engine/module/schema.js';

export type GuestImageParams = Static<typeof schema>;

/** sha256 of the files in dest: `HASH  PATH` lines (missing files print nothing; the two names are fixed). */
export function parseSums(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m) out[posix.basename(m[2])] = m[1];
  }
  return out;
}

const schema = object({ dest: str('Directory on the host for vmlinuz and initrd.img (e.g. /kvm/disk/kvplay-guest, on the shared storage).') }, { required: ['dest'] });

export const guest_image: Module<GuestImageParams> = {
  name: 'guest_image',
  doc: 'Build the tiny lab guest (Debian kernel + busybox initramfs) on the controller and upload vmlinuz/initrd.img to a host directory when they differ.',
  schema,
  async action(p, ctx) {
    const img = await buildGuest({ log: (s) => ctx.log(s) });
    const files = [
      { name: 'vmlinuz', local: img.kernel, sha: img.sha256.kernel },
      { name: 'initrd.img', local: img.initrd, sha: img.sha256.initrd },
    ];
    const dest = p.dest.replace(/\/+$/, '') || '/';
    const sums = await ctx.transport.exec(`cd ${q(dest)} 2>/dev/null && sha256sum vmlinuz initrd.img 2>/dev/null; exit 0`, { become: ctx.become });
    const have = parseSums(sums.stdout);
    const stale = files.filter((f) => have[f.name] !== f.sha);
    const data = {
      kernel: posix.join(dest, 'vmlinuz'),
      initrd: posix.join(dest, 'initrd.img'),
      kernel_version: img.kernelVersion,
      modules: img.modules,
      sha256: img.sha256,
      cache_dir: img.dir,
    };
    if (!stale.length) return { changed: false, msg: `guest image in ${dest} is current (kernel ${img.kernelVersion})`, data };
    const what = stale.map((f) => f.name).join(', ');
    if (ctx.check) return { changed: true, msg: `would upload ${what} to ${dest}`, data };
    for (const [i, f] of stale.entries()) {
      ctx.progress(`uploading ${f.name} to ${dest}`, i / stale.length);
      const cmd = [
        'set -e',
        `d=${q(dest)}`,
        'mkdir -p "$d"',
        't=$(mktemp "$d/.kvplay-XXXXXX")',
        `trap 'rm -f "$t"' EXIT`,
        'cat > "$t"',
        'chmod 644 "$t"',
        `[ "$(sha256sum < "$t" | cut -d' ' -f1)" = ${q(f.sha)} ] || { echo "upload of ${f.name} corrupted" >&2; exit 1; }`,
        `mv -f "$t" "$d"/${q(f.name)}`,
        'trap - EXIT',
      ].join('\n');
      const r = await ctx.transport.exec(cmd, { stdin: readFileSync(f.local), become: ctx.become });
      if (r.code !== 0) return { changed: i > 0, failed: true, msg: `uploading ${f.name} to ${dest} failed: ${r.stderr.trim() || `rc=${r.code}`}`, data };
    }
    ctx.progress(`uploaded ${what}`, 1);
    return { changed: true, msg: `uploaded ${what} to ${dest} (kernel ${img.kernelVersion}${img.built ? ', freshly built' : ''})`, data };
  },
};
